#include "runtime/pipeline_disk_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/disk_cache.h"

#define MAGIC "SUBQPIPE"
#define MAX_CACHE_BYTES ((size_t)256 << 20)

/* Our header in front of the driver's data: a file written by another device or driver is not
 * fed to this one (drivers check too, but not all of them reliably). */
typedef struct file_header {
    char magic[8];
    uint32_t vendor_id, device_id, driver_version, reserved;
    uint8_t cache_uuid[VK_UUID_SIZE];
    uint64_t data_bytes;
} file_header;

static void expected_header(const subq_context *ctx, file_header *h)
{
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(ctx->physical, &props);
    memset(h, 0, sizeof *h);
    memcpy(h->magic, MAGIC, sizeof h->magic);
    h->vendor_id = props.vendorID;
    h->device_id = props.deviceID;
    h->driver_version = props.driverVersion;
    memcpy(h->cache_uuid, props.pipelineCacheUUID, VK_UUID_SIZE);
}

/* The cached bytes if the file is intact and made by this device and driver, else NULL. */
static void *read_cache(const subq_context *ctx, const char *path, size_t *bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    file_header want, got;
    expected_header(ctx, &want);
    void *data = NULL;
    bool ok = fread(&got, sizeof got, 1, f) == 1 &&
              memcmp(&got, &want, offsetof(file_header, data_bytes)) == 0 &&
              got.data_bytes > 0 && got.data_bytes <= MAX_CACHE_BYTES;
    if (ok && (data = malloc(got.data_bytes)) && fread(data, 1, got.data_bytes, f) == got.data_bytes &&
        fgetc(f) == EOF) {
        *bytes = got.data_bytes;
    } else {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

subq_status subq_pipeline_disk_cache_open(subq_context *ctx)
{
    size_t bytes = 0;
    void *data = NULL;
    if (ctx->cache_dir[0]) {
        snprintf(ctx->pipelines.cache_path, sizeof ctx->pipelines.cache_path, "%s/pipelines-%04x-%04x.bin",
                 ctx->cache_dir, ctx->info.vendor_id, ctx->info.device_id);
        data = read_cache(ctx, ctx->pipelines.cache_path, &bytes);
    }
    VkPipelineCacheCreateInfo info = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                      .initialDataSize = bytes, .pInitialData = data};
    VkResult result = ctx->vk.vkCreatePipelineCache(ctx->device, &info, NULL, &ctx->pipelines.cache);
    if (result != VK_SUCCESS && data) { /* the driver refused our bytes: start empty */
        info.initialDataSize = 0;
        info.pInitialData = NULL;
        result = ctx->vk.vkCreatePipelineCache(ctx->device, &info, NULL, &ctx->pipelines.cache);
    }
    free(data);
    return result == VK_SUCCESS ? SUBQ_OK : subq_fail_vk(result, "vkCreatePipelineCache");
}

static void write_cache(const subq_context *ctx, const void *data, size_t bytes)
{
    file_header h;
    expected_header(ctx, &h);
    h.data_bytes = bytes;
    subq_disk_cache_write(ctx->pipelines.cache_path, &h, sizeof h, data, bytes);
}

void subq_pipeline_disk_cache_close(subq_context *ctx)
{
    if (!ctx->pipelines.cache) return;
    size_t bytes = 0;
    void *data = NULL;
    if (ctx->pipelines.cache_path[0] &&
        ctx->vk.vkGetPipelineCacheData(ctx->device, ctx->pipelines.cache, &bytes, NULL) == VK_SUCCESS &&
        bytes > 0 && bytes <= MAX_CACHE_BYTES && (data = malloc(bytes)) &&
        ctx->vk.vkGetPipelineCacheData(ctx->device, ctx->pipelines.cache, &bytes, data) == VK_SUCCESS)
        write_cache(ctx, data, bytes);
    free(data);
    ctx->vk.vkDestroyPipelineCache(ctx->device, ctx->pipelines.cache, NULL);
    ctx->pipelines.cache = VK_NULL_HANDLE;
}
