/* Device memory: a small arena of our own rather than VMA (C++). subq's tensors are few, large and
 * long-lived, so blocks of 64 MiB with a sorted first-fit free list serve them; a request over half
 * a block gets a block of its own, freed with it. Each block is one VkBuffer over its whole memory,
 * so binding a tensor is (block buffer, offset). */
#include <stdlib.h>

#include "runtime/runtime.h"

#define BLOCK_BYTES ((VkDeviceSize)64 << 20)
#define ALLOCATION_ALIGNMENT 256
#define MAX_FREE_RANGES 256

typedef struct free_range {
    VkDeviceSize offset, size;
} free_range;

struct subq_block {
    subq_block *next;
    VkDeviceMemory memory;
    VkBuffer buffer;
    VkDeviceSize size;
    uint32_t free_count;
    free_range free[MAX_FREE_RANGES];
};

VkBuffer subq_block_buffer(const subq_block *block) { return block->buffer; }

static VkDeviceSize align_up(VkDeviceSize value, VkDeviceSize alignment)
{
    return (value + alignment - 1) / alignment * alignment;
}

static uint32_t find_memory_type(const subq_context *ctx, uint32_t allowed, VkMemoryPropertyFlags want)
{
    const VkPhysicalDeviceMemoryProperties *props = &ctx->memory_properties;
    for (uint32_t i = 0; i < props->memoryTypeCount; i++)
        if ((allowed & (1u << i)) && (props->memoryTypes[i].propertyFlags & want) == want) return i;
    return UINT32_MAX;
}

static const VkBufferUsageFlags BUFFER_USAGE = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                               VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                               VK_BUFFER_USAGE_TRANSFER_DST_BIT;

static void block_destroy(subq_context *ctx, subq_block *block)
{
    if (block->buffer) ctx->vk.vkDestroyBuffer(ctx->device, block->buffer, NULL);
    if (block->memory) ctx->vk.vkFreeMemory(ctx->device, block->memory, NULL);
    free(block);
}

static subq_status block_create(subq_context *ctx, VkDeviceSize size, subq_block **out)
{
    subq_block *block = calloc(1, sizeof *block);
    if (!block) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for a memory block");
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size,
                               .usage = BUFFER_USAGE, .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult result = ctx->vk.vkCreateBuffer(ctx->device, &info, NULL, &block->buffer);
    VkMemoryRequirements needs = {0};
    if (result == VK_SUCCESS) {
        ctx->vk.vkGetBufferMemoryRequirements(ctx->device, block->buffer, &needs);
        VkMemoryAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = needs.size,
                                      .memoryTypeIndex = ctx->memory.memory_type};
        result = ctx->vk.vkAllocateMemory(ctx->device, &alloc, NULL, &block->memory);
    }
    if (result == VK_SUCCESS) result = ctx->vk.vkBindBufferMemory(ctx->device, block->buffer, block->memory, 0);
    if (result != VK_SUCCESS) {
        block_destroy(ctx, block);
        if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
            return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "device memory exhausted allocating %llu bytes "
                                                       "on '%s'", (unsigned long long)size, ctx->info.name);
        return subq_fail_vk(result, "allocating a device memory block");
    }
    block->size = size;
    block->free_count = 1;
    block->free[0] = (free_range){0, size};
    *out = block;
    return SUBQ_OK;
}

subq_status subq_memory_init(subq_context *ctx)
{
    if (mtx_init(&ctx->memory.lock, mtx_plain) != thrd_success)
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "could not create a mutex");
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 4096,
                               .usage = BUFFER_USAGE, .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer probe;
    SUBQ_VK_TRY(ctx->vk.vkCreateBuffer(ctx->device, &info, NULL, &probe));
    VkMemoryRequirements needs;
    ctx->vk.vkGetBufferMemoryRequirements(ctx->device, probe, &needs);
    ctx->vk.vkDestroyBuffer(ctx->device, probe, NULL);
    ctx->memory.memory_type = find_memory_type(ctx, needs.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (ctx->memory.memory_type == UINT32_MAX)
        ctx->memory.memory_type = find_memory_type(ctx, needs.memoryTypeBits, 0);
    if (ctx->memory.memory_type == UINT32_MAX)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s' offers no memory type for storage buffers",
                         ctx->info.name);
    uint32_t heap = ctx->memory_properties.memoryTypes[ctx->memory.memory_type].heapIndex;
    ctx->memory.heap_bytes = ctx->memory_properties.memoryHeaps[heap].size;
    ctx->memory.block_size = BLOCK_BYTES;
    return SUBQ_OK;
}

