/* The Hyena mixer's projections at the PERF.md shape, 8 x 8192 tokens of 768 channels: QKV
 * (768 -> 2304, the GEMM target) and output (768 -> 768), with bias; the output projection again
 * on channels-first x ([8, 768, 8192] seen as [8, 8192, 768], as QKVSequenceMixer hands it over);
 * and the QKV projection with x, W, bias and y in f16 (fp32 accumulation), against cuBLAS fp16. */
#include <stdio.h>

#include "bench.h"

typedef struct linear_args {
    subq_tensor *x, *w, *bias, *y;
} linear_args;

static subq_status record(void *user, subq_stream *stream)
{
    linear_args *a = user;
    return subq_linear(stream, a->x, a->w, a->bias, a->y);
}

/* x [m, k]; with batch > 0, x stored [batch, k, m / batch] and seen as [batch, m / batch, k]. */
static subq_tensor *make_x(bench *b, subq_dtype dtype, int64_t m, int64_t k, int64_t batch)
{
    if (!batch) return bench_random_tensor_as(b, dtype, 2, (int64_t[]){m, k});
    int64_t l = m / batch;
    subq_tensor *stored = bench_random_tensor_as(b, dtype, 3, (int64_t[]){batch, k, l}), *x = NULL;
    if (stored) subq_tensor_view(stored, 0, 3, (int64_t[]){batch, l, k}, (int64_t[]){k * l, 1, l}, &x);
    subq_tensor_destroy(stored);
    return x;
}

static int run_shape(bench *b, subq_dtype dtype, int64_t m, int64_t k, int64_t n, int64_t channels_first_batch)
{
    linear_args a = {.x = make_x(b, dtype, m, k, channels_first_batch),
                     .w = bench_random_tensor_as(b, dtype, 2, (int64_t[]){n, k}),
                     .bias = bench_random_tensor_as(b, dtype, 1, &n)};
    int64_t batch = channels_first_batch;
    if (a.x && a.w && a.bias)
        subq_tensor_create(b->ctx, dtype, batch ? 3 : 2, batch ? (int64_t[]){batch, m / batch, n} : (int64_t[]){m, n},
                           &a.y);
    char desc[96];
    snprintf(desc, sizeof desc, "M=%lld K=%lld N=%lld bias%s%s", (long long)m, (long long)k, (long long)n,
             dtype == SUBQ_F16 ? " f16" : "", channels_first_batch ? " x channels-first" : "");
    double bytes = (double)subq_dtype_size(dtype) * (double)(m * k + n * k + m * n + n);
    int failed = !a.y ? bench_fail("linear tensors")
                      : bench_measure(b, "linear", desc, record, &a, bytes, 2.0 * (double)m * (double)n * (double)k);
    subq_tensor_destroy(a.x);
    subq_tensor_destroy(a.w);
    subq_tensor_destroy(a.bias);
    subq_tensor_destroy(a.y);
    return failed;
}

int bench_linear(bench *b)
{
    if (b->info.type == SUBQ_DEVICE_CPU) /* lavapipe: seconds */
        return run_shape(b, SUBQ_F32, 1024, 256, 768, 0) || run_shape(b, SUBQ_F32, 1024, 256, 256, 2) ||
               run_shape(b, SUBQ_F16, 512, 256, 768, 0);
    return run_shape(b, SUBQ_F32, 65536, 768, 2304, 0) || run_shape(b, SUBQ_F32, 65536, 768, 768, 0) ||
           run_shape(b, SUBQ_F32, 65536, 768, 768, 8) || run_shape(b, SUBQ_F16, 65536, 768, 2304, 0);
}
