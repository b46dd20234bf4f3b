/* The fused 2D FFT convolution (fused_2d.h). Shader: fft_conv_fused_2d.comp. */
#include "fft/fused_2d.h"

#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

/* Measured on an H100 (B = 8, C = 256, 64 x 64 images, 127 x 127 kernels; ms per call; the
 * general path 0.608): 256 invocations of 8 points 0.216, of 4 points 0.274; 512 of 4 points
 * 0.237. The kernel is bound by the latency of each round's chain of barriers more than by its
 * arithmetic or memory: loading the next round's rows, the round's spectrum bins and the
 * epilogue's inputs ahead of the FFTs took the default from 0.320 to 0.216 (and 128 invocations
 * of 8 points, before that change, took 0.396). */
#define TARGET_THREADS 256u
#define POINTS_PER_THREAD 8u

enum { HAS_PRE = 1, HAS_POST = 2, HAS_SHORTCUT = 4 };

typedef struct fused_2d_push {
    uint32_t x_first, spectrum_first, pre_first, post_first, shortcut_first, y_first;
    uint32_t x_stride[2], y_stride[2], pre_stride[2], post_stride[2], spectrum_stride[2];
    uint32_t shortcut_stride;
    uint32_t batch, channels;
} fused_2d_push;
_Static_assert(sizeof(fused_2d_push) <= 128, "push constants: Vulkan guarantees only 128 bytes");

static uint32_t workgroup_threads(const subq_context *ctx)
{
    uint32_t threads = TARGET_THREADS;
    while (threads > 1 && (threads > ctx->info.max_workgroup_invocations || threads > ctx->info.max_workgroup_size[0]))
        threads /= 2;
    return threads;
}

static uint32_t log2_of(int64_t power_of_two)
{
    uint32_t log = 0;
    while (((int64_t)1 << log) < power_of_two) log++;
    return log;
}

/* Mirrors the shader's two shared arrays: the half spectrum of the image's rows (rounded up to
 * pairs, each row padded against bank conflicts) and the FFT scratch. */
static uint64_t shared_bytes(const subq_fft_layout *l, uint32_t threads)
{
    uint64_t half = (uint64_t)l->fft[1] / 2, column_threads = (uint64_t)l->fft[0] / POINTS_PER_THREAD;
    uint64_t rows = ((uint64_t)l->size[0] + 1) / 2 * 2;
    uint64_t stride = ((half + 31) & ~(uint64_t)31) + (column_threads >= 32 ? 1 : (32 / column_threads) % 32);
    uint64_t scratch = (uint64_t)threads * POINTS_PER_THREAD * 33 / 32;
    return 4 * (2 * rows * stride + scratch);
}

static bool axis_fits(int64_t fft, int64_t fold, uint32_t threads)
{
    return fft == fold && fft >= POINTS_PER_THREAD && fft <= (int64_t)threads * POINTS_PER_THREAD &&
           (fft & (fft - 1)) == 0;
}

bool subq_fft_conv_fused_2d_supports(const subq_context *ctx, const subq_fft_layout *l)
{
    if (!ctx || l->axes != 2 || l->causal) return false;
    uint32_t threads = workgroup_threads(ctx);
    return axis_fits(l->fft[0], l->fold[0], threads) && axis_fits(l->fft[1], l->fold[1], threads) &&
           shared_bytes(l, threads) <= ctx->info.max_shared_memory_bytes;
}

subq_status subq_fft_conv_fused_2d_order_spectrum(subq_stream *stream, const subq_fft_layout *l,
                                                  const subq_tensor *bins, subq_tensor *ordered)
{
    int64_t rows = bins->shape[0], f0 = l->fft[0], columns = l->fft[1] / 2 + 1;
    int64_t shape[4] = {rows, f0, columns, 2};
    int64_t from_strides[4] = {bins->strides[0], 2 * columns, 2, 1};
    int64_t to_strides[4] = {ordered->strides[0], 2, 2 * f0, 1};
    subq_tensor *from = NULL, *to = NULL;
    subq_status status = subq_tensor_view(bins, 0, 4, shape, from_strides, &from);
    if (status == SUBQ_OK) status = subq_tensor_view(ordered, 0, 4, shape, to_strides, &to);
    if (status == SUBQ_OK) status = subq_tensor_copy(stream, from, to);
    subq_tensor_destroy(from);
    subq_tensor_destroy(to);
    return status;
}

/* The spatial axes are dense: only batch and channel strides travel; the spectrum's in complex
 * values (the kernel object's spectrum is dense from its binding's start). */
static fused_2d_push make_push(const subq_fft_conv_call *c, const subq_tensor *spectrum)
{
    fused_2d_push p = {
        .x_first = subq_push_first(c->x), .spectrum_first = subq_push_first(spectrum) / 2,
        .pre_first = subq_push_first(c->pre), .post_first = subq_push_first(c->post),
        .shortcut_first = subq_push_first(c->shortcut), .y_first = subq_push_first(c->y),
        .shortcut_stride = c->shortcut ? (uint32_t)c->shortcut->strides[0] : 0,
        .batch = (uint32_t)c->batch, .channels = (uint32_t)c->channels,
    };
    subq_push_batch_channel_strides(p.x_stride, c->x);
    subq_push_batch_channel_strides(p.y_stride, c->y);
    subq_push_batch_channel_strides(p.pre_stride, c->pre);
    subq_push_batch_channel_strides(p.post_stride, c->post);
    subq_push_batch_channel_strides(p.spectrum_stride, spectrum);
    p.spectrum_stride[0] /= 2;
    p.spectrum_stride[1] /= 2;
    return p;
}

subq_status subq_fft_conv_fused_2d(const subq_fft_conv_call *c)
{
    const subq_fft_layout *l = subq_fft_kernel_layout(c->kernel);
    const subq_tensor *spectrum = subq_fft_kernel_spectrum(c->kernel);
    subq_context *ctx = subq_stream_context(c->stream);
    fused_2d_push push = make_push(c, spectrum);
    uint32_t threads = workgroup_threads(ctx);
    uint32_t flags = (c->pre ? HAS_PRE : 0) | (c->post ? HAS_POST : 0) | (c->shortcut ? HAS_SHORTCUT : 0);
    const subq_tensor *floats[6] = {c->x, NULL, c->pre, c->post, c->shortcut, c->y};
    subq_kernel kernel = {
        .shader = subq_shader_for_dtypes(&subq_shader_fft_conv_fused_2d, &subq_shader_fft_conv_fused_2d_16, 6, floats),
        .bindings = 6, .push_bytes = sizeof push, .spec_count = 7,
        .spec = {threads, log2_of(l->fft[0]), log2_of(l->fft[1]), (uint32_t)l->size[0], (uint32_t)l->size[1], flags,
                 subq_tensor_dtype_codes(6, floats)}};
    const subq_tensor *x = c->x;
    subq_arg args[6] = {{x, false}, {spectrum, false}, {c->pre ? c->pre : x, false}, {c->post ? c->post : x, false},
                        {c->shortcut ? c->shortcut : x, false}, {c->y, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(ctx, (uint64_t)c->batch * c->channels * threads, threads, groups));
    return subq_stream_dispatch(c->stream, &kernel, args, &push, groups);
}
