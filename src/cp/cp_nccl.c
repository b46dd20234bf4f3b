/* The NCCL backend: one process per GPU. The group's send and receive buffers are Vulkan memory
 * imported into CUDA; an exchange is
 *   Vulkan: pack, then signal the timeline semaphore to v
 *   CUDA:   wait for v, ncclSend/ncclRecv to and from every rank (one NCCL group), signal v + 1
 *   Vulkan: the stream's next submission waits for v + 1, then unpacks.
 * Nothing passes through host memory. Arguments are agreed with an all-gather on a second
 * communicator (split from the first), so that the check never queues behind an exchange. */
#include <stdlib.h>
#include <string.h>

#include "cp/cp.h"
#include "cp/cp_export.h"

typedef struct nccl_state {
    const cuda_api *cu;
    const nccl_api *nccl;
    cu_device device;
    cu_context context;
    cu_stream stream, check_stream;
    nccl_comm comm, check_comm;
    cu_deviceptr calls; /* size + 1 cp_calls: everyone's, then this rank's */
    cp_shared_semaphore semaphore;
    uint64_t value; /* the semaphore's last value asked for */
    cp_shared_buffer send, recv;
} nccl_state;

static subq_status nccl_agree(subq_cp_group *g, const cp_call *mine, cp_call *all)
{
    nccl_state *n = g->impl;
    const cuda_api *cu = n->cu;
    size_t bytes = sizeof *mine;
    cu_deviceptr own = n->calls + (size_t)g->size * bytes;
    SUBQ_CU_TRY(cu->ctx_set_current(n->context));
    SUBQ_CU_TRY(cu->memcpy_htod_async(own, mine, bytes, n->check_stream));
    SUBQ_NCCL_TRY(n->nccl->all_gather((void *)own, (void *)n->calls, bytes, NCCL_UINT8, n->check_comm,
                                      n->check_stream));
    SUBQ_CU_TRY(cu->memcpy_dtoh_async(all, n->calls, bytes * (size_t)g->size, n->check_stream));
    SUBQ_CU_TRY(cu->stream_synchronize(n->check_stream));
    return SUBQ_OK;
}

static void release_buffers(subq_cp_group *g)
{
    nccl_state *n = g->impl;
    cp_shared_buffer_destroy(g->ctx, n->cu, &n->send);
    cp_shared_buffer_destroy(g->ctx, n->cu, &n->recv);
    g->send = g->recv = NULL;
    g->capacity = 0;
}

static subq_status nccl_reserve(subq_cp_group *g, subq_stream *s, VkDeviceSize bytes)
{
    if (g->capacity >= bytes) return SUBQ_OK;
    nccl_state *n = g->impl;
    SUBQ_CU_TRY(n->cu->ctx_set_current(n->context));
    if (g->send) {
        SUBQ_TRY(subq_stream_wait(s)); /* its unpack waits for the last exchange */
        SUBQ_CU_TRY(n->cu->stream_synchronize(n->stream));
    }
    release_buffers(g);
    SUBQ_TRY(cp_shared_buffer_create(g->ctx, n->cu, bytes, &n->send));
    SUBQ_TRY(cp_shared_buffer_create(g->ctx, n->cu, bytes, &n->recv));
    g->send = n->send.tensor;
    g->recv = n->recv.tensor;
    g->capacity = bytes;
    return SUBQ_OK;
}

static subq_status nccl_exchange(subq_cp_group *g, subq_stream *s, VkDeviceSize block_bytes, bool packed)
{
    (void)packed; /* peers cannot be told: the exchange runs, and the caller reports the failure */
    nccl_state *n = g->impl;
    const cuda_api *cu = n->cu;
    const nccl_api *nccl = n->nccl;
    uint64_t packed_value = n->value + 1, moved_value = n->value + 2;
    SUBQ_TRY(subq_stream_submit_signal(s, n->semaphore.semaphore, packed_value));
    n->value = packed_value;
    SUBQ_CU_TRY(cu->ctx_set_current(n->context));
    cu_semaphore_wait_params wait = {.params.fence_value = packed_value};
    SUBQ_CU_TRY(cu->wait_external_semaphores_async(&n->semaphore.external, &wait, 1, n->stream));
    size_t count = (size_t)(block_bytes / sizeof(float));
    SUBQ_NCCL_TRY(nccl->group_start());
    for (int q = 0; q < g->size; q++) {
        cu_deviceptr offset = (cu_deviceptr)q * block_bytes;
        nccl_result sent = nccl->send((void *)(n->send.pointer + offset), count, NCCL_FLOAT32, q, n->comm, n->stream);
        nccl_result received = nccl->recv((void *)(n->recv.pointer + offset), count, NCCL_FLOAT32, q, n->comm, n->stream);
        if (sent != 0 || received != 0) {
            nccl->group_end();
            return subq_nccl_fail(sent ? sent : received, "ncclSend/ncclRecv");
        }
    }
    SUBQ_NCCL_TRY(nccl->group_end());
    cu_semaphore_signal_params signal = {.params.fence_value = moved_value};
    SUBQ_CU_TRY(cu->signal_external_semaphores_async(&n->semaphore.external, &signal, 1, n->stream));
    n->value = moved_value;
    return subq_stream_wait_semaphore(s, n->semaphore.semaphore, moved_value);
}

