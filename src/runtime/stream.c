/* Streams: ops record dispatches into a command buffer; submit sends the batch. Two command buffers
 * alternate so that recording the next batch overlaps the GPU running the last. A barrier goes in
 * only where a dispatch touches memory that an earlier dispatch since the last barrier wrote, or
 * writes memory one read. */
#include <stdlib.h>

#include "runtime/profile.h"
#include "runtime/runtime.h"
#include "subq/subq_vulkan.h"

#define MAX_TRACKED 64

typedef struct tracked_range {
    VkBuffer buffer;
    VkDeviceSize begin, end;
} tracked_range;

struct subq_stream {
    subq_context *ctx;
    bool external; /* records into a host command buffer (cmd[0]); the host submits */
    VkCommandPool pool;
    VkCommandBuffer cmd[2];
    VkFence fence[2];
    bool pending[2];
    int current;
    bool recording;
    VkQueryPool queries;
    double last_ms;
    bool has_time;
    tracked_range written[MAX_TRACKED], read[MAX_TRACKED];
    uint32_t written_count, read_count;
    subq_queue_sync sync; /* semaphore waits for the next submission */
    subq_profile *profile; /* while profiling */
};

subq_context *subq_stream_context(const subq_stream *s) { return s->ctx; }
bool subq_stream_is_external(const subq_stream *s) { return s->external; }

static subq_status stream_init(subq_stream *s)
{
    subq_context *ctx = s->ctx;
    VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                    .queueFamilyIndex = ctx->queue_family};
    SUBQ_VK_TRY(ctx->vk.vkCreateCommandPool(ctx->device, &pool, NULL, &s->pool));
    VkCommandBufferAllocateInfo cmd = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = s->pool, .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 2};
    SUBQ_VK_TRY(ctx->vk.vkAllocateCommandBuffers(ctx->device, &cmd, s->cmd));
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    for (int i = 0; i < 2; i++) SUBQ_VK_TRY(ctx->vk.vkCreateFence(ctx->device, &fence, NULL, &s->fence[i]));
    if (ctx->info.timestamp_period_ns > 0) {
        VkQueryPoolCreateInfo queries = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                         .queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = 4};
        SUBQ_VK_TRY(ctx->vk.vkCreateQueryPool(ctx->device, &queries, NULL, &s->queries));
    }
    return SUBQ_OK;
}

subq_status subq_stream_create(subq_context *ctx, subq_stream **stream)
{
    if (!ctx) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!stream) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: expected a non-NULL pointer");
    subq_stream *s = calloc(1, sizeof *s);
    if (!s) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a stream");
    s->ctx = ctx;
    subq_status status = stream_init(s);
    if (status != SUBQ_OK) {
        subq_stream_destroy(s);
        s = NULL;
    }
    *stream = s;
    return status;
}

subq_status subq_stream_create_vulkan(subq_context *ctx, VkCommandBuffer command_buffer, subq_stream **stream)
{
    if (!ctx) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!command_buffer)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "command_buffer: expected a VkCommandBuffer, got NULL");
    if (!stream) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: expected a non-NULL pointer");
    subq_stream *s = calloc(1, sizeof *s);
    if (!s) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a stream");
    *s = (subq_stream){.ctx = ctx, .external = true, .cmd = {command_buffer}};
    *stream = s;
    return SUBQ_OK;
}

void subq_stream_destroy(subq_stream *s)
{
    if (!s) return;
    subq_context *ctx = s->ctx;
    for (int i = 0; i < 2; i++)
        if (s->pending[i]) ctx->vk.vkWaitForFences(ctx->device, 1, &s->fence[i], VK_TRUE, UINT64_MAX);
    if (s->queries) ctx->vk.vkDestroyQueryPool(ctx->device, s->queries, NULL);
    subq_profile_destroy(ctx, s->profile);
    for (int i = 0; i < 2; i++)
        if (s->fence[i]) ctx->vk.vkDestroyFence(ctx->device, s->fence[i], NULL);
    if (s->pool) ctx->vk.vkDestroyCommandPool(ctx->device, s->pool, NULL);
    free(s);
}

