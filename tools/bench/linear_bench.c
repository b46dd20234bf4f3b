/* The Hyena mixer's projections at the PERF.md shape, 8 x 8192 tokens of 768 channels: QKV
 * (768 -> 2304, the GEMM target) and output (768 -> 768), with bias. */
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

static int run_shape(bench *b, int64_t m, int64_t k, int64_t n)
{
    linear_args a = {.x = bench_random_tensor(b, 2, (int64_t[]){m, k}),
                     .w = bench_random_tensor(b, 2, (int64_t[]){n, k}), .bias = bench_random_tensor(b, 1, &n)};
    if (a.x && a.w && a.bias) subq_tensor_create(b->ctx, SUBQ_F32, 2, (int64_t[]){m, n}, &a.y);
    char desc[96];
    snprintf(desc, sizeof desc, "M=%lld K=%lld N=%lld bias", (long long)m, (long long)k, (long long)n);
    double bytes = 4.0 * (double)(m * k + n * k + m * n + n);
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
    if (b->info.type == SUBQ_DEVICE_CPU) return run_shape(b, 1024, 256, 768); /* lavapipe: seconds */
    return run_shape(b, 65536, 768, 2304) || run_shape(b, 65536, 768, 768);
}
