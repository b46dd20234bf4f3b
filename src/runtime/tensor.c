/* Tensors: a shape, strides and offset over shared, reference-counted device storage. */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

size_t subq_dtype_size(subq_dtype dtype)
{
    switch (dtype) {
    case SUBQ_F32: return 4;
    case SUBQ_F16: return 2;
    case SUBQ_BF16: return 2;
    case SUBQ_I32: return 4;
    }
    return 0;
}

const char *subq_dtype_name(subq_dtype dtype)
{
    switch (dtype) {
    case SUBQ_F32: return "f32";
    case SUBQ_F16: return "f16";
    case SUBQ_BF16: return "bf16";
    case SUBQ_I32: return "i32";
    }
    return "unknown dtype";
}

static subq_status check_shape(const char *what, int rank, const int64_t *shape)
{
    if (rank < 1 || rank > SUBQ_MAX_RANK)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected rank 1..%d, got %d", what,
                         SUBQ_MAX_RANK, rank);
    if (!shape) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: shape is NULL", what);
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 1)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: dimension %d is %lld; expected >= 1",
                             what, i, (long long)shape[i]);
        if (numel > INT64_MAX / 8 / shape[i])
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: shape overflows 64-bit sizes", what);
        numel *= shape[i];
    }
    return SUBQ_OK;
}

static void dense_strides(int rank, const int64_t *shape, int64_t *strides)
{
    int64_t stride = 1;
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = stride;
        stride *= shape[i];
    }
}

static int64_t storage_elements(const subq_tensor *t)
{
    return (int64_t)(t->storage->bytes / subq_dtype_size(t->dtype));
}

static subq_status create(subq_context *ctx, subq_dtype dtype, int rank, const int64_t *shape, bool dedicated,
                          subq_tensor **tensor)
{
    if (!ctx) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!tensor) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "tensor: expected a non-NULL pointer");
    *tensor = NULL;
    if (subq_dtype_size(dtype) == 0)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "dtype: %d is not a subq_dtype", (int)dtype);
    SUBQ_TRY(check_shape("shape", rank, shape));
    subq_tensor *t = calloc(1, sizeof *t);
    subq_storage *storage = calloc(1, sizeof *storage);
    if (!t || !storage) {
        free(t);
        free(storage);
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a tensor");
    }
    t->dtype = dtype;
    t->rank = rank;
    memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
    dense_strides(rank, shape, t->strides);
    storage->bytes = (VkDeviceSize)subq_tensor_span(t) * subq_dtype_size(dtype);
    subq_status status = dedicated ? subq_memory_alloc_dedicated(ctx, storage->bytes, &storage->allocation)
                                   : subq_memory_alloc(ctx, storage->bytes, &storage->allocation);
    if (status != SUBQ_OK) {
        free(t);
        free(storage);
        return status;
    }
    storage->ctx = ctx;
    storage->buffer = subq_block_buffer(storage->allocation.block);
    storage->offset = storage->allocation.offset;
    atomic_init(&storage->refs, 1);
    t->storage = storage;
    *tensor = t;
    return SUBQ_OK;
}

subq_status subq_tensor_create(subq_context *ctx, subq_dtype dtype, int rank, const int64_t *shape,
                               subq_tensor **tensor)
{
    return create(ctx, dtype, rank, shape, false, tensor);
}

subq_status subq_tensor_create_dedicated(subq_context *ctx, subq_dtype dtype, int rank, const int64_t *shape,
                                         subq_tensor **tensor)
{
    return create(ctx, dtype, rank, shape, true, tensor);
}

subq_status subq_tensor_view(const subq_tensor *base, int64_t offset, int rank, const int64_t *shape,
                             const int64_t *strides, subq_tensor **view)
{
    if (!base) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "base: expected a tensor, got NULL");
    if (!view) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "view: expected a non-NULL pointer");
    *view = NULL;
    SUBQ_TRY(check_shape("shape", rank, shape));
    subq_tensor v = {.storage = base->storage, .dtype = base->dtype, .rank = rank,
                     .offset = base->offset + offset};
    memcpy(v.shape, shape, (size_t)rank * sizeof *shape);
    if (strides) {
        for (int i = 0; i < rank; i++)
            if (strides[i] < 0)
                return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "strides[%d]: expected >= 0, got %lld", i,
                                 (long long)strides[i]);
        memcpy(v.strides, strides, (size_t)rank * sizeof *strides);
    } else {
        dense_strides(rank, shape, v.strides);
    }
    if (v.offset < 0 || v.offset + subq_tensor_span(&v) > storage_elements(base))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT,
                         "view: offset %lld with this shape and strides reaches element %lld, past the "
                         "%lld elements of the base tensor's storage", (long long)offset,
                         (long long)(v.offset + subq_tensor_span(&v)), (long long)storage_elements(base));
    subq_tensor *t = malloc(sizeof *t);
    if (!t) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory creating a view");
    *t = v;
    atomic_fetch_add(&t->storage->refs, 1);
    *view = t;
    return SUBQ_OK;
}

