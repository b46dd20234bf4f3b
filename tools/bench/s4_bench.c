/* The lrnnx family: FFTConvS4 forward (S4D, ZOH) at B=16, H=768, L=4096, d_state 64 (32 modes),
 * channels 1, with the kernel cached as at inference; the same forward with the kernel
 * regenerated every call (weights reloaded are not timed: the cache is invalidated by the rate);
 * and opt_ssm_forward at three shapes, one per strategy (K, B_, C complex). Traffic counted: x read
 * and y written once. */
#include <stdio.h>

#include "bench.h"

typedef struct s4_args {
    subq_fftconv_s4 *m;
    subq_tensor *x, *y;
    int flip; /* alternate the rate between two values: the kernel is regenerated each call */
} s4_args;

static subq_status record_s4(void *user, subq_stream *stream)
{
    s4_args *a = user;
    double rate = a->flip ? (a->flip++ % 2 ? 1.0 : 1.0 + 1e-9) : 1.0;
    return subq_fftconv_s4_forward(stream, a->m, a->x, NULL, rate, a->y, NULL);
}

static int bench_module(bench *b)
{
    int64_t B = 16, H = 768, L = 4096;
    if (b->info.type == SUBQ_DEVICE_CPU) B = 1, H = 64, L = 1024;
    subq_fftconv_s4_config cfg = {.d_model = H, .kernel_type = SUBQ_S4_KERNEL_S4D, .d_state = 64};
    s4_args a = {0};
    int64_t xs[3] = {B, H, L}, ys[4] = {B, 1, H, L};
    if (subq_fftconv_s4_create(b->ctx, &cfg, &a.m) != SUBQ_OK || subq_fftconv_s4_init(a.m, 7) != SUBQ_OK)
        return bench_fail(subq_last_error());
    a.x = bench_random_tensor(b, 3, xs);
    if (!a.x || subq_tensor_create(b->ctx, SUBQ_F32, 4, ys, &a.y) != SUBQ_OK) return bench_fail("s4 tensors");
    char desc[128];
    double bytes = 8.0 * (double)(B * H * L);
    snprintf(desc, sizeof desc, "FFTConvS4 s4d B=%lld H=%lld L=%lld N=64 C=1 kernel cached", (long long)B,
             (long long)H, (long long)L);
    int failed = bench_measure(b, "s4", desc, record_s4, &a, bytes, 0);
    a.flip = 1;
    snprintf(desc, sizeof desc, "FFTConvS4 s4d B=%lld H=%lld L=%lld N=64 C=1 kernel each call", (long long)B,
             (long long)H, (long long)L);
    failed |= bench_measure(b, "s4", desc, record_s4, &a, bytes, 0);
    subq_stream_wait(b->stream);
    subq_fftconv_s4_destroy(a.m);
    subq_tensor_destroy(a.x), subq_tensor_destroy(a.y);
    return failed;
}

typedef struct ssm_args {
    subq_lrnnx_workspace *ws;
    subq_tensor *x, *k, *bp, *cp, *y;
} ssm_args;

static subq_status record_ssm(void *user, subq_stream *stream)
{
    ssm_args *a = user;
    return subq_opt_ssm_forward(stream, a->ws, a->x, a->k, a->bp, a->cp, NULL, a->y);
}

static int bench_ssm(bench *b, int64_t B, int64_t L, int64_t h, int64_t n)
{
    if (b->info.type == SUBQ_DEVICE_CPU) L = 256, B = B > 4 ? 4 : B;
    ssm_args a = {0};
    int64_t xs[3] = {B, L, h}, ks[3] = {n, L, 2}, bs[3] = {n, h, 2}, cs[3] = {h, n, 2};
    a.x = bench_random_tensor(b, 3, xs), a.k = bench_random_tensor(b, 3, ks);
    a.bp = bench_random_tensor(b, 3, bs), a.cp = bench_random_tensor(b, 3, cs);
    int failed = !a.x || !a.k || !a.bp || !a.cp || subq_tensor_create(b->ctx, SUBQ_F32, 3, xs, &a.y) != SUBQ_OK ||
                 subq_lrnnx_workspace_create(b->ctx, &a.ws) != SUBQ_OK;
    if (!failed) {
        char desc[128];
        snprintf(desc, sizeof desc, "opt_ssm_forward B=%lld L=%lld H=%lld N=%lld strategy %d", (long long)B,
                 (long long)L, (long long)h, (long long)n, (int)subq_opt_ssm_choose(B, h, h, n));
        failed = bench_measure(b, "s4", desc, record_ssm, &a, 8.0 * (double)(B * L * h), 0);
    } else {
        failed = bench_fail("opt_ssm tensors");
    }
    subq_stream_wait(b->stream);
    subq_lrnnx_workspace_destroy(a.ws);
    subq_tensor *all[] = {a.x, a.k, a.bp, a.cp, a.y};
    for (int i = 0; i < 5; i++) subq_tensor_destroy(all[i]);
    return failed;
}

int bench_s4(bench *b)
{
    int failed = bench_module(b);
    failed |= bench_ssm(b, 16, 4096, 4, 64);    /* strategy 1: 1/4 + 1/4 > 1/16 + 1/64, 16 <= 64 */
    failed |= bench_ssm(b, 8, 4096, 256, 64);   /* strategy 2: N <= H_in */
    failed |= bench_ssm(b, 16, 4096, 64, 128);  /* fallback */
    return failed;
}
