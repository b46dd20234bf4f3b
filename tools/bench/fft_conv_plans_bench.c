/* Every plan of the fused causal FFT conv that fits the device, timed at the shapes its defaults
 * were chosen at (src/fft/fused_causal.c): rows in pairs or packed, 8, 16 or 32 points per
 * invocation, passes unrolled or looped. bench_measure warms each plan up after its first call,
 * so a pipeline's compile does not leave it timed at low clocks. The default plan is marked. */
#include <stdio.h>

#include "bench.h"
#include "fft/fused_causal.h"

typedef struct plan_shape {
    int64_t batch, channels, len;
    bool gated;
    subq_dtype dtype;
} plan_shape;

typedef struct plan_args {
    subq_tensor *x, *spectrum, *pre, *post, *shortcut, *y;
    subq_fused_plan plan;
} plan_args;

static subq_status record_plan(void *user, subq_stream *stream)
{
    plan_args *a = user;
    return subq_fft_conv_fused_planned(stream, &a->plan, a->x, a->spectrum, a->pre, a->post, a->shortcut, a->y);
}

static bool same_plan(const subq_fused_plan *a, const subq_fused_plan *b)
{
    return a->log_size == b->log_size && a->log_per_thread == b->log_per_thread && a->pairs == b->pairs &&
           a->split == b->split && a->pad == b->pad && a->packed == b->packed && a->unroll == b->unroll;
}

static int time_plan(bench *b, const plan_shape *s, plan_args *a, const subq_fused_plan *default_plan)
{
    char desc[128];
    snprintf(desc, sizeof desc, "B=%lld C=%lld L=%lld%s%s %s E%u %s%s", (long long)s->batch, (long long)s->channels,
             (long long)s->len, s->gated ? " gated" : "", s->dtype == SUBQ_F16 ? " f16" : "",
             a->plan.packed ? "packed" : "pairs", 1u << a->plan.log_per_thread, a->plan.unroll ? "unrolled" : "looped",
             same_plan(&a->plan, default_plan) ? " (default)" : "");
    double tensors = s->gated ? 4.0 : 2.0;
    return bench_measure(b, "fft_conv_plan", desc, record_plan, a,
                         tensors * (double)subq_dtype_size(s->dtype) * (double)(s->batch * s->channels * s->len), 0);
}

static int prepare(bench *b, const plan_shape *s, plan_args *a)
{
    int64_t rows[3] = {s->batch, s->channels, s->len};
    int64_t spectrum[4] = {1, s->channels, subq_fft_conv_fused_fft_size(s->len) / 2 + 1, 2};
    a->x = bench_random_tensor_as(b, s->dtype, 3, rows);
    a->spectrum = bench_random_tensor(b, 4, spectrum);
    if (s->gated) {
        a->pre = bench_random_tensor_as(b, s->dtype, 3, rows);
        a->post = bench_random_tensor_as(b, s->dtype, 3, rows);
        a->shortcut = bench_random_tensor_as(b, s->dtype, 1, &s->channels);
    }
    if (!a->x || !a->spectrum || (s->gated && (!a->pre || !a->post || !a->shortcut))) return 1;
    if (subq_tensor_create(b->ctx, s->dtype, 3, rows, &a->y) != SUBQ_OK) return bench_fail("fft_conv_plan output");
    return 0;
}

static int bench_shape(bench *b, const plan_shape *s)
{
    plan_args a = {0};
    subq_fused_plan default_plan;
    int failed = prepare(b, s, &a);
    if (!failed && subq_fft_conv_fused_default_plan(b->ctx, s->len, s->gated, s->dtype != SUBQ_F32,
                                                    &default_plan) != SUBQ_OK)
        failed = bench_fail("fft_conv_plan default plan");
    int log_fft = 0;
    while (((int64_t)1 << log_fft) < subq_fft_conv_fused_fft_size(s->len)) log_fft++;
    for (int i = 0; i < 12 && !failed; i++) {
        bool packed = i / 6, unroll = i % 2;
        a.plan = (subq_fused_plan){.log_size = (uint32_t)(log_fft - packed),
                                   .log_per_thread = 3 + (uint32_t)(i / 2 % 3), .split = true, .pad = true,
                                   .packed = packed, .unroll = unroll};
        if (subq_fft_conv_fused_plan_fill_pairs(b->ctx, &a.plan)) failed = time_plan(b, s, &a, &default_plan);
    }
    subq_tensor *all[] = {a.x, a.spectrum, a.pre, a.post, a.shortcut, a.y};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    return failed;
}

int bench_fft_conv_plans(bench *b)
{
    static const plan_shape gpu[] = {
        {16, 768, 1024, false, SUBQ_F32}, {16, 768, 1024, true, SUBQ_F32}, {16, 768, 4096, false, SUBQ_F32},
        {8, 768, 8192, false, SUBQ_F32},  {8, 768, 8192, true, SUBQ_F32},  {64, 768, 1024, true, SUBQ_F16},
        {64, 768, 4096, true, SUBQ_F16},  {64, 768, 8192, true, SUBQ_F16},
    };
    /* lavapipe: the same kinds of shapes, small enough to finish in seconds */
    static const plan_shape cpu[] = {{2, 8, 1024, false, SUBQ_F32}, {1, 4, 4096, true, SUBQ_F16}};
    bool small = b->info.type == SUBQ_DEVICE_CPU;
    const plan_shape *shapes = small ? cpu : gpu;
    size_t count = small ? sizeof cpu / sizeof *cpu : sizeof gpu / sizeof *gpu;
    int failed = 0;
    for (size_t i = 0; i < count && !failed; i++) failed = bench_shape(b, &shapes[i]);
    return failed;
}
