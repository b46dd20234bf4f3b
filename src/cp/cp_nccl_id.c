/* NCCL unique ids: making one, text for files and environment variables, and the rendezvous by
 * SUBQ_NCCL_ID or a file that rank 0 writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp/cuda_api.h"
#include "runtime/runtime.h"

subq_status subq_nccl_id_create(subq_nccl_id *id)
{
    if (!id) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "id: expected a non-NULL pointer");
    const nccl_api *nccl;
    SUBQ_TRY(subq_nccl_load(&nccl));
    nccl_unique_id unique;
    SUBQ_NCCL_TRY(nccl->get_unique_id(&unique));
    memcpy(id->bytes, unique.internal, sizeof id->bytes);
    return SUBQ_OK;
}

subq_status subq_nccl_id_to_text(const subq_nccl_id *id, char text[SUBQ_NCCL_ID_TEXT_BYTES])
{
    if (!id) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "id: expected an id, got NULL");
    if (!text) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "text: expected %d bytes, got NULL",
                                SUBQ_NCCL_ID_TEXT_BYTES);
    for (int i = 0; i < SUBQ_NCCL_ID_BYTES; i++) snprintf(text + 2 * i, 3, "%02x", id->bytes[i]);
    return SUBQ_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static subq_status parse(const char *name, const char *text, subq_nccl_id *id)
{
    size_t n = strcspn(text, "\r\n");
    if (n != 2 * SUBQ_NCCL_ID_BYTES)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected %d hex digits (subq_nccl_id_to_text), got %zu "
                                                      "characters", name, 2 * SUBQ_NCCL_ID_BYTES, n);
    for (int i = 0; i < SUBQ_NCCL_ID_BYTES; i++) {
        int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: character %d is not a hex digit", name,
                             hi < 0 ? 2 * i : 2 * i + 1);
        id->bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    return SUBQ_OK;
}

subq_status subq_nccl_id_from_text(const char *text, subq_nccl_id *id)
{
    if (!text) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "text: expected hex digits, got NULL");
    if (!id) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "id: expected a non-NULL pointer");
    return parse("text", text, id);
}

/* Written to path.tmp, then renamed: readers never see half an id. */
static subq_status publish(const char *path, const subq_nccl_id *id)
{
    char text[SUBQ_NCCL_ID_TEXT_BYTES], tmp[4096];
    subq_nccl_id_to_text(id, text);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *file = fopen(tmp, "w");
    bool written = file && fputs(text, file) >= 0;
    if (file && fclose(file) != 0) written = false;
    if (!written || rename(tmp, path) != 0)
        return subq_fail(SUBQ_ERROR_IO, "path: could not write the NCCL id to %s", path);
    return SUBQ_OK;
}

static subq_status await(const char *path, subq_nccl_id *id)
{
    double limit_s = subq_timeout_seconds();
    struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
    for (double waited = 0; waited < limit_s; waited += 0.01) {
        FILE *file = fopen(path, "r");
        if (file) {
            char text[SUBQ_NCCL_ID_TEXT_BYTES + 2] = {0};
            size_t n = fread(text, 1, sizeof text - 1, file);
            fclose(file);
            text[n] = '\0';
            return parse(path, text, id);
        }
        nanosleep(&pause, NULL);
    }
    return subq_fail(SUBQ_ERROR_IO, "path: rank 0 did not write the NCCL id to %s within %.0f s (SUBQ_TIMEOUT_S)",
                     path, limit_s);
}

subq_status subq_nccl_id_rendezvous(const char *path, int rank, subq_nccl_id *id)
{
    if (!id) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "id: expected a non-NULL pointer");
    if (rank < 0) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "rank: expected >= 0, got %d", rank);
    const char *env = getenv("SUBQ_NCCL_ID");
    if (env && *env) return parse("SUBQ_NCCL_ID", env, id);
    if (!path || !*path)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "path: expected a file path (or SUBQ_NCCL_ID set), got none");
    if (rank > 0) return await(path, id);
    SUBQ_TRY(subq_nccl_id_create(id));
    return publish(path, id);
}
