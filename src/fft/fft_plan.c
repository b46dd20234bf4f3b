/* The VkFFT plan cache: the only file that includes vkFFT.h (it takes ~15 s to compile).
 *
 * VkFFT 1.2.26 facts this file designs around (third_party/vkfft/VERSION):
 *  - VkFFTAppend rewrites a plan's descriptor sets whenever the VkBuffer pointers it is given
 *    differ from the last ones: a pending command buffer would then use rewritten sets. So a plan
 *    is bound to one pair of buffers for life, and every append passes the same pointers.
 *  - Bluestein plans (prime factors > 13) write descriptor sets at creation before their own
 *    buffers exist (VK_NULL_HANDLE: validation errors, zero results). A plan is therefore created
 *    with no buffers at all, and the first append writes every set, Bluestein buffers included.
 *  - Real rows keep their padded pitch (2 * (F/2 + 1)) even on zero-padded axes: with a dense
 *    pitch VkFFT reads and writes past each row. Then both sides are the same size, which the
 *    inverse needs (it takes its output range from the spectrum's size).
 *  - No barrier before its first dispatch and none after its last: subq_stream_foreign_begin/end.
 *  - deleteVkFFT leaks an axis of every multi-pass plan (delete_extra_axes).
 *  - Plan creation compiles GLSL (0.25-0.8 s per plan on an H100), hence the cache here and the
 *    binaries on disk (fft_plan_disk.c); loading a binary takes milliseconds. */
#include "fft/fft_plan.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <glslang/Include/glslang_c_interface.h>
#include <vkFFT.h>

#include "fft/fft_plan_disk.h"

struct subq_fft_plan {
    subq_fft_plan *next;
    subq_fft_plan_key key;
    VkFFTApplication app;
    subq_tensor *real, *spectrum;
    VkBuffer real_buffer, spectrum_buffer; /* what VkFFT's buffer pointers point at, for life */
    uint64_t bytes;                        /* of each scratch tensor: VkFFT keeps a pointer to it */
};

struct subq_fft_plans {
    mtx_t lock; /* the list, plan creation, and VkFFTAppend (which updates its application) */
    subq_fft_plan *list;
    VkCommandPool pool; /* VkFFT's plan creation uploads tables through these */
    VkFence fence;
};

static once_flag glslang_once = ONCE_FLAG_INIT;
static int glslang_ready;
static void start_glslang(void) { glslang_ready = glslang_initialize_process(); }

subq_status subq_fft_plans_init(subq_context *ctx)
{
    subq_fft_plans *plans = calloc(1, sizeof *plans);
    if (!plans) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for the FFT plan cache");
    ctx->fft_plans = plans;
    if (mtx_init(&plans->lock, mtx_plain) != thrd_success)
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "could not create a mutex");
    VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                    .queueFamilyIndex = ctx->queue_family};
    SUBQ_VK_TRY(ctx->vk.vkCreateCommandPool(ctx->device, &pool, NULL, &plans->pool));
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    SUBQ_VK_TRY(ctx->vk.vkCreateFence(ctx->device, &fence, NULL, &plans->fence));
    return SUBQ_OK;
}

/* deleteVkFFT frees a plan's inverseBluesteinAxes only for Bluestein sizes, but multi-pass sizes
 * make one too (VkFFT 1.2.26): free them all first (deleteAxis clears what it frees). */
static void delete_extra_axes(VkFFTApplication *app, VkFFTPlan *plan)
{
    for (int i = 0; plan && i < 3; i++)
        for (int j = 0; j < 4; j++) deleteAxis(app, &plan->inverseBluesteinAxes[i][j]);
}

static void plan_destroy(subq_fft_plan *plan)
{
    delete_extra_axes(&plan->app, plan->app.localFFTPlan);
    delete_extra_axes(&plan->app, plan->app.localFFTPlan_inverse);
    deleteVkFFT(&plan->app);
    subq_tensor_destroy(plan->real);
    subq_tensor_destroy(plan->spectrum);
    free(plan);
}

void subq_fft_plans_release(subq_context *ctx)
{
    subq_fft_plans *plans = ctx->fft_plans;
    if (!plans) return;
    while (plans->list) {
        subq_fft_plan *next = plans->list->next;
        plan_destroy(plans->list);
        plans->list = next;
    }
    if (plans->fence) ctx->vk.vkDestroyFence(ctx->device, plans->fence, NULL);
    if (plans->pool) ctx->vk.vkDestroyCommandPool(ctx->device, plans->pool, NULL);
    mtx_destroy(&plans->lock);
    free(plans);
    ctx->fft_plans = NULL;
}

subq_tensor *subq_fft_plan_real(const subq_fft_plan *plan) { return plan->real; }
subq_tensor *subq_fft_plan_spectrum(const subq_fft_plan *plan) { return plan->spectrum; }

