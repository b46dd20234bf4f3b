/* The fused causal FFT convolution (fused_causal.h). Shaders: fft_conv_fused.comp and
 * fft_conv_fused_split.comp, one source (fft_conv_fused.glsl) with two shared-memory layouts. */
#include "fft/fused_causal.h"

#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

/* Defaults measured on an H100 (fp32 B = 16, C = 768 up to L = 4096, B = 8 at 8192; f16 at rest
 * B = 64; ms per call; "gated" has pre, post and shortcut), the fastest of the plans tried:
 *  - L = 1024, pairs of rows in 2048-point FFTs: 16 points per invocation with the passes
 *    unrolled 0.081 (looped 0.109; 8 points 0.106 unrolled, 0.138 looped; 32 points 0.105;
 *    two pairs per workgroup 0.099). Gated, 8 points unrolled 0.129 (looped 0.159; 16 points
 *    0.165 looped, 0.188 unrolled at 125 registers where ungated took 96). f16 gated: packed, 8
 *    points unrolled 0.486 (pairs as fp32 gated 0.509, packed 16 points unrolled 0.516).
 *  - L = 2048, pairs: 16 points unrolled 0.188 (looped 0.227, 8 points 0.240, packed 0.201).
 *  - L = 4096, pairs of rows in 8192-point FFTs: 32 points unrolled 0.461 (16 unrolled 0.516;
 *    packed 4096-point rows, where pairs do not fit: 16 points looped 0.518, 32 unrolled 0.505,
 *    16 unrolled 0.536). But f16: packed, 16 points looped 1.98 (pairs, 32 unrolled 2.34). f16
 *    gated, packed: 16 points looped 2.35 (8 unrolled 2.51, 16 unrolled 2.64, 32 unrolled 3.32;
 *    pairs 3.19 and slower).
 *  - L = 8192, packed 8192-point rows: 32 points unrolled 0.544 (8 unrolled 0.775, 16 unrolled
 *    0.770, 32 looped 0.695); f16 4.45 (8 unrolled 5.63). Its twiddles once missed the fp32
 *    error bound the checks hold (2.1e-6 of the largest output where 2e-6 is allowed) until the
 *    powers restarted at the 16th (fft_passes.glsl). Gated, 8 points unrolled 0.878 (32 unrolled
 *    0.949, 16 unrolled 0.977, 32 looped 1.09); f16 gated 6.40 (16 unrolled 6.65, 32 unrolled
 *    7.07, 16 looped 7.93).
 *  - 32 points unrolled: at L = 2048 0.397 (twice the default); with two radix-32 passes (L =
 *    1024 packed) 3.3 ms, 40 times, as its arrays went to local memory (512 bytes, per the
 *    pipeline statistics). The spill is the first pass's shortcut for its zero upper half, a
 *    runtime choice inside a radix-32 butterfly: with explicit zeros instead that plan spills
 *    nothing but still takes 0.111 ms, and the default without the shortcut is 7% slower.
 * Each plan is timed after its own warm-up, as `subq bench fft_conv_plans` does for all of them:
 * timed straight after its pipeline's compile, the GPU's clocks were still low, and plans looked
 * 2-6 times slower at random (which is what the "erratic" and "register cliff" results of
 * earlier sessions were).
 * Real and imaginary parts exchanged in turn through padded shared memory: whole complex values
 * were slower everywhere (L = 1024: 0.108 against 0.081, gated 0.31 against 0.19). Rows packed
 * one per signal from 8192-point real FFTs (L = 4096) on: 22% faster there with the old looped
 * plans, slower at L = 1024-2048; at L = 8192 pairs no longer fit 48 KB.
 * Tried and dropped (same machine, same harness): twiddles from a table in a storage buffer (all
 * powers, or the first of each pass) within +-5% of turn() once passes unrolled, and needing a
 * table per context; loading the input as a radix-2 first pass leaves it (that pass only copies
 * at L = 8192) 4% faster fp32 gated, 15% slower f16; unrolling the direction loop too, 10-50%
 * slower (10-110% again on 2026-11-23 with each plan warmed up: the unrolled plans' code
 * doubles); the gated input kept in registers for the shortcut rather than read again, within
 * 5% either way at the cost of registers. Breakdown at L = 1024 (E = 8, looped): loads and stores
 * alone 0.039 ms, forward FFT 0.072, both FFTs without the multiply 0.136 of 0.141; at 8192
 * (E = 16, looped) 0.171, 0.404, 0.715 of 0.932, the packed split being the rest. Also dropped:
 * the outputs staged in shared memory so that the gated epilogue reads its inputs with the FFT's
 * registers free, 0-13% slower except f16 gated L = 4096 (3% faster); no padding, 0.120 at
 * L = 1024.
 * Where the time goes (timing only, results wrong), L = 1024 / f16 gated 1024 / f16 gated 4096 /
 * 8192: without the twiddles 15% / 18% / 12% / 13% faster; without the exchanges between passes
 * 10% / 13% / 15% / 17%; without their barriers 9% and 34% slower at L = 1024, 12% and 4% faster
 * at the longer rows. So at L <= 1024 the kernel is bound by instructions, not by barriers:
 * subgroup-local exchanges would not pay there.
 * Arithmetic against memory (2026-11-23, same harness; inputs made up and outputs never written,
 * or loads and stores with no FFT), fp32 1024 / fp32 gated 1024 / fp32 4096 / f16 gated 1024 /
 * 4096 / 8192: the whole kernel 0.081 / 0.129 / 0.460 / 0.485 / 2.344 / 6.399 ms; its arithmetic
 * alone 0.070 / 0.096 / 0.373 / 0.427 / 1.796 / 5.296; its memory alone 0.039 / 0.080 / 0.144 /
 * 0.143 / 0.616 / 1.171. The arithmetic alone already misses 50% of copy at fp32 1024 (0.067)
 * and 1.3x FlashFFTConv at f16 gated 1024 and 8192 (0.377, 4.654), so no overlap of loads with
 * math can reach those; at f16 gated 4096 only a perfect one could (1.859).
 * Also dropped: the shortcut joined to the spectrum (D / N added to every bin, since D u is u
 * convolved with D times an impulse) instead of reading u again for the output: f16 gated 1024
 * and fp32 gated 2048-4096 2-4% faster, f16 gated 4096 1% slower, fp32 gated 1024 7% slower (the
 * compiler took 64 registers where it had 48), which would lose its 50% of copy. Not
 * reading the spectrum at all saves 1-7%, so bins held in f16 would not pay either. */
