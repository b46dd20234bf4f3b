/* subq_vulkan.h: contexts on a host application's Vulkan device, tensors over its buffers. */
#include <stdlib.h>

#include "runtime/instance.h"
#include "subq/subq_vulkan.h"

static const char *const required_extensions[] = {VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME, NULL};
static const char *const optional_extensions[] = {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
                                                  VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME,
                                                  VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME, NULL};

const char *const *subq_vulkan_required_device_extensions(void) { return required_extensions; }
const char *const *subq_vulkan_optional_device_extensions(void) { return optional_extensions; }

static subq_status check_host(const subq_vulkan_device *host)
{
    if (!host) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "host: expected a subq_vulkan_device, got NULL");
    if (!host->get_instance_proc_addr)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "host->get_instance_proc_addr: expected the host's "
                                                      "vkGetInstanceProcAddr, got NULL");
    if (!host->instance || !host->physical_device || !host->device || !host->queue)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "host: instance, physical_device, device and queue "
                                                      "must all be set");
    if (!host->lock_queue != !host->unlock_queue)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "host->lock_queue and host->unlock_queue: give both "
                                                      "or neither");
    return SUBQ_OK;
}

subq_status subq_context_create_vulkan(const subq_vulkan_device *host, const subq_context_options *options,
                                       subq_context **context)
{
    if (!context) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a non-NULL pointer");
    *context = NULL;
    SUBQ_TRY(check_host(host));
    if (options && options->pipeline_statistics == SUBQ_TOGGLE_ON)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "options.pipeline_statistics: only a context that creates its "
                                                 "own device (subq_context_create) can enable it");
    SUBQ_TRY(subq_vulkan_load_custom(host->get_instance_proc_addr, host->instance));
    subq_context *ctx;
    SUBQ_TRY(subq_context_alloc(&ctx));
    ctx->instance = host->instance;
    ctx->physical = host->physical_device;
    ctx->device = host->device;
    ctx->queue = host->queue;
    ctx->queue_family = host->queue_family_index;
    ctx->lock_queue = host->lock_queue;
    ctx->unlock_queue = host->unlock_queue;
    ctx->queue_user = host->user;
    volkLoadDeviceTable(&ctx->vk, ctx->device);
    subq_context_options defaults = {0};
    subq_status status = subq_context_start_services(ctx, options ? options : &defaults);
    ctx->cooperative_matrix = host->cooperative_matrix_enabled && ctx->info.has_cooperative_matrix;
    if (status != SUBQ_OK) {
        subq_context_destroy(ctx);
        return status;
    }
    *context = ctx;
    return SUBQ_OK;
}

subq_status subq_tensor_wrap_vulkan_buffer(subq_context *ctx, VkBuffer buffer, VkDeviceSize offset,
                                           VkDeviceSize size, subq_dtype dtype, int rank,
                                           const int64_t *shape, subq_tensor **tensor)
{
    if (!ctx) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!buffer) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "buffer: expected a VkBuffer, got VK_NULL_HANDLE");
    if (!tensor) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "tensor: expected a non-NULL pointer");
    *tensor = NULL;
    size_t element = subq_dtype_size(dtype);
    if (!element) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "dtype: %d is not a subq_dtype", (int)dtype);
    if (offset % element)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "offset: %llu is not a multiple of the %zu-byte %s "
                                                      "element", (unsigned long long)offset, element,
                         subq_dtype_name(dtype));
    subq_storage *storage = calloc(1, sizeof *storage);
    if (!storage) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory wrapping a buffer");
    *storage = (subq_storage){.ctx = ctx, .buffer = buffer, .offset = offset, .bytes = size};
    atomic_init(&storage->refs, 1);
    subq_tensor base = {.storage = storage, .dtype = dtype, .rank = 1, .shape = {(int64_t)(size / element)},
                        .strides = {1}};
    subq_status status = size >= element ? subq_tensor_view(&base, 0, rank, shape, NULL, tensor)
                                         : subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "size: %llu bytes hold no "
                                                     "%s element", (unsigned long long)size, subq_dtype_name(dtype));
    if (atomic_fetch_sub(&storage->refs, 1) == 1) free(storage); /* the view, if made, holds it */
    return status;
}