static subq_status finish_one(subq_stream *s, int i)
{
    if (!s->pending[i]) return SUBQ_OK;
    subq_context *ctx = s->ctx;
    SUBQ_TRY(subq_fence_wait(ctx, s->fence[i], "stream"));
    s->pending[i] = false;
    uint64_t ticks[2];
    if (s->queries &&
        ctx->vk.vkGetQueryPoolResults(ctx->device, s->queries, (uint32_t)(2 * i), 2, sizeof ticks, ticks,
                                      sizeof ticks[0], VK_QUERY_RESULT_64_BIT) == VK_SUCCESS) {
        s->last_ms = (double)(ticks[1] - ticks[0]) * ctx->info.timestamp_period_ns * 1e-6;
        s->has_time = true;
    }
    if (s->profile) subq_profile_collect(ctx, s->profile, i);
    return SUBQ_OK;
}

/* Host work earlier in submission order may have written anything from any stage. */
static void begin_external(subq_stream *s)
{
    VkMemoryBarrier barrier = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                                VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT};
    s->ctx->vk.vkCmdPipelineBarrier(s->cmd[0], VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
                                    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                                    &barrier, 0, NULL, 0, NULL);
    s->recording = true;
}

static subq_status begin_recording(subq_stream *s)
{
    if (s->external) {
        begin_external(s);
        return SUBQ_OK;
    }
    subq_context *ctx = s->ctx;
    int i = s->current;
    SUBQ_TRY(finish_one(s, i));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    SUBQ_VK_TRY(ctx->vk.vkResetCommandBuffer(s->cmd[i], 0));
    SUBQ_VK_TRY(ctx->vk.vkBeginCommandBuffer(s->cmd[i], &begin));
    subq_cmd_full_barrier(ctx, s->cmd[i]);
    if (s->queries) {
        ctx->vk.vkCmdResetQueryPool(s->cmd[i], s->queries, (uint32_t)(2 * i), 2);
        ctx->vk.vkCmdWriteTimestamp(s->cmd[i], VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, s->queries,
                                    (uint32_t)(2 * i));
    }
    if (s->profile) subq_profile_begin(ctx, s->profile, s->cmd[i], i);
    s->written_count = s->read_count = 0;
    s->recording = true;
    return SUBQ_OK;
}

static subq_status refuse_external(const subq_stream *s)
{
    if (!s) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: expected a stream, got NULL");
    if (s->external)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: records into a host command buffer; the host "
                                                      "submits it and waits for it");
    return SUBQ_OK;
}

static subq_status submit(subq_stream *s, VkSemaphore signal, uint64_t signal_value)
{
    subq_context *ctx = s->ctx;
    int i = s->current;
    if (s->queries)
        ctx->vk.vkCmdWriteTimestamp(s->cmd[i], VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, s->queries,
                                    (uint32_t)(2 * i + 1));
    s->recording = false;
    SUBQ_VK_TRY(ctx->vk.vkEndCommandBuffer(s->cmd[i]));
    SUBQ_VK_TRY(ctx->vk.vkResetFences(ctx->device, 1, &s->fence[i]));
    s->sync.signal = signal;
    s->sync.signal_value = signal_value;
    subq_status status = subq_queue_submit_sync(ctx, s->cmd[i], s->fence[i], &s->sync);
    s->sync = (subq_queue_sync){0};
    SUBQ_TRY(status);
    s->pending[i] = true;
    s->current ^= 1;
    return SUBQ_OK;
}

subq_status subq_stream_submit(subq_stream *s)
{
    SUBQ_TRY(refuse_external(s));
    return s->recording ? submit(s, VK_NULL_HANDLE, 0) : SUBQ_OK;
}

subq_status subq_stream_submit_signal(subq_stream *s, VkSemaphore semaphore, uint64_t value)
{
    SUBQ_TRY(refuse_external(s));
    if (!s->recording) SUBQ_TRY(begin_recording(s));
    return submit(s, semaphore, value);
}

