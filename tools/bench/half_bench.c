/* Half precision at rest (issue: f16/bf16 everywhere): the gated causal FFT conv
 * y = post * (conv(pre * x, k) + D * pre * x) with x, pre, post, D and y in f16 at FlashFFTConv's
 * shapes (B = 64, C = 768, L = 1K/4K/8K; its paper's H100 times 0.29 / 1.43 / 3.58 ms), the kernel's
 * spectrum fp32; and the Hyena QKV projection 65536 x 768 -> 2304 with x, W, bias and y in f16
 * (fp32 accumulation), against cuBLAS fp16 in bench/torch_anchors.py. */
#include <stdio.h>

#include "bench.h"

typedef struct conv_args {
    subq_tensor *x, *pre, *post, *shortcut, *y, *kernel_weights;
    subq_fft_kernel *kernel;
} conv_args;

static subq_status record_conv(void *user, subq_stream *stream)
{
    conv_args *a = user;
    subq_fft_conv_extras extras = {.pre = a->pre, .post = a->post, .shortcut = a->shortcut};
    return subq_fft_conv(stream, a->x, a->kernel, &extras, a->y);
}

static int gated_conv(bench *b, int64_t batch, int64_t channels, int64_t length)
{
    int64_t shape[3] = {batch, channels, length}, k_shape[3] = {1, channels, length};
    conv_args a = {.x = bench_random_tensor_as(b, SUBQ_F16, 3, shape), .pre = bench_random_tensor_as(b, SUBQ_F16, 3, shape),
                   .post = bench_random_tensor_as(b, SUBQ_F16, 3, shape),
                   .shortcut = bench_random_tensor_as(b, SUBQ_F16, 1, &channels),
                   .kernel_weights = bench_random_tensor(b, 3, k_shape)};
    int failed = !a.x || !a.pre || !a.post || !a.shortcut || !a.kernel_weights ||
                 subq_tensor_create(b->ctx, SUBQ_F16, 3, shape, &a.y) != SUBQ_OK;
    subq_fft_conv_options options = {.causal = 1};
    if (!failed)
        failed = subq_fft_kernel_create(b->stream, a.kernel_weights, 1, &length, &options, &a.kernel) != SUBQ_OK ||
                 subq_stream_submit(b->stream) != SUBQ_OK || subq_stream_wait(b->stream) != SUBQ_OK;
    char desc[96];
    snprintf(desc, sizeof desc, "B=%lld C=%lld L=%lld causal gated f16", (long long)batch, (long long)channels,
             (long long)length);
    failed = failed ? bench_fail("fft_conv f16 tensors")
                    : bench_measure(b, "fft_conv", desc, record_conv, &a, 8.0 * (double)(batch * channels * length), 0);
    subq_fft_kernel_destroy(a.kernel);
    subq_tensor *all[] = {a.x, a.pre, a.post, a.shortcut, a.y, a.kernel_weights};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    return failed;
}

typedef struct linear_args {
    subq_tensor *x, *w, *bias, *y;
} linear_args;

static subq_status record_linear(void *user, subq_stream *stream)
{
    linear_args *a = user;
    return subq_linear(stream, a->x, a->w, a->bias, a->y);
}

static int linear(bench *b, int64_t m, int64_t k, int64_t n)
{
    linear_args a = {.x = bench_random_tensor_as(b, SUBQ_F16, 2, (int64_t[]){m, k}),
                     .w = bench_random_tensor_as(b, SUBQ_F16, 2, (int64_t[]){n, k}),
                     .bias = bench_random_tensor_as(b, SUBQ_F16, 1, &n)};
    int failed = !a.x || !a.w || !a.bias || subq_tensor_create(b->ctx, SUBQ_F16, 2, (int64_t[]){m, n}, &a.y) != SUBQ_OK;
    char desc[96];
    snprintf(desc, sizeof desc, "M=%lld K=%lld N=%lld bias f16", (long long)m, (long long)k, (long long)n);
    failed = failed ? bench_fail("linear f16 tensors")
                    : bench_measure(b, "linear", desc, record_linear, &a, 2.0 * (double)(m * k + n * k + m * n + n),
                                    2.0 * (double)m * (double)n * (double)k);
    subq_tensor *all[] = {a.x, a.w, a.bias, a.y};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    return failed;
}

int bench_half(bench *b)
{
    if (b->info.type == SUBQ_DEVICE_CPU) return gated_conv(b, 2, 16, 1024) || linear(b, 512, 256, 768);
    return gated_conv(b, 64, 768, 1024) || gated_conv(b, 64, 768, 4096) || gated_conv(b, 64, 768, 8192) ||
           linear(b, 65536, 768, 2304);
}
