/* Vulkan memory and timeline semaphores shared with CUDA through opaque file descriptors
 * (VK_KHR_external_memory_fd, VK_KHR_external_semaphore_fd): the NCCL backend's buffers and its
 * ordering between Vulkan and CUDA work. */
#include "cp/cp_export.h"

#include <unistd.h>

#include "subq/subq_vulkan.h"

static uint32_t device_local_type(const subq_context *ctx, uint32_t allowed)
{
    const VkPhysicalDeviceMemoryProperties *props = &ctx->memory_properties;
    for (uint32_t i = 0; i < props->memoryTypeCount; i++)
        if ((allowed & (1u << i)) && (props->memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
            return i;
    return UINT32_MAX;
}

static subq_status create_vulkan_side(subq_context *ctx, VkDeviceSize bytes, cp_shared_buffer *b,
                                      VkDeviceSize *allocation)
{
    VkExternalMemoryBufferCreateInfo external = {.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
                                                 .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .pNext = &external, .size = bytes,
                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                        VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    SUBQ_VK_TRY(ctx->vk.vkCreateBuffer(ctx->device, &info, NULL, &b->buffer));
    VkMemoryRequirements needs;
    ctx->vk.vkGetBufferMemoryRequirements(ctx->device, b->buffer, &needs);
    uint32_t type = device_local_type(ctx, needs.memoryTypeBits);
    if (type == UINT32_MAX)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s' has no device-local memory for exported buffers",
                         ctx->info.name);
    VkMemoryDedicatedAllocateInfo dedicated = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
                                               .buffer = b->buffer};
    VkExportMemoryAllocateInfo export = {.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO, .pNext = &dedicated,
                                         .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
    VkMemoryAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &export,
                                  .allocationSize = needs.size, .memoryTypeIndex = type};
    VkResult result = ctx->vk.vkAllocateMemory(ctx->device, &alloc, NULL, &b->memory);
    if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "device memory exhausted allocating a %llu-byte exchange buffer "
                                                   "on '%s'", (unsigned long long)bytes, ctx->info.name);
    if (result != VK_SUCCESS) return subq_fail_vk(result, "vkAllocateMemory (exportable)");
    SUBQ_VK_TRY(ctx->vk.vkBindBufferMemory(ctx->device, b->buffer, b->memory, 0));
    *allocation = needs.size;
    return SUBQ_OK;
}

static subq_status import_cuda_side(subq_context *ctx, const cuda_api *cu, VkDeviceSize bytes,
                                    VkDeviceSize allocation, cp_shared_buffer *b)
{
    VkMemoryGetFdInfoKHR get = {.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR, .memory = b->memory,
                                .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
    int fd = -1;
    SUBQ_VK_TRY(ctx->vk.vkGetMemoryFdKHR(ctx->device, &get, &fd));
    cu_external_memory_desc desc = {.type = CU_EXTERNAL_MEMORY_HANDLE_OPAQUE_FD, .handle.fd = fd,
                                    .size = allocation, .flags = CU_EXTERNAL_MEMORY_DEDICATED};
    cu_result result = cu->import_external_memory(&b->external, &desc);
    if (result != 0) {
        close(fd); /* CUDA owns the descriptor only once the import succeeded */
        return subq_cuda_fail(result, "cuImportExternalMemory");
    }
    cu_external_buffer_desc buffer = {.offset = 0, .size = bytes};
    SUBQ_CU_TRY(cu->external_memory_get_mapped_buffer(&b->pointer, b->external, &buffer));
    return SUBQ_OK;
}

subq_status cp_shared_buffer_create(subq_context *ctx, const cuda_api *cu, VkDeviceSize bytes, cp_shared_buffer *b)
{
    *b = (cp_shared_buffer){0};
    VkDeviceSize allocation = 0;
    subq_status status = create_vulkan_side(ctx, bytes, b, &allocation);
    if (status == SUBQ_OK) status = import_cuda_side(ctx, cu, bytes, allocation, b);
    int64_t elements = (int64_t)(bytes / sizeof(float));
    if (status == SUBQ_OK)
        status = subq_tensor_wrap_vulkan_buffer(ctx, b->buffer, 0, bytes, SUBQ_F32, 1, &elements, &b->tensor);
    if (status != SUBQ_OK) cp_shared_buffer_destroy(ctx, cu, b);
    return status;
}

void cp_shared_buffer_destroy(subq_context *ctx, const cuda_api *cu, cp_shared_buffer *b)
{
    subq_tensor_destroy(b->tensor);
    if (b->pointer) cu->mem_free(b->pointer);
    if (b->external) cu->destroy_external_memory(b->external);
    if (b->buffer) ctx->vk.vkDestroyBuffer(ctx->device, b->buffer, NULL);
    if (b->memory) ctx->vk.vkFreeMemory(ctx->device, b->memory, NULL);
    *b = (cp_shared_buffer){0};
}

subq_status cp_shared_semaphore_create(subq_context *ctx, const cuda_api *cu, cp_shared_semaphore *s)
{
    *s = (cp_shared_semaphore){0};
    VkSemaphoreTypeCreateInfo timeline = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                          .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
    VkExportSemaphoreCreateInfo export = {.sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO, .pNext = &timeline,
                                          .handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
    VkSemaphoreCreateInfo info = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &export};
    SUBQ_VK_TRY(ctx->vk.vkCreateSemaphore(ctx->device, &info, NULL, &s->semaphore));
    VkSemaphoreGetFdInfoKHR get = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR, .semaphore = s->semaphore,
                                   .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
    int fd = -1;
    SUBQ_VK_TRY(ctx->vk.vkGetSemaphoreFdKHR(ctx->device, &get, &fd));
    cu_external_semaphore_desc desc = {.type = CU_EXTERNAL_SEMAPHORE_HANDLE_TIMELINE_FD, .handle.fd = fd};
    cu_result result = cu->import_external_semaphore(&s->external, &desc);
    if (result != 0) {
        close(fd);
        return subq_cuda_fail(result, "cuImportExternalSemaphore");
    }
    return SUBQ_OK;
}

void cp_shared_semaphore_destroy(subq_context *ctx, const cuda_api *cu, cp_shared_semaphore *s)
{
    if (s->external) cu->destroy_external_semaphore(s->external);
    if (s->semaphore) ctx->vk.vkDestroySemaphore(ctx->device, s->semaphore, NULL);
    *s = (cp_shared_semaphore){0};
}