subq_status subq_stream_wait_semaphore(subq_stream *s, VkSemaphore semaphore, uint64_t value)
{
    SUBQ_TRY(refuse_external(s));
    subq_queue_sync *sync = &s->sync;
    for (uint32_t i = 0; i < sync->wait_count; i++)
        if (sync->wait[i] == semaphore) {
            if (sync->wait_value[i] < value) sync->wait_value[i] = value;
            return SUBQ_OK;
        }
    if (sync->wait_count == SUBQ_MAX_SEMAPHORE_WAITS)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "stream: more than %d semaphores to wait for before one "
                                                 "submission", SUBQ_MAX_SEMAPHORE_WAITS);
    sync->wait[sync->wait_count] = semaphore;
    sync->wait_value[sync->wait_count++] = value;
    return SUBQ_OK;
}

subq_status subq_stream_wait(subq_stream *s)
{
    SUBQ_TRY(refuse_external(s));
    SUBQ_TRY(subq_stream_submit(s));
    SUBQ_TRY(finish_one(s, s->current));     /* the older batch */
    SUBQ_TRY(finish_one(s, s->current ^ 1)); /* the newest batch */
    if (atomic_load(&s->ctx->validation_messages))
        return subq_fail(SUBQ_ERROR_VALIDATION, "the Vulkan validation layer reported %u message(s); "
                                                "see stderr", atomic_load(&s->ctx->validation_messages));
    return SUBQ_OK;
}

subq_status subq_stream_gpu_time_ms(const subq_stream *s, double *milliseconds)
{
    SUBQ_TRY(refuse_external(s));
    if (!milliseconds) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "milliseconds: expected a non-NULL pointer");
    if (!s->queries) return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s' has no compute timestamps",
                                      s->ctx->info.name);
    if (!s->has_time) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: no submission has finished yet");
    *milliseconds = s->last_ms;
    return SUBQ_OK;
}

subq_status subq_stream_set_profiling(subq_stream *s, int enabled)
{
    SUBQ_TRY(refuse_external(s));
    if (s->recording)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: has recorded work not yet submitted; submit it "
                                                      "before switching profiling");
    if (!enabled == !s->profile) return SUBQ_OK;
    SUBQ_TRY(finish_one(s, 0)); /* the query pool must outlive the batches that use it */
    SUBQ_TRY(finish_one(s, 1));
    if (s->profile) {
        subq_profile_destroy(s->ctx, s->profile);
        s->profile = NULL;
        return SUBQ_OK;
    }
    return subq_profile_create(s->ctx, &s->profile);
}

subq_status subq_stream_profile(const subq_stream *s, const subq_profile_entry **entries, int *count)
{
    SUBQ_TRY(refuse_external(s));
    if (!entries || !count) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "entries, count: expected non-NULL pointers");
    if (!s->profile) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: profiling is off "
                                                                   "(subq_stream_set_profiling)");
    subq_profile_entries(s->profile, entries, count);
    return SUBQ_OK;
}

/* The dispatch just recorded ends behind a barrier, so nothing recorded before needs tracking. */
static void profile_mark(subq_stream *s, const char *name, const char *statistics)
{
    subq_profile_mark(s->ctx, s->profile, s->cmd[s->current], s->current, name, statistics);
    s->written_count = s->read_count = 0;
}

static bool touches(const tracked_range *list, uint32_t count, const tracked_range *r)
{
    for (uint32_t i = 0; i < count; i++)
        if (list[i].buffer == r->buffer && list[i].begin < r->end && r->begin < list[i].end) return true;
    return false;
}

static void track_hazards(subq_stream *s, const subq_arg *args, uint32_t count, const subq_binding *b)
{
    tracked_range ranges[SUBQ_MAX_BINDINGS];
    bool barrier = s->written_count + count > MAX_TRACKED || s->read_count + count > MAX_TRACKED;
    for (uint32_t i = 0; i < count; i++) {
        ranges[i] = (tracked_range){b[i].buffer, b[i].offset, b[i].offset + b[i].range};
        barrier = barrier || touches(s->written, s->written_count, &ranges[i]) ||
                  (args[i].writes && touches(s->read, s->read_count, &ranges[i]));
    }
    if (barrier) {
        subq_cmd_full_barrier(s->ctx, s->cmd[s->current]);
        s->written_count = s->read_count = 0;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (args[i].writes) s->written[s->written_count++] = ranges[i];
        else s->read[s->read_count++] = ranges[i];
    }
}