#define TARGET_THREADS 128
#define LOG_PACKED_SIZE 13
#define MAX_LOG_SIZE 30

enum { HAS_PRE = 1, HAS_POST = 2, HAS_SHORTCUT = 4, SEPARATE = 8, PAD = 16, PACKED = 32, PAIRED = 64,
       SPECTRUM_PAIRED = 128, UNROLL = 256 };

typedef struct fused_push {
    uint32_t x_first, spectrum_first, pre_first, post_first, shortcut_first, y_first;
    uint32_t x_stride[2], y_stride[2], pre_stride[2], post_stride[2], spectrum_stride[2];
    uint32_t shortcut_stride;
    uint32_t batch, channels, len;
} fused_push;
_Static_assert(sizeof(fused_push) <= 128, "push constants: Vulkan guarantees only 128 bytes");

typedef struct fused_args {
    const subq_tensor *x, *spectrum, *pre, *post, *shortcut;
    subq_tensor *y;
} fused_args;

static uint32_t log2_fft_size(int64_t length)
{
    uint32_t log_size = 1;
    while (log_size < MAX_LOG_SIZE && ((int64_t)1 << log_size) < 2 * length) log_size++;
    return log_size;
}

int64_t subq_fft_conv_fused_fft_size(int64_t length)
{
    if (length < 1 || length > ((int64_t)1 << (MAX_LOG_SIZE - 1))) return 0;
    return (int64_t)1 << log2_fft_size(length);
}

static uint32_t plan_threads(const subq_fused_plan *plan)
{
    return plan->pairs << (plan->log_size - plan->log_per_thread);
}

/* Mirrors the shader's PAIR_STRIDE: padding one element per 32 floats or per 16 complex values. */
static uint64_t plan_shared_bytes(const subq_fused_plan *plan)
{
    uint64_t points = (uint64_t)1 << plan->log_size;
    uint64_t padded = points + (plan->pad ? points >> (plan->split ? 5 : 4) : 0);
    return plan->pairs * padded * (plan->split ? 4 : 8);
}

