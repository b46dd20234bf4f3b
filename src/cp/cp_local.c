/* The local backend: P ranks of one process, one thread each, exchanging through host memory.
 * Each rank downloads its packed blocks into its slot; after a barrier every rank uploads the
 * blocks meant for it from its peers' slots; a second barrier keeps the slots until all have read.
 * Barriers time out (SUBQ_TIMEOUT_S) rather than hang when a rank never arrives. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp/cp.h"

typedef struct local_slot {
    cp_call call;
    void *host; /* the rank's packed blocks */
    size_t capacity;
} local_slot;

typedef struct local_shared {
    mtx_t lock;
    cnd_t changed;
    int size, arrived, refs;
    uint64_t generation;
    int failing; /* lowest rank arriving with a failure at the open barrier; -1: none */
    int failed;  /* the same for the last barrier released */
    bool broken; /* a barrier timed out: the ranks no longer move together */
    local_slot slots[];
} local_shared;

/* Waits for every rank; *failed: the lowest rank that arrived with ok false, or -1. */
static subq_status barrier(local_shared *sh, int rank, bool ok, int *failed)
{
    mtx_lock(&sh->lock);
    uint64_t generation = sh->generation;
    if (!sh->broken) {
        if (!ok && (sh->failing < 0 || rank < sh->failing)) sh->failing = rank;
        if (++sh->arrived == sh->size) {
            sh->arrived = 0;
            sh->failed = sh->failing;
            sh->failing = -1;
            sh->generation++;
            cnd_broadcast(&sh->changed);
        }
    }
    double limit_s = subq_timeout_seconds();
    struct timespec deadline;
    timespec_get(&deadline, TIME_UTC);
    deadline.tv_sec += (time_t)limit_s;
    while (sh->generation == generation && !sh->broken)
        if (cnd_timedwait(&sh->changed, &sh->lock, &deadline) == thrd_timedout) {
            sh->broken = true;
            cnd_broadcast(&sh->changed);
        }
    bool released = sh->generation != generation;
    *failed = sh->failed;
    mtx_unlock(&sh->lock);
    if (released) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_DEVICE_LOST, "group: a rank did not join the collective within %.0f s "
                                             "(SUBQ_TIMEOUT_S); the group is unusable", limit_s);
}

static subq_status local_agree(subq_cp_group *g, const cp_call *mine, cp_call *all)
{
    local_shared *sh = g->impl;
    int failed;
    sh->slots[g->rank].call = *mine;
    SUBQ_TRY(barrier(sh, g->rank, true, &failed));
    for (int r = 0; r < g->size; r++) all[r] = sh->slots[r].call;
    return barrier(sh, g->rank, true, &failed);
}

static subq_status local_reserve(subq_cp_group *g, subq_stream *s, VkDeviceSize bytes)
{
    if (g->capacity >= bytes) return SUBQ_OK;
    if (g->send) SUBQ_TRY(subq_stream_wait(s));
    subq_tensor_destroy(g->send);
    subq_tensor_destroy(g->recv);
    g->send = g->recv = NULL;
    g->capacity = 0;
    int64_t elements = (int64_t)(bytes / sizeof(float));
    SUBQ_TRY(subq_tensor_create(g->ctx, SUBQ_F32, 1, &elements, &g->send));
    SUBQ_TRY(subq_tensor_create(g->ctx, SUBQ_F32, 1, &elements, &g->recv));
    g->capacity = bytes;
    return SUBQ_OK;
}

static subq_status download_pack(subq_cp_group *g, subq_stream *s, local_slot *slot, size_t bytes)
{
    SUBQ_TRY(subq_stream_wait(s));
    if (slot->capacity < bytes) {
        void *grown = realloc(slot->host, bytes);
        if (!grown) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for a %zu-byte exchange", bytes);
        slot->host = grown;
        slot->capacity = bytes;
    }
    return subq_staging_read(g->ctx, g->send->storage->buffer, g->send->storage->offset, slot->host, bytes);
}