static subq_status bind_args(subq_stream *s, const subq_kernel *kernel, const subq_arg *args,
                             subq_binding *bindings)
{
    const subq_context *ctx = s->ctx;
    for (uint32_t i = 0; i < kernel->bindings; i++) {
        const subq_tensor *t = args[i].tensor;
        if (t->storage->ctx != ctx)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: argument %u belongs to another context",
                             kernel->shader->name, i);
        bindings[i] = subq_tensor_binding(t);
        if (bindings[i].range > ctx->info.max_storage_buffer_range)
            return subq_fail(SUBQ_ERROR_UNSUPPORTED,
                             "%s: argument %u spans %llu bytes; device '%s' binds at most %llu bytes per "
                             "buffer (maxStorageBufferRange)", kernel->shader->name, i,
                             (unsigned long long)bindings[i].range, ctx->info.name,
                             (unsigned long long)ctx->info.max_storage_buffer_range);
    }
    return SUBQ_OK;
}

subq_status subq_stream_dispatch(subq_stream *s, const subq_kernel *kernel, const subq_arg *args,
                                 const void *push, const uint32_t groups[3])
{
    subq_context *ctx = s->ctx;
    subq_binding bindings[SUBQ_MAX_BINDINGS];
    SUBQ_TRY(bind_args(s, kernel, args, bindings));
    subq_pipeline *pipeline;
    SUBQ_TRY(subq_pipeline_get(ctx, kernel, &pipeline));
    if (!s->recording) SUBQ_TRY(begin_recording(s));
    VkCommandBuffer cmd = s->cmd[s->current];
    track_hazards(s, args, kernel->bindings, bindings);

    VkDescriptorBufferInfo infos[SUBQ_MAX_BINDINGS];
    VkWriteDescriptorSet writes[SUBQ_MAX_BINDINGS];
    for (uint32_t i = 0; i < kernel->bindings; i++) {
        infos[i] = (VkDescriptorBufferInfo){bindings[i].buffer, bindings[i].offset, bindings[i].range};
        writes[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                           .dstBinding = i, .descriptorCount = 1,
                                           .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                           .pBufferInfo = &infos[i]};
    }
    ctx->vk.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, subq_pipeline_handle(pipeline));
    ctx->vk.vkCmdPushDescriptorSetKHR(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, subq_pipeline_layout(pipeline),
                                      0, kernel->bindings, writes);
    if (kernel->push_bytes)
        ctx->vk.vkCmdPushConstants(cmd, subq_pipeline_layout(pipeline), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                                   kernel->push_bytes, push);
    ctx->vk.vkCmdDispatch(cmd, groups[0], groups[1], groups[2]);
    if (s->profile) profile_mark(s, kernel->shader->name, subq_pipeline_statistics(pipeline));
    return SUBQ_OK;
}

subq_status subq_stream_foreign_begin(subq_stream *s, VkCommandBuffer *cmd)
{
    if (!s->recording) SUBQ_TRY(begin_recording(s));
    *cmd = s->cmd[s->current];
    subq_cmd_full_barrier(s->ctx, *cmd);
    return SUBQ_OK;
}

void subq_stream_foreign_end(subq_stream *s)
{
    subq_cmd_full_barrier(s->ctx, s->cmd[s->current]);
    s->written_count = s->read_count = 0;
    if (s->profile) profile_mark(s, "vkfft", NULL);
}

subq_status subq_groups_1d(const subq_context *ctx, uint64_t invocations, uint32_t width,
                           uint32_t groups[3])
{
    uint64_t total = (invocations + width - 1) / width;
    uint64_t max_x = ctx->info.max_workgroup_count[0], max_y = ctx->info.max_workgroup_count[1];
    uint64_t y = (total + max_x - 1) / max_x;
    if (y > max_y)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "%llu invocations exceed the device's workgroup-count "
                                                 "limits", (unsigned long long)invocations);
    groups[0] = (uint32_t)(y > 1 ? (total + y - 1) / y : total);
    groups[1] = (uint32_t)y;
    groups[2] = 1;
    return SUBQ_OK;
}
