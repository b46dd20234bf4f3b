#include "runtime/args.h"

#include <stdio.h>

const char *subq_format_shape(char *buf, size_t size, int rank, const int64_t *shape)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

subq_status subq_arg_stream(const subq_stream *stream)
{
    return stream ? SUBQ_OK : subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "stream: expected a stream, got NULL");
}

static subq_status check_context_and_rank(const char *name, const subq_tensor *t, const subq_stream *stream,
                                          int min_rank, int max_rank)
{
    if (t->storage->ctx != subq_stream_context(stream))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: belongs to another context than the stream", name);
    if (t->rank < min_rank || t->rank > max_rank) {
        if (min_rank == max_rank)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected rank %d, got %d", name, min_rank, t->rank);
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected rank %d..%d, got %d", name, min_rank,
                         max_rank, t->rank);
    }
    return SUBQ_OK;
}

subq_status subq_arg_tensor(const char *name, const subq_tensor *t, const subq_stream *stream,
                            subq_dtype dtype, int min_rank, int max_rank)
{
    if (!t) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected a tensor, got NULL", name);
    if (t->dtype != dtype)
        return subq_fail(t->dtype == SUBQ_F32 || t->dtype == SUBQ_I32 ? SUBQ_ERROR_INVALID_ARGUMENT
                                                                      : SUBQ_ERROR_UNSUPPORTED,
                         "%s: expected dtype %s, got %s", name, subq_dtype_name(dtype),
                         subq_dtype_name(t->dtype));
    return check_context_and_rank(name, t, stream, min_rank, max_rank);
}

subq_status subq_arg_float_tensor(const char *name, const subq_tensor *t, const subq_stream *stream,
                                  int min_rank, int max_rank)
{
    if (!t) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected a tensor, got NULL", name);
    if (t->dtype != SUBQ_F32 && t->dtype != SUBQ_F16 && t->dtype != SUBQ_BF16)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected dtype f32, f16 or bf16, got %s", name,
                         subq_dtype_name(t->dtype));
    if (t->dtype != SUBQ_F32 && !t->storage->ctx->info.has_16bit_storage)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "%s: %s tensors need a device with storageBuffer16BitAccess, "
                         "which %s lacks", name, subq_dtype_name(t->dtype), t->storage->ctx->info.name);
    return check_context_and_rank(name, t, stream, min_rank, max_rank);
}

subq_status subq_arg_shape(const char *name, const subq_tensor *t, int rank, const int64_t *shape)
{
    bool same = t->rank == rank;
    for (int i = 0; same && i < rank; i++) same = t->shape[i] == shape[i];
    if (same) return SUBQ_OK;
    char want[128], got[128];
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected shape %s, got %s", name,
                     subq_format_shape(want, sizeof want, rank, shape),
                     subq_format_shape(got, sizeof got, t->rank, t->shape));
}

subq_status subq_arg_dense(const char *name, const subq_tensor *t)
{
    if (subq_tensor_is_dense(t)) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected a dense row-major tensor, got a strided view",
                     name);
}

subq_status subq_arg_disjoint(const char *out_name, const subq_tensor *out, const char *in_name,
                              const subq_tensor *in)
{
    if (!in || !subq_tensors_overlap(out, in)) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: shares memory with %s; expected a separate output tensor",
                     out_name, in_name);
}

static bool same_view(const subq_tensor *a, const subq_tensor *b)
{
    if (a->storage != b->storage || a->offset != b->offset || a->dtype != b->dtype || a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i] || a->strides[i] != b->strides[i]) return false;
    return true;
}

subq_status subq_arg_disjoint_or_same(const char *out_name, const subq_tensor *out, const char *in_name,
                                      const subq_tensor *in)
{
    if (!in || same_view(out, in) || !subq_tensors_share_elements(out, in)) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: overlaps %s without being the same view; expected "
                                                  "either %s itself (in place) or separate memory",
                     out_name, in_name, in_name);
}

subq_status subq_arg_output(const char *name, const subq_tensor *t)
{
    for (int i = 0; i < t->rank; i++)
        if (t->strides[i] == 0 && t->shape[i] > 1)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: axis %d has stride 0; an output needs a "
                                                          "separate element for every index", name, i);
    if (subq_tensor_numel(t) > (int64_t)UINT32_MAX)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "%s: %lld elements; subq indexes at most 2^32 - 1 per tensor",
                         name, (long long)subq_tensor_numel(t));
    return SUBQ_OK;
}

subq_status subq_arg_activation(const char *name, subq_activation activation)
{
    if (activation >= SUBQ_ACTIVATION_NONE && activation <= SUBQ_ACTIVATION_SOFTPLUS) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: %d is not a subq_activation (expected "
                                                  "SUBQ_ACTIVATION_NONE .. SUBQ_ACTIVATION_SOFTPLUS)",
                     name, (int)activation);
}

subq_status subq_arg_channel_taps(const subq_stream *stream, const subq_tensor *weight, const subq_tensor *bias,
                                  int64_t channels)
{
    SUBQ_TRY(subq_arg_float_tensor("weight", weight, stream, 2, 2));
    SUBQ_TRY(subq_arg_shape("weight", weight, 2, (int64_t[]){channels, weight->shape[1]}));
    if (!bias) return SUBQ_OK;
    SUBQ_TRY(subq_arg_float_tensor("bias", bias, stream, 1, 1));
    return subq_arg_shape("bias", bias, 1, &channels);
}