bool subq_fft_conv_fused_plan_fits(const subq_context *ctx, const subq_fused_plan *plan)
{
    if (plan->log_size < 1 || plan->log_size > MAX_LOG_SIZE || plan->log_per_thread < 1 ||
        plan->log_per_thread > 5 || plan->log_per_thread > plan->log_size || plan->pairs < 1 ||
        plan->pairs > ctx->info.max_workgroup_invocations)
        return false;
    uint64_t threads = (uint64_t)plan->pairs << (plan->log_size - plan->log_per_thread);
    return threads <= ctx->info.max_workgroup_invocations && threads <= ctx->info.max_workgroup_size[0] &&
           plan_shared_bytes(plan) <= ctx->info.max_shared_memory_bytes;
}

/* Whether rows of 2^log_fft real points go packed first, as measured above: from L = 4096 on,
 * except fp32 plain rows there, and 16-bit gated rows always. */
static bool prefers_packed(uint32_t log_fft, bool gated, bool half)
{
    if (gated && half) return true;
    return log_fft > LOG_PACKED_SIZE || (log_fft == LOG_PACKED_SIZE && (gated || half));
}

/* The measured choice above of points per invocation and unrolling for a signal of 2^log_size
 * points. Lengths not measured take their nearest measured neighbour's. */
static subq_fused_plan preferred_plan(uint32_t log_size, bool packed, bool gated, bool half)
{
    subq_fused_plan p = {.log_size = log_size, .log_per_thread = 3, .split = true, .packed = packed, .unroll = true};
    if (!gated && !packed) p.log_per_thread = log_size >= LOG_PACKED_SIZE ? 5 : 4;
    else if (!gated && log_size < LOG_PACKED_SIZE) p.log_per_thread = 4, p.unroll = false;
    else if (!gated) p.log_per_thread = 5;
    else if (half && packed && log_size == LOG_PACKED_SIZE - 1) p.log_per_thread = 4, p.unroll = false;
    if (p.log_per_thread > log_size) p.log_per_thread = log_size;
    return p;
}

bool subq_fft_conv_fused_plan_fill_pairs(const subq_context *ctx, subq_fused_plan *plan)
{
    if (plan->log_per_thread > plan->log_size) return false;
    uint32_t threads_per_signal = 1u << (plan->log_size - plan->log_per_thread);
    plan->pairs = threads_per_signal < TARGET_THREADS ? TARGET_THREADS / threads_per_signal : 1;
    while (plan->pairs > 1 && !subq_fft_conv_fused_plan_fits(ctx, plan)) plan->pairs /= 2;
    return subq_fft_conv_fused_plan_fits(ctx, plan);
}

/* Fewer signals per workgroup, then more points per invocation (fewer invocations), before giving
 * up the padding, and that before the other way of carrying rows (pairs or packed, the faster
 * first). Exchanging whole complex values (split = false) takes twice the memory and was slower;
 * plans can still ask for it. */
static bool find_plan(const subq_context *ctx, int64_t length, bool gated, bool half, subq_fused_plan *plan)
{
    if (subq_fft_conv_fused_fft_size(length) == 0) return false;
    bool packed_first = prefers_packed(log2_fft_size(length), gated, half);
    for (int i = 0; i < 4; i++) {
        bool packed = packed_first == (i < 2);
        subq_fused_plan p = preferred_plan(log2_fft_size(length) - packed, packed, gated, half);
        p.pad = i % 2 == 0;
        for (; p.log_per_thread <= 5 && p.log_per_thread <= p.log_size; p.log_per_thread++)
            if (subq_fft_conv_fused_plan_fill_pairs(ctx, &p)) {
                *plan = p;
                return true;
            }
    }
    return false;
}

subq_status subq_fft_conv_fused_default_plan(const subq_context *ctx, int64_t length, bool gated, bool half,
                                             subq_fused_plan *plan)
{
    if (find_plan(ctx, length, gated, half, plan)) return SUBQ_OK;
    if (subq_fft_conv_fused_fft_size(length) == 0)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "x: rows of length %lld are beyond the fused FFT conv",
                         (long long)length);
    return subq_fail(SUBQ_ERROR_UNSUPPORTED, "x: rows of length %lld need an FFT of %lld real points (%lld bytes) "
                                             "in one workgroup; the device has %u bytes of shared memory",
                     (long long)length, (long long)subq_fft_conv_fused_fft_size(length),
                     (long long)subq_fft_conv_fused_fft_size(length) * 2, ctx->info.max_shared_memory_bytes);
}

