/* Host <-> device copies through one host-visible staging buffer per context, in chunks. */
#include <string.h>

#include "runtime/runtime.h"

#define STAGING_BYTES ((VkDeviceSize)16 << 20)

static uint32_t host_memory_type(const subq_context *ctx, uint32_t allowed)
{
    const VkMemoryPropertyFlags coherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                           VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkPhysicalDeviceMemoryProperties *props = &ctx->memory_properties;
    uint32_t fallback = UINT32_MAX;
    for (uint32_t i = 0; i < props->memoryTypeCount; i++) {
        VkMemoryPropertyFlags flags = props->memoryTypes[i].propertyFlags;
        if (!(allowed & (1u << i)) || (flags & coherent) != coherent) continue;
        /* Cached memory makes downloads read at memory speed instead of uncached speed. */
        if (flags & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) return i;
        if (fallback == UINT32_MAX) fallback = i;
    }
    return fallback;
}

subq_status subq_staging_init(subq_context *ctx)
{
    subq_staging *s = &ctx->staging;
    if (mtx_init(&s->lock, mtx_plain) != thrd_success)
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "could not create a mutex");
    VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                    .queueFamilyIndex = ctx->queue_family};
    SUBQ_VK_TRY(ctx->vk.vkCreateCommandPool(ctx->device, &pool, NULL, &s->pool));
    VkCommandBufferAllocateInfo cmd = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = s->pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    SUBQ_VK_TRY(ctx->vk.vkAllocateCommandBuffers(ctx->device, &cmd, &s->cmd));
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    SUBQ_VK_TRY(ctx->vk.vkCreateFence(ctx->device, &fence, NULL, &s->fence));

    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = STAGING_BYTES,
                               .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    SUBQ_VK_TRY(ctx->vk.vkCreateBuffer(ctx->device, &info, NULL, &s->buffer));
    VkMemoryRequirements needs;
    ctx->vk.vkGetBufferMemoryRequirements(ctx->device, s->buffer, &needs);
    uint32_t type = host_memory_type(ctx, needs.memoryTypeBits);
    if (type == UINT32_MAX)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s' has no host-visible coherent memory",
                         ctx->info.name);
    VkMemoryAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                  .allocationSize = needs.size, .memoryTypeIndex = type};
    SUBQ_VK_TRY(ctx->vk.vkAllocateMemory(ctx->device, &alloc, NULL, &s->memory));
    SUBQ_VK_TRY(ctx->vk.vkBindBufferMemory(ctx->device, s->buffer, s->memory, 0));
    SUBQ_VK_TRY(ctx->vk.vkMapMemory(ctx->device, s->memory, 0, VK_WHOLE_SIZE, 0, &s->mapped));
    s->bytes = STAGING_BYTES;
    return SUBQ_OK;
}

void subq_staging_release(subq_context *ctx)
{
    subq_staging *s = &ctx->staging;
    if (s->memory) ctx->vk.vkFreeMemory(ctx->device, s->memory, NULL);
    if (s->buffer) ctx->vk.vkDestroyBuffer(ctx->device, s->buffer, NULL);
    if (s->fence) ctx->vk.vkDestroyFence(ctx->device, s->fence, NULL);
    if (s->pool) ctx->vk.vkDestroyCommandPool(ctx->device, s->pool, NULL);
    mtx_destroy(&s->lock);
}

/* One chunk: a barrier orders it after work submitted earlier (streams not yet waited on), then a
 * copy between the staging buffer and the device buffer. */
static subq_status copy_chunk(subq_context *ctx, VkBuffer device_buffer, VkDeviceSize device_offset,
                              VkDeviceSize bytes, bool to_device)
{
    subq_staging *s = &ctx->staging;
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    SUBQ_VK_TRY(ctx->vk.vkResetCommandBuffer(s->cmd, 0));
    SUBQ_VK_TRY(ctx->vk.vkBeginCommandBuffer(s->cmd, &begin));
    subq_cmd_full_barrier(ctx, s->cmd);
    VkBufferCopy region = {.srcOffset = to_device ? 0 : device_offset,
                           .dstOffset = to_device ? device_offset : 0, .size = bytes};
    if (to_device)
        ctx->vk.vkCmdCopyBuffer(s->cmd, s->buffer, device_buffer, 1, &region);
    else
        ctx->vk.vkCmdCopyBuffer(s->cmd, device_buffer, s->buffer, 1, &region);
    /* Make the copy visible to later command buffers (and to the host, for downloads). */
    VkMemoryBarrier barrier = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT |
                                                VK_ACCESS_SHADER_WRITE_BIT};
    ctx->vk.vkCmdPipelineBarrier(s->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                                 &barrier, 0, NULL, 0, NULL);
    SUBQ_VK_TRY(ctx->vk.vkEndCommandBuffer(s->cmd));
    SUBQ_VK_TRY(ctx->vk.vkResetFences(ctx->device, 1, &s->fence));
    SUBQ_TRY(subq_queue_submit(ctx, s->cmd, s->fence));
    return subq_fence_wait(ctx, s->fence, to_device ? "tensor upload" : "tensor download");
}

static subq_status transfer(subq_context *ctx, VkBuffer buffer, VkDeviceSize offset, void *host,
                            VkDeviceSize bytes, bool to_device)
{
    subq_staging *s = &ctx->staging;
    subq_status status = SUBQ_OK;
    mtx_lock(&s->lock);
    for (VkDeviceSize done = 0; done < bytes && status == SUBQ_OK;) {
        VkDeviceSize n = bytes - done < s->bytes ? bytes - done : s->bytes;
        if (to_device) memcpy(s->mapped, (char *)host + done, n);
        status = copy_chunk(ctx, buffer, offset + done, n, to_device);
        if (status == SUBQ_OK && !to_device) memcpy((char *)host + done, s->mapped, n);
        done += n;
    }
    mtx_unlock(&s->lock);
    return status;
}

subq_status subq_staging_write(subq_context *ctx, VkBuffer buffer, VkDeviceSize offset,
                               const void *host, VkDeviceSize bytes)
{
    return transfer(ctx, buffer, offset, (void *)host, bytes, true);
}

subq_status subq_staging_read(subq_context *ctx, VkBuffer buffer, VkDeviceSize offset, void *host,
                              VkDeviceSize bytes)
{
    return transfer(ctx, buffer, offset, host, bytes, false);
}