void subq_tensor_destroy(subq_tensor *tensor)
{
    if (!tensor) return;
    subq_storage *storage = tensor->storage;
    if (atomic_fetch_sub(&storage->refs, 1) == 1) {
        subq_memory_free(storage->ctx, &storage->allocation);
        free(storage);
    }
    free(tensor);
}

int64_t subq_tensor_span(const subq_tensor *t)
{
    int64_t last = 0;
    for (int i = 0; i < t->rank; i++) last += (t->shape[i] - 1) * t->strides[i];
    return last + 1;
}

int64_t subq_tensor_numel(const subq_tensor *t)
{
    if (!t) return 0;
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->shape[i];
    return n;
}

bool subq_tensor_dense_from(const subq_tensor *t, int axis)
{
    int64_t expected = 1;
    for (int i = t->rank - 1; i >= axis; i--) {
        if (t->shape[i] != 1 && t->strides[i] != expected) return false;
        expected *= t->shape[i];
    }
    return true;
}

bool subq_tensor_is_dense(const subq_tensor *t)
{
    return subq_tensor_dense_from(t, 0);
}

static subq_status check_copy(const subq_tensor *t, const void *host, size_t bytes)
{
    if (!t) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "tensor: expected a tensor, got NULL");
    if (!host) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "host: expected a host pointer, got NULL");
    size_t expected = (size_t)subq_tensor_numel(t) * subq_dtype_size(t->dtype);
    if (bytes != expected)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "bytes: expected %zu (the tensor's size), got %zu",
                         expected, bytes);
    if (!subq_tensor_is_dense(t))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "tensor: upload and download need a dense "
                                                      "row-major tensor; this view has gaps or is permuted");
    return SUBQ_OK;
}

static VkDeviceSize byte_offset(const subq_tensor *t)
{
    return t->storage->offset + (VkDeviceSize)t->offset * subq_dtype_size(t->dtype);
}

subq_status subq_tensor_upload(subq_tensor *t, const void *host, size_t bytes)
{
    SUBQ_TRY(check_copy(t, host, bytes));
    return subq_staging_write(t->storage->ctx, t->storage->buffer, byte_offset(t), host, bytes);
}

subq_status subq_tensor_download(const subq_tensor *t, void *host, size_t bytes)
{
    SUBQ_TRY(check_copy(t, host, bytes));
    return subq_staging_read(t->storage->ctx, t->storage->buffer, byte_offset(t), host, bytes);
}

subq_binding subq_tensor_binding(const subq_tensor *t)
{
    const subq_context *ctx = t->storage->ctx;
    VkDeviceSize alignment = ctx->info.min_storage_buffer_offset_alignment;
    VkDeviceSize start = byte_offset(t);
    VkDeviceSize bound = start - start % alignment;
    size_t size = subq_dtype_size(t->dtype);
    return (subq_binding){
        .buffer = t->storage->buffer,
        .offset = bound,
        .range = (start - bound) + (VkDeviceSize)subq_tensor_span(t) * size,
        .first_element = (uint32_t)((start - bound) / size),
    };
}

static uint32_t dtype_code(const subq_tensor *t)
{
    return !t ? 0u : t->dtype == SUBQ_F16 ? 1u : t->dtype == SUBQ_BF16 ? 2u : 0u;
}

uint32_t subq_tensor_dtype_codes(int count, const subq_tensor *const *tensors)
{
    uint32_t codes = 0;
    for (int i = 0; i < count; i++) codes |= dtype_code(tensors[i]) << (2 * i);
    return codes;
}

const subq_shader *subq_shader_for_dtypes(const subq_shader *plain, const subq_shader *wide, int count,
                                          const subq_tensor *const *tensors)
{
    for (int i = 0; i < count; i++)
        if (dtype_code(tensors[i]) != 0u) return wide;
    return plain;
}

bool subq_tensors_overlap(const subq_tensor *a, const subq_tensor *b)
{
    if (a->storage->buffer != b->storage->buffer) return false;
    VkDeviceSize a0 = byte_offset(a), b0 = byte_offset(b);
    VkDeviceSize a1 = a0 + (VkDeviceSize)subq_tensor_span(a) * subq_dtype_size(a->dtype);
    VkDeviceSize b1 = b0 + (VkDeviceSize)subq_tensor_span(b) * subq_dtype_size(b->dtype);
    return a0 < b1 && b0 < a1;
}

subq_dtype subq_tensor_dtype(const subq_tensor *t) { return t ? t->dtype : SUBQ_F32; }
int subq_tensor_rank(const subq_tensor *t) { return t ? t->rank : 0; }

int64_t subq_tensor_dim(const subq_tensor *t, int axis)
{
    if (!t) return 0;
    if (axis < 0) axis += t->rank;
    return axis >= 0 && axis < t->rank ? t->shape[axis] : 0;
}

int64_t subq_tensor_stride(const subq_tensor *t, int axis)
{
    if (!t) return 0;
    if (axis < 0) axis += t->rank;
    return axis >= 0 && axis < t->rank ? t->strides[axis] : 0;
}