bool subq_fft_conv_fused_supports(const subq_context *ctx, int64_t length)
{
    subq_fused_plan plan;
    return ctx && find_plan(ctx, length, false, false, &plan);
}

/* [B, C, L] with the L axis dense. */
static subq_status check_rows(const char *name, const subq_tensor *t, const subq_stream *s, const int64_t *shape)
{
    SUBQ_TRY(subq_arg_float_tensor(name, t, s, 3, 3));
    SUBQ_TRY(subq_arg_shape(name, t, 3, shape));
    if (shape[2] > 1 && t->strides[2] != 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: expected the L axis dense (stride 1), got stride %lld",
                         name, (long long)t->strides[2]);
    return SUBQ_OK;
}

static subq_status check_spectrum(const subq_tensor *spectrum, const subq_stream *s, const int64_t *x_shape)
{
    SUBQ_TRY(subq_arg_tensor("spectrum", spectrum, s, SUBQ_F32, 4, 4));
    int64_t bins = subq_fft_conv_fused_fft_size(x_shape[2]) / 2 + 1;
    const int64_t *shape = spectrum->shape;
    if ((shape[0] != 1 && shape[0] != x_shape[0]) || shape[1] != x_shape[1] || shape[2] != bins || shape[3] != 2) {
        char got[128];
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "spectrum: expected shape [1 or %lld, %lld, %lld, 2] "
                                                      "(rfft(k, %lld) / %lld for rows of length %lld), got %s",
                         (long long)x_shape[0], (long long)x_shape[1], (long long)bins, (long long)(2 * bins - 2),
                         (long long)(2 * bins - 2), (long long)x_shape[2],
                         subq_format_shape(got, sizeof got, 4, shape));
    }
    if (spectrum->strides[3] != 1 || spectrum->strides[2] != 2)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "spectrum: expected its last two axes dense (strides 2, 1), "
                                                      "got strides %lld, %lld",
                         (long long)spectrum->strides[2], (long long)spectrum->strides[3]);
    return SUBQ_OK;
}

static subq_status check_args(const subq_stream *s, const fused_args *a)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_float_tensor("x", a->x, s, 3, 3));
    const int64_t *shape = a->x->shape;
    SUBQ_TRY(check_rows("x", a->x, s, shape));
    SUBQ_TRY(check_spectrum(a->spectrum, s, shape));
    if (a->pre) SUBQ_TRY(check_rows("pre", a->pre, s, shape));
    if (a->post) SUBQ_TRY(check_rows("post", a->post, s, shape));
    if (a->shortcut) {
        SUBQ_TRY(subq_arg_float_tensor("shortcut", a->shortcut, s, 1, 1));
        SUBQ_TRY(subq_arg_shape("shortcut", a->shortcut, 1, &shape[1]));
    }
    SUBQ_TRY(check_rows("y", a->y, s, shape));
    SUBQ_TRY(subq_arg_output("y", a->y));
    const char *names[] = {"x", "spectrum", "pre", "post", "shortcut"};
    const subq_tensor *inputs[] = {a->x, a->spectrum, a->pre, a->post, a->shortcut};
    for (int i = 0; i < 5; i++) SUBQ_TRY(subq_arg_disjoint("y", a->y, names[i], inputs[i]));
    return SUBQ_OK;
}

/* Whether t (absent: yes) starts its rows on even elements: binding offsets are 16-byte aligned. */
static bool even_rows(const subq_tensor *t)
{
    return !t || (subq_push_first(t) % 2 == 0 && t->strides[0] % 2 == 0 && t->strides[1] % 2 == 0);
}

/* Rows pair up in (channel, batch) order, batch fastest: with a shared kernel and an even batch
 * both rows of a pair have one spectrum, and the pairs of a channel run together (its spectrum
 * stays in cache). Otherwise the shader separates the two rows' spectra. Packed rows have one. */
static uint32_t plan_flags(const subq_fused_plan *plan, const fused_args *a)
{
    bool shared_spectrum = plan->packed || (a->spectrum->shape[0] == 1 && a->x->shape[0] % 2 == 0);
    bool paired = a->x->shape[2] % 2 == 0 && even_rows(a->x) && even_rows(a->pre) && even_rows(a->post) &&
                  even_rows(a->y);
    return (a->pre ? HAS_PRE : 0) | (a->post ? HAS_POST : 0) | (a->shortcut ? HAS_SHORTCUT : 0) |
           (shared_spectrum ? 0 : SEPARATE) | (plan->pad ? PAD : 0) | (plan->packed ? PACKED : 0) |
           (paired ? PAIRED : 0) | (even_rows(a->spectrum) ? SPECTRUM_PAIRED : 0) | (plan->unroll ? UNROLL : 0);
}