void subq_memory_release(subq_context *ctx)
{
    while (ctx->memory.blocks) {
        subq_block *next = ctx->memory.blocks->next;
        block_destroy(ctx, ctx->memory.blocks);
        ctx->memory.blocks = next;
    }
    mtx_destroy(&ctx->memory.lock);
}

static bool take_from_block(subq_block *block, VkDeviceSize size, subq_allocation *out)
{
    for (uint32_t i = 0; i < block->free_count; i++) {
        free_range *range = &block->free[i];
        if (range->size < size) continue;
        *out = (subq_allocation){block, range->offset, size};
        range->offset += size;
        range->size -= size;
        if (range->size == 0) {
            for (uint32_t j = i + 1; j < block->free_count; j++) block->free[j - 1] = block->free[j];
            block->free_count--;
        }
        return true;
    }
    return false;
}

static subq_status allocate(subq_context *ctx, VkDeviceSize bytes, bool dedicated, subq_allocation *out)
{
    VkDeviceSize size = align_up(bytes ? bytes : 1, ALLOCATION_ALIGNMENT);
    /* Some drivers (lavapipe among them) would try to back an impossible request on the host. */
    if (size > ctx->memory.heap_bytes)
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "%llu bytes requested; device '%s' has %llu bytes of "
                                                   "device memory", (unsigned long long)bytes, ctx->info.name,
                         (unsigned long long)ctx->memory.heap_bytes);
    subq_status status = SUBQ_OK;
    mtx_lock(&ctx->memory.lock);
    bool own_block = dedicated || size > ctx->memory.block_size / 2;
    bool found = false;
    for (subq_block *b = ctx->memory.blocks; b && !own_block && !found; b = b->next)
        found = take_from_block(b, size, out);
    if (!found) {
        subq_block *block = NULL;
        status = block_create(ctx, own_block ? size : ctx->memory.block_size, &block);
        if (status == SUBQ_OK) {
            block->next = ctx->memory.blocks;
            ctx->memory.blocks = block;
            take_from_block(block, size, out);
        }
    }
    mtx_unlock(&ctx->memory.lock);
    return status;
}

subq_status subq_memory_alloc(subq_context *ctx, VkDeviceSize bytes, subq_allocation *out)
{
    return allocate(ctx, bytes, false, out);
}

subq_status subq_memory_alloc_dedicated(subq_context *ctx, VkDeviceSize bytes, subq_allocation *out)
{
    return allocate(ctx, bytes, true, out);
}

/* Insert the range keeping the list sorted, merging with neighbours. A full list (fragmentation
 * beyond MAX_FREE_RANGES) leaks the range until the block empties, never corrupts. */
static void give_back(subq_block *block, VkDeviceSize offset, VkDeviceSize size)
{
    uint32_t i = 0;
    while (i < block->free_count && block->free[i].offset < offset) i++;
    bool joins_left = i > 0 && block->free[i - 1].offset + block->free[i - 1].size == offset;
    bool joins_right = i < block->free_count && offset + size == block->free[i].offset;
    if (joins_left && joins_right) {
        block->free[i - 1].size += size + block->free[i].size;
        for (uint32_t j = i + 1; j < block->free_count; j++) block->free[j - 1] = block->free[j];
        block->free_count--;
    } else if (joins_left) {
        block->free[i - 1].size += size;
    } else if (joins_right) {
        block->free[i].offset = offset;
        block->free[i].size += size;
    } else if (block->free_count < MAX_FREE_RANGES) {
        for (uint32_t j = block->free_count; j > i; j--) block->free[j] = block->free[j - 1];
        block->free[i] = (free_range){offset, size};
        block->free_count++;
    }
}

void subq_memory_free(subq_context *ctx, subq_allocation *allocation)
{
    subq_block *block = allocation->block;
    if (!block) return;
    mtx_lock(&ctx->memory.lock);
    give_back(block, allocation->offset, allocation->size);
    bool empty = block->free_count == 1 && block->free[0].size == block->size;
    if (empty) {
        subq_block **link = &ctx->memory.blocks;
        while (*link != block) link = &(*link)->next;
        *link = block->next;
        block_destroy(ctx, block);
    }
    mtx_unlock(&ctx->memory.lock);
    allocation->block = NULL;
}
