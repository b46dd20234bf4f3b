#include "fft/fft_plan_disk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/disk_cache.h"

#define MAGIC "SUBQFFTP"
#define FORMAT 1 /* bump when the plan configuration in fft_plan.c changes */
#define MAX_BINARY_BYTES ((uint64_t)64 << 20)

typedef struct file_header {
    char magic[8];
    uint32_t format, vkfft_version;
    uint32_t vendor_id, device_id, driver_version, reserved;
    uint8_t device_uuid[16];
    subq_fft_plan_key key;
    uint64_t binary_bytes;
    uint64_t checksum;
} file_header;

static void expected_header(const subq_context *ctx, uint32_t version, const subq_fft_plan_key *key,
                            file_header *h)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, MAGIC, sizeof h->magic);
    h->format = FORMAT;
    h->vkfft_version = version;
    h->vendor_id = ctx->info.vendor_id;
    h->device_id = ctx->info.device_id;
    h->driver_version = ctx->info.driver_version;
    memcpy(h->device_uuid, ctx->info.device_uuid, sizeof h->device_uuid);
    h->key = *key;
}

/* The name carries a hash of everything the header checks, so that plans never share a file. */
static bool file_path(const subq_context *ctx, const file_header *h, char *path, size_t size)
{
    if (!ctx->cache_dir[0]) return false;
    unsigned long long id = subq_fnv1a(SUBQ_FNV_OFFSET, h, offsetof(file_header, binary_bytes));
    snprintf(path, size, "%s/vkfft-%04x-%04x-%016llx.bin", ctx->cache_dir, h->vendor_id, h->device_id, id);
    return true;
}

void *subq_fft_plan_disk_load(const subq_context *ctx, uint32_t version, const subq_fft_plan_key *key,
                              size_t *bytes)
{
    file_header want, got;
    char path[1100];
    expected_header(ctx, version, key, &want);
    FILE *f = file_path(ctx, &want, path, sizeof path) ? fopen(path, "rb") : NULL;
    if (!f) return NULL;
    void *binary = NULL;
    bool ok = fread(&got, sizeof got, 1, f) == 1 && memcmp(&got, &want, offsetof(file_header, binary_bytes)) == 0 &&
              got.binary_bytes > 0 && got.binary_bytes <= MAX_BINARY_BYTES &&
              (binary = malloc(got.binary_bytes)) && fread(binary, 1, got.binary_bytes, f) == got.binary_bytes &&
              fgetc(f) == EOF && subq_fnv1a(SUBQ_FNV_OFFSET, binary, got.binary_bytes) == got.checksum;
    fclose(f);
    if (!ok) {
        free(binary);
        return NULL;
    }
    *bytes = got.binary_bytes;
    return binary;
}

void subq_fft_plan_disk_save(const subq_context *ctx, uint32_t version, const subq_fft_plan_key *key,
                             const void *binary, size_t bytes)
{
    file_header h;
    char path[1100];
    expected_header(ctx, version, key, &h);
    if (!file_path(ctx, &h, path, sizeof path) || bytes == 0 || bytes > MAX_BINARY_BYTES) return;
    h.binary_bytes = bytes;
    h.checksum = subq_fnv1a(SUBQ_FNV_OFFSET, binary, bytes);
    subq_disk_cache_write(path, &h, sizeof h, binary, bytes);
}