static subq_status upload_blocks(subq_cp_group *g, const local_shared *sh, size_t block)
{
    for (int q = 0; q < g->size; q++)
        SUBQ_TRY(subq_staging_write(g->ctx, g->recv->storage->buffer, g->recv->storage->offset + q * block,
                                    (const char *)sh->slots[q].host + (size_t)g->rank * block, block));
    return SUBQ_OK;
}

static subq_status local_exchange(subq_cp_group *g, subq_stream *s, VkDeviceSize block_bytes, bool packed)
{
    local_shared *sh = g->impl;
    size_t block = (size_t)block_bytes;
    subq_status status = packed ? download_pack(g, s, &sh->slots[g->rank], block * (size_t)g->size) : SUBQ_OK;
    int failed, ignored;
    SUBQ_TRY(barrier(sh, g->rank, packed && status == SUBQ_OK, &failed));
    if (packed && status == SUBQ_OK) {
        if (failed >= 0)
            status = subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "group: rank %d failed to pack its blocks (its error "
                                                            "says why); y is not written", failed);
        else
            status = upload_blocks(g, sh, block);
    }
    subq_status after = barrier(sh, g->rank, true, &ignored);
    return status != SUBQ_OK ? status : after;
}

static subq_status local_order(subq_cp_group *g, subq_stream *s)
{
    (void)g;
    (void)s;
    return SUBQ_OK; /* the exchange waited for the stream */
}

static void shared_free(local_shared *sh)
{
    for (int r = 0; r < sh->size; r++) free(sh->slots[r].host);
    cnd_destroy(&sh->changed);
    mtx_destroy(&sh->lock);
    free(sh);
}

static void local_destroy(subq_cp_group *g)
{
    local_shared *sh = g->impl;
    subq_tensor_destroy(g->send);
    subq_tensor_destroy(g->recv);
    mtx_lock(&sh->lock);
    bool last = --sh->refs == 0;
    mtx_unlock(&sh->lock);
    if (last) shared_free(sh);
}

static const cp_backend local_backend = {local_agree, local_reserve, local_exchange, local_order, local_destroy};

#define MAX_LOCAL_RANKS 1024

static subq_status check_create(int size, subq_context *const *contexts, subq_cp_group **groups)
{
    if (!groups) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "groups: expected an array of size pointers, got NULL");
    if (size < 1 || size > MAX_LOCAL_RANKS)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "size: expected 1..%d ranks, got %d", MAX_LOCAL_RANKS, size);
    for (int r = 0; r < size; r++) groups[r] = NULL;
    if (!contexts) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "contexts: expected size contexts, got NULL");
    for (int r = 0; r < size; r++)
        if (!contexts[r]) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "contexts[%d]: expected a context, got NULL", r);
    return SUBQ_OK;
}

static local_shared *shared_create(int size)
{
    local_shared *sh = calloc(1, sizeof *sh + (size_t)size * sizeof sh->slots[0]);
    if (!sh) return NULL;
    if (mtx_init(&sh->lock, mtx_plain) != thrd_success) {
        free(sh);
        return NULL;
    }
    if (cnd_init(&sh->changed) != thrd_success) {
        mtx_destroy(&sh->lock);
        free(sh);
        return NULL;
    }
    sh->size = sh->refs = size;
    sh->failing = sh->failed = -1;
    return sh;
}

subq_status subq_cp_group_create_local(int size, subq_context *const *contexts, subq_cp_group **groups)
{
    SUBQ_TRY(check_create(size, contexts, groups));
    local_shared *sh = shared_create(size);
    if (!sh) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a context-parallel group");
    subq_status status = SUBQ_OK;
    for (int r = 0; r < size && status == SUBQ_OK; r++) {
        status = cp_group_alloc(contexts[r], r, size, &local_backend, &groups[r]);
        if (status == SUBQ_OK) groups[r]->impl = sh;
    }
    if (status != SUBQ_OK) {
        for (int r = 0; r < size; r++) {
            free(groups[r]); /* nothing allocated inside yet */
            groups[r] = NULL;
        }
        shared_free(sh);
    }
    return status;
}
