/* Norms over channels at the Hyena shape (8, 8192, 768): layer and RMS norm channels-last, layer
 * norm channels-first, and PixelHyena's layer_norm(q * silu(k)) fused. */
#include <stdio.h>

#include "bench.h"

typedef struct norm_args {
    subq_tensor *a, *b, *gamma, *beta, *y;
    subq_norm_options options;
} norm_args;

static subq_status record(void *user, subq_stream *stream)
{
    norm_args *a = user;
    if (a->b) return subq_gated_norm(stream, a->a, a->b, SUBQ_ACTIVATION_SILU, a->gamma, a->beta, &a->options, a->y);
    return subq_norm(stream, a->a, a->gamma, a->beta, &a->options, a->y);
}

typedef struct norm_shape {
    int64_t batch, len, channels;
} norm_shape;

static int run_case(bench *b, norm_shape s, subq_norm_kind kind, subq_layout layout, bool gated, const char *what)
{
    int64_t shape[3] = {s.batch, s.len, s.channels}, first[3] = {s.batch, s.channels, s.len};
    const int64_t *x_shape = layout == SUBQ_CHANNELS_FIRST ? first : shape;
    norm_args a = {.a = bench_random_tensor(b, 3, x_shape), .b = gated ? bench_random_tensor(b, 3, x_shape) : NULL,
                   .gamma = bench_random_tensor(b, 1, &s.channels),
                   .beta = kind == SUBQ_NORM_LAYER ? bench_random_tensor(b, 1, &s.channels) : NULL,
                   .options = {.kind = kind, .layout = layout}};
    if (a.a && a.gamma) subq_tensor_create(b->ctx, SUBQ_F32, 3, x_shape, &a.y);
    char desc[96];
    snprintf(desc, sizeof desc, "B=%lld L=%lld C=%lld %s", (long long)s.batch, (long long)s.len,
             (long long)s.channels, what);
    double elements = (double)(s.batch * s.len * s.channels);
    int failed = !a.y || (gated && !a.b) || (kind == SUBQ_NORM_LAYER && !a.beta)
                     ? bench_fail("norm tensors")
                     : bench_measure(b, "norm", desc, record, &a, 4.0 * elements * (gated ? 3 : 2), 0);
    subq_tensor *all[] = {a.a, a.b, a.gamma, a.beta, a.y};
    for (int i = 0; i < 5; i++) subq_tensor_destroy(all[i]);
    return failed;
}

int bench_norm(bench *b)
{
    norm_shape s = b->info.type == SUBQ_DEVICE_CPU ? (norm_shape){1, 2048, 768} : (norm_shape){8, 8192, 768};
    return run_case(b, s, SUBQ_NORM_LAYER, SUBQ_CHANNELS_LAST, false, "layer channels-last") ||
           run_case(b, s, SUBQ_NORM_RMS, SUBQ_CHANNELS_LAST, false, "rms channels-last") ||
           run_case(b, s, SUBQ_NORM_LAYER, SUBQ_CHANNELS_FIRST, false, "layer channels-first") ||
           run_case(b, s, SUBQ_NORM_LAYER, SUBQ_CHANNELS_LAST, true, "layer(a*silu(b)) channels-last");
}