static subq_status fail_vkfft(VkFFTResult result, const char *what, const subq_fft_plan_key *key)
{
    if (result == VKFFT_ERROR_UNSUPPORTED_FFT_LENGTH_R2C)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "input_size: VkFFT 1.2.26 has no multi-pass real FFT of odd "
                                                 "length, and the last axis needs %llu points (circular padding "
                                                 "of an odd last axis works up to the device's one-pass size)",
                         (unsigned long long)key->size[key->axes - 1]);
    subq_status status = result >= VKFFT_ERROR_UNSUPPORTED_RADIX && result < VKFFT_ERROR_FAILED_TO_ALLOCATE
                             ? SUBQ_ERROR_UNSUPPORTED
                         : result == VKFFT_ERROR_MALLOC_FAILED || result == VKFFT_ERROR_FAILED_TO_ALLOCATE ||
                                 result == VKFFT_ERROR_FAILED_TO_ALLOCATE_MEMORY
                             ? SUBQ_ERROR_OUT_OF_MEMORY
                             : SUBQ_ERROR_VULKAN;
    return subq_fail(status, "VkFFT %s failed (VkFFTResult %d) for a %llu-axis FFT of %llu x %llu x %llu "
                             "points, %llu rows", what, (int)result, (unsigned long long)key->axes,
                     (unsigned long long)key->size[0], (unsigned long long)key->size[1],
                     (unsigned long long)key->size[2], (unsigned long long)key->rows);
}

/* VkFFT numbers axes from the contiguous one: its axis i is our axis axes-1-i. */
static VkFFTConfiguration plan_config(subq_context *ctx, subq_fft_plan *plan)
{
    const subq_fft_plan_key *k = &plan->key;
    subq_fft_plans *plans = ctx->fft_plans;
    VkFFTConfiguration c = {0};
    c.FFTdim = k->axes;
    c.physicalDevice = &ctx->physical;
    c.device = &ctx->device;
    c.queue = &ctx->queue;
    c.commandPool = &plans->pool;
    c.fence = &plans->fence;
    c.isCompilerInitialized = 1;
    c.performR2C = 1;
    c.numberBatches = k->rows;
    c.isInputFormatted = 1;
    c.inverseReturnToInputBuffer = k->inverse;
    c.makeForwardPlanOnly = !k->inverse;
    c.inputBufferSize = &plan->bytes;
    c.bufferSize = &plan->bytes;
    uint64_t real_stride = 2 * (k->size[k->axes - 1] / 2 + 1), complex_stride = real_stride / 2;
    for (uint64_t i = 0; i < 3; i++) {
        if (i < k->axes) {
            uint64_t axis = k->axes - 1 - i;
            c.size[i] = k->size[axis];
            c.performZeropadding[i] = k->valid[axis] < k->size[axis];
            c.fft_zeropad_left[i] = k->valid[axis];
            c.fft_zeropad_right[i] = k->size[axis];
            if (i > 0) {
                real_stride *= k->size[axis];
                complex_stride *= k->size[axis];
            }
        } else {
            c.size[i] = 1;
        }
        c.inputBufferStride[i] = real_stride;
        c.bufferStride[i] = complex_stride;
    }
    return c;
}

/* NaN in both scratch tensors from the start: a transform that read what it should skip (the
 * zero-padded part of a row) would give NaN rather than a plausible wrong number. */
static subq_status poison_scratch(subq_context *ctx, subq_fft_plan *plan)
{
    subq_fft_plans *plans = ctx->fft_plans;
    VkCommandBufferAllocateInfo info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                        .commandPool = plans->pool, .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                        .commandBufferCount = 1};
    VkCommandBuffer cmd;
    SUBQ_VK_TRY(ctx->vk.vkAllocateCommandBuffers(ctx->device, &info, &cmd));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult result = ctx->vk.vkBeginCommandBuffer(cmd, &begin);
    if (result == VK_SUCCESS) {
        ctx->vk.vkCmdFillBuffer(cmd, plan->real_buffer, 0, VK_WHOLE_SIZE, 0x7fc00000u);
        ctx->vk.vkCmdFillBuffer(cmd, plan->spectrum_buffer, 0, VK_WHOLE_SIZE, 0x7fc00000u);
        subq_cmd_full_barrier(ctx, cmd);
        result = ctx->vk.vkEndCommandBuffer(cmd);
    }
    subq_status status = result == VK_SUCCESS ? SUBQ_OK : subq_fail_vk(result, "recording the FFT scratch fill");
    if (status == SUBQ_OK) status = subq_queue_submit(ctx, cmd, plans->fence);
    if (status == SUBQ_OK) status = subq_fence_wait(ctx, plans->fence, "FFT scratch fill");
    if (status == SUBQ_OK) status = ctx->vk.vkResetFences(ctx->device, 1, &plans->fence) == VK_SUCCESS
                                        ? SUBQ_OK : subq_fail(SUBQ_ERROR_VULKAN, "vkResetFences failed");
    ctx->vk.vkFreeCommandBuffers(ctx->device, plans->pool, 1, &cmd);
    return status;
}

