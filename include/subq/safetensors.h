/* safetensors files, memory-mapped and validated before use: an 8-byte little-endian header
 * length, a JSON header {name: {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__":
 * {string: string}}, then the tensor bytes. Opening checks everything a reader could trip on: the
 * header length against the file, the JSON (strict, depth-limited), known dtypes, shape products
 * (overflow-checked) against the byte ranges, ranges in bounds, tiling the data without overlaps
 * or holes, unique names, string-only metadata. A hostile file is SUBQ_ERROR_INVALID_ARGUMENT (or
 * SUBQ_ERROR_IO when it cannot be read) with a message naming the tensor and what is wrong. */
#ifndef SUBQ_SAFETENSORS_H
#define SUBQ_SAFETENSORS_H
#include "subq/subq.h"
#ifdef __cplusplus
extern "C" {
#endif

#define SUBQ_SAFETENSORS_MAX_RANK 8
/* The largest header this reader accepts (safetensors' own limit). */
#define SUBQ_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)

typedef enum subq_safetensors_dtype {
    SUBQ_SAFETENSORS_BOOL = 0,
    SUBQ_SAFETENSORS_U8,
    SUBQ_SAFETENSORS_I8,
    SUBQ_SAFETENSORS_I16,
    SUBQ_SAFETENSORS_U16,
    SUBQ_SAFETENSORS_F16,
    SUBQ_SAFETENSORS_BF16,
    SUBQ_SAFETENSORS_I32,
    SUBQ_SAFETENSORS_U32,
    SUBQ_SAFETENSORS_F32,
    SUBQ_SAFETENSORS_F64,
    SUBQ_SAFETENSORS_I64,
    SUBQ_SAFETENSORS_U64,
} subq_safetensors_dtype;

typedef struct subq_safetensors subq_safetensors;

typedef struct subq_safetensors_tensor {
    const char *name; /* valid while the file is open */
    subq_safetensors_dtype dtype;
    int32_t rank;
    int64_t shape[SUBQ_SAFETENSORS_MAX_RANK];
    int64_t numel;
    const void *data; /* bytes inside the mapping; not necessarily aligned */
    uint64_t bytes;
} subq_safetensors_tensor;

/* Map and validate path. */
subq_status subq_safetensors_open(const char *path, subq_safetensors **file);
/* Validate size bytes at data (borrowed: they must outlive the handle). */
subq_status subq_safetensors_open_memory(const void *data, size_t size, subq_safetensors **file);
void subq_safetensors_close(subq_safetensors *file);

/* Tensors in the order of their data offsets. */
int32_t subq_safetensors_count(const subq_safetensors *file);
subq_status subq_safetensors_get(const subq_safetensors *file, int32_t index, subq_safetensors_tensor *tensor);
/* SUBQ_ERROR_INVALID_ARGUMENT naming `name` when the file has no such tensor. */
subq_status subq_safetensors_find(const subq_safetensors *file, const char *name, subq_safetensors_tensor *tensor);
/* The __metadata__ value for key, or NULL when absent. Valid while the file is open. */
const char *subq_safetensors_metadata(const subq_safetensors *file, const char *key);
/* Convert a floating-point tensor (F16, BF16, F32, F64) to count = numel f32 values. */
subq_status subq_safetensors_read_f32(const subq_safetensors_tensor *tensor, float *values, int64_t count);
const char *subq_safetensors_dtype_name(subq_safetensors_dtype dtype);

#ifdef __cplusplus
}
#endif
#endif