/* The L axis is dense: only the batch and channel strides travel. */
static fused_push make_push(const fused_args *a)
{
    fused_push p = {
        .x_first = subq_push_first(a->x), .spectrum_first = subq_push_first(a->spectrum),
        .pre_first = subq_push_first(a->pre), .post_first = subq_push_first(a->post),
        .shortcut_first = subq_push_first(a->shortcut), .y_first = subq_push_first(a->y),
        .shortcut_stride = a->shortcut ? (uint32_t)a->shortcut->strides[0] : 0,
        .batch = (uint32_t)a->x->shape[0], .channels = (uint32_t)a->x->shape[1], .len = (uint32_t)a->x->shape[2],
    };
    subq_push_batch_channel_strides(p.x_stride, a->x);
    subq_push_batch_channel_strides(p.y_stride, a->y);
    subq_push_batch_channel_strides(p.pre_stride, a->pre);
    subq_push_batch_channel_strides(p.post_stride, a->post);
    subq_push_batch_channel_strides(p.spectrum_stride, a->spectrum);
    return p;
}

static subq_status record(subq_stream *stream, const subq_fused_plan *plan, const fused_args *a)
{
    fused_push push = make_push(a);
    uint32_t threads = plan_threads(plan);
    const subq_tensor *floats[6] = {a->x, NULL, a->pre, a->post, a->shortcut, a->y};
    const subq_shader *shader =
        plan->split ? subq_shader_for_dtypes(&subq_shader_fft_conv_fused_split, &subq_shader_fft_conv_fused_split_16, 6,
                                             floats)
                    : subq_shader_for_dtypes(&subq_shader_fft_conv_fused, &subq_shader_fft_conv_fused_16, 6, floats);
    subq_kernel kernel = {.shader = shader, .bindings = 6, .push_bytes = sizeof push, .spec_count = 5,
                          .spec = {threads, plan->log_size, plan->log_per_thread, plan_flags(plan, a),
                                   subq_tensor_dtype_codes(6, floats)}};
    const subq_tensor *x = a->x;
    subq_arg args[6] = {{x, false}, {a->spectrum, false}, {a->pre ? a->pre : x, false},
                        {a->post ? a->post : x, false}, {a->shortcut ? a->shortcut : x, false}, {a->y, true}};
    uint64_t rows = (uint64_t)push.batch * push.channels;
    uint64_t signals = plan->packed ? rows : (rows + 1) / 2;
    uint64_t workgroups = (signals + plan->pairs - 1) / plan->pairs;
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), workgroups * threads, threads, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}

subq_status subq_fft_conv_fused_planned(subq_stream *stream, const subq_fused_plan *plan, const subq_tensor *x,
                                        const subq_tensor *spectrum, const subq_tensor *pre,
                                        const subq_tensor *post, const subq_tensor *shortcut, subq_tensor *y)
{
    fused_args a = {x, spectrum, pre, post, shortcut, y};
    SUBQ_TRY(check_args(stream, &a));
    if (!plan || plan->log_size + plan->packed != log2_fft_size(x->shape[2]))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "plan: expected one for %lld-point real FFTs (rows of length "
                                                      "%lld)",
                         (long long)subq_fft_conv_fused_fft_size(x->shape[2]), (long long)x->shape[2]);
    if (!subq_fft_conv_fused_plan_fits(subq_stream_context(stream), plan))
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "plan: exceeds the device's workgroup or shared-memory limits");
    return record(stream, plan, &a);
}

subq_status subq_fft_conv_fused(subq_stream *stream, const subq_tensor *x, const subq_tensor *spectrum,
                                const subq_tensor *pre, const subq_tensor *post, const subq_tensor *shortcut,
                                subq_tensor *y)
{
    fused_args a = {x, spectrum, pre, post, shortcut, y};
    SUBQ_TRY(check_args(stream, &a));
    subq_fused_plan plan;
    SUBQ_TRY(subq_fft_conv_fused_default_plan(subq_stream_context(stream), x->shape[2], pre || post || shortcut,
                                              subq_tensor_dtype(x) != SUBQ_F32, &plan));
    return record(stream, &plan, &a);
}