static subq_status nccl_order(subq_cp_group *g, subq_stream *s)
{
    nccl_state *n = g->impl;
    return n->value ? subq_stream_wait_semaphore(s, n->semaphore.semaphore, n->value) : SUBQ_OK;
}

static void nccl_destroy(subq_cp_group *g)
{
    nccl_state *n = g->impl;
    if (!n) return;
    if (n->context) n->cu->ctx_set_current(n->context);
    if (n->stream) n->cu->stream_synchronize(n->stream);
    /* Vulkan batches may still wait on the semaphore or use the buffers. */
    subq_queue_lock(g->ctx);
    g->ctx->vk.vkQueueWaitIdle(g->ctx->queue);
    subq_queue_unlock(g->ctx);
    release_buffers(g);
    cp_shared_semaphore_destroy(g->ctx, n->cu, &n->semaphore);
    if (n->check_comm) n->nccl->comm_destroy(n->check_comm);
    if (n->comm) n->nccl->comm_destroy(n->comm);
    if (n->calls) n->cu->mem_free(n->calls);
    if (n->check_stream) n->cu->stream_destroy(n->check_stream);
    if (n->stream) n->cu->stream_destroy(n->stream);
    if (n->context) n->cu->primary_ctx_release(n->device);
    free(n);
    g->impl = NULL;
}

static const cp_backend nccl_backend = {nccl_agree, nccl_reserve, nccl_exchange, nccl_order, nccl_destroy};

/* The CUDA device whose UUID is the Vulkan device's. */
static subq_status pair_device(const subq_context *ctx, const cuda_api *cu, cu_device *device)
{
    SUBQ_CU_TRY(cu->init(0));
    int count = 0;
    SUBQ_CU_TRY(cu->device_get_count(&count));
    for (int i = 0; i < count; i++) {
        uint8_t uuid[16];
        SUBQ_CU_TRY(cu->device_get(device, i));
        SUBQ_CU_TRY(cu->device_get_uuid(uuid, *device));
        if (!memcmp(uuid, ctx->info.device_uuid, sizeof uuid)) return SUBQ_OK;
    }
    return subq_fail(SUBQ_ERROR_UNSUPPORTED, "context: none of the %d CUDA devices has the UUID of Vulkan device '%s'",
                     count, ctx->info.name);
}

static subq_status nccl_start(subq_cp_group *g, nccl_state *n, const subq_nccl_id *id)
{
    const cuda_api *cu = n->cu;
    SUBQ_TRY(pair_device(g->ctx, cu, &n->device));
    SUBQ_CU_TRY(cu->primary_ctx_retain(&n->context, n->device));
    SUBQ_CU_TRY(cu->ctx_set_current(n->context));
    SUBQ_CU_TRY(cu->stream_create(&n->stream, CU_STREAM_NON_BLOCKING));
    SUBQ_CU_TRY(cu->stream_create(&n->check_stream, CU_STREAM_NON_BLOCKING));
    SUBQ_CU_TRY(cu->mem_alloc(&n->calls, sizeof(cp_call) * (size_t)(g->size + 1)));
    SUBQ_TRY(cp_shared_semaphore_create(g->ctx, cu, &n->semaphore));
    nccl_unique_id unique;
    memcpy(unique.internal, id->bytes, sizeof unique.internal);
    SUBQ_NCCL_TRY(n->nccl->comm_init_rank(&n->comm, g->size, unique, g->rank));
    SUBQ_NCCL_TRY(n->nccl->comm_split(n->comm, 0, g->rank, &n->check_comm, NULL));
    return SUBQ_OK;
}

static subq_status check_create(subq_context *ctx, int rank, int size, const subq_nccl_id *id, subq_cp_group **group)
{
    if (!group) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: expected a non-NULL pointer");
    *group = NULL;
    if (!ctx) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (size < 1) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "size: expected >= 1 ranks, got %d", size);
    if (rank < 0 || rank >= size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "rank: expected 0..%d, got %d", size - 1, rank);
    if (!id) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "id: expected the job's NCCL id, got NULL");
    return SUBQ_OK;
}

subq_status subq_cp_group_create_nccl(subq_context *ctx, int rank, int size, const subq_nccl_id *id,
                                      subq_cp_group **group)
{
    SUBQ_TRY(check_create(ctx, rank, size, id, group));
    const cuda_api *cu;
    const nccl_api *nccl;
    SUBQ_TRY(subq_cuda_load(&cu));
    SUBQ_TRY(subq_nccl_load(&nccl));
    if (!ctx->vk.vkGetMemoryFdKHR || !ctx->vk.vkGetSemaphoreFdKHR || !ctx->timeline_semaphores)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "context: device '%s' lacks VK_KHR_external_memory_fd, "
                                                 "VK_KHR_external_semaphore_fd or timeline semaphores, which NCCL "
                                                 "context parallelism needs", ctx->info.name);
    subq_cp_group *g;
    SUBQ_TRY(cp_group_alloc(ctx, rank, size, &nccl_backend, &g));
    nccl_state *n = calloc(1, sizeof *n);
    if (!n) {
        subq_cp_group_destroy(g);
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a context-parallel group");
    }
    *n = (nccl_state){.cu = cu, .nccl = nccl};
    g->impl = n;
    subq_status status = nccl_start(g, n, id);
    if (status != SUBQ_OK) {
        subq_cp_group_destroy(g);
        return status;
    }
    *group = g;
    return SUBQ_OK;
}