static subq_status create_scratch(subq_context *ctx, subq_fft_plan *plan)
{
    const subq_fft_plan_key *k = &plan->key;
    uint64_t spectrum_row = k->size[k->axes - 1] / 2 + 1;
    for (uint64_t a = 0; a + 1 < k->axes; a++) spectrum_row *= k->size[a];
    int64_t real_shape[2] = {(int64_t)k->rows, (int64_t)(2 * spectrum_row)};
    int64_t spectrum_shape[3] = {(int64_t)k->rows, (int64_t)spectrum_row, 2};
    SUBQ_TRY(subq_tensor_create_dedicated(ctx, SUBQ_F32, 2, real_shape, &plan->real));
    SUBQ_TRY(subq_tensor_create_dedicated(ctx, SUBQ_F32, 3, spectrum_shape, &plan->spectrum));
    plan->real_buffer = plan->real->storage->buffer;
    plan->spectrum_buffer = plan->spectrum->storage->buffer;
    plan->bytes = k->rows * spectrum_row * 8;
    return poison_scratch(ctx, plan);
}

/* initializeVkFFT from a saved binary if one matches, else from scratch (then saved). VkFFT submits
 * table uploads on the context's queue while it works, hence the queue lock. */
static VkFFTResult initialize(subq_context *ctx, subq_fft_plan *plan)
{
    VkFFTConfiguration c = plan_config(ctx, plan);
    size_t saved_bytes = 0;
    void *saved = subq_fft_plan_disk_load(ctx, (uint32_t)VkFFTGetVersion(), &plan->key, &saved_bytes);
    VkFFTResult result = VKFFT_ERROR_EMPTY_applicationString;
    subq_queue_lock(ctx);
    if (saved) {
        c.loadApplicationFromString = 1;
        c.loadApplicationString = saved;
        result = initializeVkFFT(&plan->app, c);
    }
    if (result != VKFFT_SUCCESS) { /* none saved, or VkFFT refused it: compile */
        deleteVkFFT(&plan->app);
        memset(&plan->app, 0, sizeof plan->app);
        c.loadApplicationFromString = 0;
        c.loadApplicationString = NULL;
        c.saveApplicationToString = ctx->cache_dir[0] != '\0';
        result = initializeVkFFT(&plan->app, c);
    }
    subq_queue_unlock(ctx);
    free(saved);
    if (result == VKFFT_SUCCESS && c.saveApplicationToString) {
        subq_fft_plan_disk_save(ctx, (uint32_t)VkFFTGetVersion(), &plan->key, plan->app.saveApplicationString,
                                plan->app.applicationStringSize);
        free(plan->app.saveApplicationString); /* VkFFT would keep it for the plan's life */
        plan->app.saveApplicationString = NULL;
    }
    return result;
}

static subq_status plan_create(subq_context *ctx, const subq_fft_plan_key *key, subq_fft_plan **out)
{
    call_once(&glslang_once, start_glslang);
    if (!glslang_ready)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "glslang_initialize_process failed: VkFFT cannot compile");
    subq_fft_plan *plan = calloc(1, sizeof *plan);
    if (!plan) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for an FFT plan");
    plan->key = *key;
    subq_status status = create_scratch(ctx, plan);
    VkFFTResult result = status == SUBQ_OK ? initialize(ctx, plan) : VKFFT_SUCCESS;
    if (result != VKFFT_SUCCESS) status = fail_vkfft(result, "plan creation", key);
    if (status != SUBQ_OK) {
        plan_destroy(plan); /* deleteVkFFT is safe on a failed or blank application */
        return status;
    }
    *out = plan;
    return SUBQ_OK;
}

subq_status subq_fft_plan_get(subq_context *ctx, const subq_fft_plan_key *key, subq_fft_plan **out)
{
    subq_fft_plans *plans = ctx->fft_plans;
    mtx_lock(&plans->lock);
    subq_fft_plan *plan = plans->list;
    while (plan && memcmp(&plan->key, key, sizeof *key) != 0) plan = plan->next;
    subq_status status = SUBQ_OK;
    if (!plan) {
        status = plan_create(ctx, key, &plan);
        if (status == SUBQ_OK) {
            plan->next = plans->list;
            plans->list = plan;
        }
    }
    mtx_unlock(&plans->lock);
    *out = plan;
    return status;
}

static subq_status append(subq_stream *stream, subq_fft_plan *plan, int direction)
{
    subq_context *ctx = subq_stream_context(stream);
    VkCommandBuffer cmd;
    SUBQ_TRY(subq_stream_foreign_begin(stream, &cmd));
    VkFFTLaunchParams launch = {.commandBuffer = &cmd, .inputBuffer = &plan->real_buffer,
                                .buffer = &plan->spectrum_buffer};
    mtx_lock(&ctx->fft_plans->lock);
    VkFFTResult result = VkFFTAppend(&plan->app, direction, &launch);
    mtx_unlock(&ctx->fft_plans->lock);
    subq_stream_foreign_end(stream);
    return result == VKFFT_SUCCESS ? SUBQ_OK : fail_vkfft(result, direction < 0 ? "forward" : "inverse", &plan->key);
}

subq_status subq_fft_plan_forward(subq_stream *stream, subq_fft_plan *plan) { return append(stream, plan, -1); }
subq_status subq_fft_plan_inverse(subq_stream *stream, subq_fft_plan *plan) { return append(stream, plan, 1); }
