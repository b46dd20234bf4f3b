#include "ops/cu_seqlens.h"

#include <stdlib.h>

#include "runtime/args.h"

subq_status subq_arg_cu_seqlens(const subq_stream *stream, const subq_tensor *cu_seqlens)
{
    SUBQ_TRY(subq_arg_tensor("cu_seqlens", cu_seqlens, stream, SUBQ_I32, 1, 1));
    SUBQ_TRY(subq_arg_dense("cu_seqlens", cu_seqlens));
    if (cu_seqlens->shape[0] < 2)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "cu_seqlens: expected R+1 >= 2 offsets (at least one "
                                                      "request), got %lld", (long long)cu_seqlens->shape[0]);
    if (cu_seqlens->shape[0] - 1 > INT32_MAX)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "cu_seqlens: %lld requests; subq takes at most 2^31 - 1",
                         (long long)cu_seqlens->shape[0] - 1);
    return SUBQ_OK;
}

static subq_status check_offsets(const int32_t *cu, int64_t count, int64_t tokens)
{
    if (cu[0] != 0)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "cu_seqlens[0]: expected 0, got %d", cu[0]);
    for (int64_t i = 1; i < count; i++)
        if (cu[i] < cu[i - 1])
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "cu_seqlens[%lld]: %d is below cu_seqlens[%lld] = %d; "
                                                          "expected non-decreasing offsets", (long long)i, cu[i],
                             (long long)i - 1, cu[i - 1]);
    if (cu[count - 1] != tokens)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "cu_seqlens[%lld]: the last offset is %d; expected T = %lld, "
                                                      "the tokens of x", (long long)count - 1, cu[count - 1],
                         (long long)tokens);
    return SUBQ_OK;
}

subq_status subq_check_cu_seqlens_values(subq_stream *stream, const subq_tensor *cu_seqlens, int64_t tokens,
                                         const int32_t *host)
{
    int64_t count = cu_seqlens->shape[0];
    if (host) return check_offsets(host, count, tokens);
    int32_t *copy = malloc((size_t)count * sizeof *copy);
    if (!copy) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory reading cu_seqlens");
    /* Work recorded earlier in the stream may write cu_seqlens: submit it so the download sees it. */
    subq_status status = subq_stream_submit(stream);
    if (status == SUBQ_OK) status = subq_tensor_download(cu_seqlens, copy, (size_t)count * sizeof *copy);
    if (status == SUBQ_OK) status = check_offsets(copy, count, tokens);
    free(copy);
    return status;
}
