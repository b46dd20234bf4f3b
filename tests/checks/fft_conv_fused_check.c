/* The fused causal FFT conv against ref_fftconv_causal's direct sums: every power-of-two length
 * the device supports and lengths between, kernels from one tap to full length, shared and
 * per-batch spectra, every combination of pre, post and shortcut, strided and permuted views,
 * and random plans besides the default one; f16 and bf16 at rest. The spectrum comes from a host
 * FFT in double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fft/fused_causal.h"
#include "reference/reference.h"
#include "views.h"

typedef struct fused_case {
    int64_t batch, channels, len, kernel_len, kernel_batch;
    int pre, post, shortcut;
    int layout; /* 0: dense; 1: offset rows with gaps; 2: channels outermost, gaps */
    subq_fused_plan plan;
    bool default_plan;
} fused_case;

/* rfft(k zero-padded to P) / P for every kernel row: [Bk, C, P/2 + 1, 2]. */
static double *host_spectrum(const fused_case *k, const double *kernel)
{
    int64_t points = subq_fft_conv_fused_fft_size(k->len), rows = k->kernel_batch * k->channels;
    double *spectrum = check_alloc((size_t)(rows * (points / 2 + 1) * 2));
    ref_rfft_rows(kernel, rows, k->kernel_len, points, spectrum);
    return spectrum;
}

static void row_layout(check_view *v, const fused_case *k, int64_t offset)
{
    static const int channels_outer[3] = {1, 0, 2};
    int64_t shape[3] = {k->batch, k->channels, k->len};
    if (k->layout == 0) check_view_layout(v, 3, shape, NULL, 0, 0);
    else check_view_layout(v, 3, shape, k->layout == 2 ? channels_outer : NULL, offset, offset + 2);
}

/* The spectrum's rows [Bk, C, 2 * bins] with gaps between them, seen as [Bk, C, bins, 2]. */
static subq_tensor *upload_spectrum(checker *c, const char *label, const fused_case *k, const double *values,
                                    check_view *rows)
{
    int64_t bins = subq_fft_conv_fused_fft_size(k->len) / 2 + 1;
    int64_t shape[3] = {k->kernel_batch, k->channels, 2 * bins};
    check_view_layout(rows, 3, shape, NULL, k->layout, k->layout ? 3 : 0);
    if (!check_view_upload(c, label, rows, values)) return NULL;
    int64_t spectrum_shape[4] = {k->kernel_batch, k->channels, bins, 2};
    int64_t strides[4] = {rows->strides[0], rows->strides[1], 2, 1};
    subq_tensor *spectrum = NULL;
    check_ok(c, label, subq_tensor_view(rows->storage, rows->offset, 4, spectrum_shape, strides, &spectrum));
    return spectrum;
}

/* shortcut [C] at stride 2 in the strided layouts. */
static subq_tensor *upload_shortcut(checker *c, const char *label, const fused_case *k, const double *values)
{
    int64_t stride = k->layout ? 2 : 1, n = k->channels * stride;
    double *storage = check_alloc((size_t)n);
    for (int64_t i = 0; i < n; i++) storage[i] = i % stride ? NAN : values[i / stride];
    subq_tensor *base = check_upload(c, label, 1, &n, storage), *view = NULL;
    free(storage);
    if (base) check_ok(c, label, subq_tensor_view(base, 0, 1, &k->channels, &stride, &view));
    subq_tensor_destroy(base);
    return view;
}

static void describe(const fused_case *k, char *buf, size_t size)
{
    snprintf(buf, size, "fft_conv_fused B=%lld C=%lld L=%lld K=%lld Bk=%lld%s%s%s layout %d plan %u/%u/%u%s%s%s%s%s",
             (long long)k->batch, (long long)k->channels, (long long)k->len, (long long)k->kernel_len,
             (long long)k->kernel_batch, k->pre ? " pre" : "", k->post ? " post" : "",
             k->shortcut ? " shortcut" : "", k->layout, k->plan.log_size, k->plan.log_per_thread, k->plan.pairs,
             k->plan.split ? " split" : "", k->plan.pad ? " pad" : "", k->plan.packed ? " packed" : "",
             k->plan.unroll ? " unrolled" : "",
             k->default_plan ? " (default)" : "");
}

typedef struct fused_data {
    double *x, *kernel, *pre, *post, *shortcut, *spectrum, *want;
} fused_data;

static void make_data(checker *c, const fused_case *k, fused_data *d)
{
    size_t n = (size_t)(k->batch * k->channels * k->len);
    size_t taps = (size_t)(k->kernel_batch * k->channels * k->kernel_len);
    d->x = check_alloc(n), d->pre = check_alloc(n), d->post = check_alloc(n), d->want = check_alloc(n);
    d->kernel = check_alloc(taps);
    d->shortcut = check_alloc((size_t)k->channels);
    check_random(c, d->x, n);
    check_random(c, d->pre, n);
    check_random(c, d->post, n);
    check_random(c, d->kernel, taps);
    check_random(c, d->shortcut, (size_t)k->channels);
    d->spectrum = host_spectrum(k, d->kernel);
    ref_fftconv_extras extras = {.shortcut = k->shortcut ? d->shortcut : NULL, .pre = k->pre ? d->pre : NULL,
                                 .post = k->post ? d->post : NULL};
    ref_fftconv_causal(d->x, d->kernel, &extras, d->want, k->batch, k->channels, k->len, k->kernel_len,
                       k->kernel_batch);
}

static void free_data(fused_data *d)
{
    double *all[] = {d->x, d->kernel, d->pre, d->post, d->shortcut, d->spectrum, d->want};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

static void run_case(checker *c, const fused_case *k)
{
    char label[256];
    describe(k, label, sizeof label);
    fused_data d;
    make_data(c, k, &d);
    check_view x, pre, post, y, spectrum_rows;
    row_layout(&x, k, 1);
    row_layout(&pre, k, 2);
    row_layout(&post, k, 3);
    row_layout(&y, k, 1);
    subq_tensor *spectrum = upload_spectrum(c, label, k, d.spectrum, &spectrum_rows);
    subq_tensor *shortcut = k->shortcut ? upload_shortcut(c, label, k, d.shortcut) : NULL;
    bool ready = spectrum && (shortcut || !k->shortcut) && check_view_upload(c, label, &x, d.x) &&
                 check_view_upload(c, label, &y, NULL) && (!k->pre || check_view_upload(c, label, &pre, d.pre)) &&
                 (!k->post || check_view_upload(c, label, &post, d.post));
    if (ready) {
        const subq_tensor *pre_t = k->pre ? pre.view : NULL, *post_t = k->post ? post.view : NULL;
        subq_status status =
            k->default_plan
                ? subq_fft_conv_fused(c->stream, x.view, spectrum, pre_t, post_t, shortcut, y.view)
                : subq_fft_conv_fused_planned(c->stream, &k->plan, x.view, spectrum, pre_t, post_t, shortcut, y.view);
        if (check_ok(c, label, status) && check_ok(c, label, subq_stream_wait(c->stream)))
            check_view_close(c, label, &y, d.want, 2e-6);
    }
    check_view *views[] = {&x, &pre, &post, &y, &spectrum_rows};
    for (size_t i = 0; i < sizeof views / sizeof *views; i++) check_view_release(views[i]);
    subq_tensor_destroy(spectrum);
    subq_tensor_destroy(shortcut);
    free_data(&d);
}

/* Any plan for this length that fits the device: packing, points per invocation, signals per
 * workgroup, split and padding drawn at random. */
static subq_fused_plan random_plan(checker *c, const subq_fused_plan *fallback)
{
    for (int tries = 0; tries < 32; tries++) {
        bool packed = check_random_int(c, 0, 1);
        uint32_t log_size = fallback->log_size + fallback->packed - packed;
        if (log_size < 1) continue;
        subq_fused_plan p = {.log_size = log_size, .packed = packed,
                             .log_per_thread = (uint32_t)check_random_int(c, 1, log_size < 5 ? log_size : 5),
                             .pairs = 1u << check_random_int(c, 0, 3), .split = check_random_int(c, 0, 1),
                             .pad = check_random_int(c, 0, 1), .unroll = check_random_int(c, 0, 1)};
        if (subq_fft_conv_fused_plan_fits(c->ctx, &p)) return p;
    }
    return *fallback;
}

/* One tap to full-length kernels; all extras, none, and random ones; every layout. */
static void run_length(checker *c, int64_t len, int cases)
{
    subq_fused_plan fallback, gated;
    if (!check_ok(c, "default plan", subq_fft_conv_fused_default_plan(c->ctx, len, false, false, &fallback)) ||
        !check_ok(c, "default plan", subq_fft_conv_fused_default_plan(c->ctx, len, true, false, &gated)))
        return;
    for (int v = 0; v < cases; v++) {
        int64_t batch = v == 0 ? 2 : check_random_int(c, 1, 3); /* v = 0: one spectrum per pair of rows */
        fused_case k = {.batch = batch, .channels = check_random_int(c, 1, 5), .len = len,
                        .kernel_len = v == 0 ? len : v == 1 ? 1 : check_random_int(c, 1, len),
                        .kernel_batch = v % 2 ? batch : 1,
                        .pre = v == 0 || (v > 1 && check_random_int(c, 0, 1)),
                        .post = v == 0 || (v > 1 && check_random_int(c, 0, 1)),
                        .shortcut = v == 0 || (v > 1 && check_random_int(c, 0, 1)),
                        .layout = (int)check_random_int(c, 0, 2), .default_plan = v < 2};
        k.plan = !k.default_plan ? random_plan(c, &fallback) : k.pre || k.post || k.shortcut ? gated : fallback;
        run_case(c, &k);
    }
}

static void grid(checker *c)
{
    int64_t longest = 1;
    while (longest < ((int64_t)1 << 14) && subq_fft_conv_fused_supports(c->ctx, 2 * longest)) longest *= 2;
    for (int64_t len = 1; len <= longest; len *= 2) run_length(c, len, c->quick ? 2 : 4);
    const int64_t between[] = {3, 5, 12, 100, 1000, longest - 1, longest / 2 + 1};
    for (size_t i = 0; i < sizeof between / sizeof *between; i++)
        if (between[i] > 0 && (!c->quick || between[i] < 200)) run_length(c, between[i], 2);
}

/* A tensor of dtype starting `offset` elements into its storage, holding values rounded to the
 * dtype; values becomes what it holds. */
static subq_tensor *upload_as(checker *c, const char *label, subq_dtype dtype, int rank, const int64_t *shape,
                              int64_t offset, double *values)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= shape[i];
    int64_t total = n + offset;
    subq_tensor *exact = check_upload(c, label, rank, shape, values), *storage = NULL, *view = NULL;
    subq_tensor *back = check_tensor_empty(c, SUBQ_F32, rank, shape);
    float *rounded = malloc((size_t)n * sizeof *rounded);
    if (!rounded) exit(2);
    bool ok = exact && back && check_ok(c, label, subq_tensor_create(c->ctx, dtype, 1, &total, &storage)) &&
              check_ok(c, label, subq_tensor_view(storage, offset, rank, shape, NULL, &view)) &&
              check_ok(c, label, subq_tensor_copy(c->stream, exact, view)) &&
              check_ok(c, label, subq_tensor_copy(c->stream, view, back)) &&
              check_ok(c, label, subq_stream_submit(c->stream)) && check_ok(c, label, subq_stream_wait(c->stream)) &&
              check_ok(c, label, subq_tensor_download(back, rounded, (size_t)n * sizeof *rounded));
    for (int64_t i = 0; ok && i < n; i++) values[i] = rounded[i];
    free(rounded);
    subq_tensor *all[] = {exact, back, storage};
    for (int i = 0; i < 3; i++) subq_tensor_destroy(all[i]);
    if (ok) return view;
    subq_tensor_destroy(view);
    return NULL;
}

/* y (dtype, of shape) against want, through a copy to f32. */
static void close_as(checker *c, const char *label, const subq_tensor *y, const int64_t *shape, const double *want,
                     double tol)
{
    subq_tensor *back = check_tensor_empty(c, SUBQ_F32, 3, shape);
    if (back && check_ok(c, label, subq_tensor_copy(c->stream, y, back)) &&
        check_ok(c, label, subq_stream_submit(c->stream)) && check_ok(c, label, subq_stream_wait(c->stream)))
        check_close(c, label, back, want, (size_t)subq_tensor_numel(back), tol);
    subq_tensor_destroy(back);
}

/* x, pre, post, shortcut and y in dtype (the spectrum stays f32) on the default plan: rows
 * starting at even elements with an even length load and store neighbours as one access, the
 * others one by one. y is poisoned first; the reference takes the inputs as rounded. */
static void run_half(checker *c, subq_dtype dtype, int64_t len, int64_t offset, bool gated)
{
    enum { HB = 2, HC = 3 };
    char label[128];
    snprintf(label, sizeof label, "fft_conv_fused %s B=%d C=%d L=%lld offset %lld%s",
             dtype == SUBQ_F16 ? "f16" : "bf16", HB, HC, (long long)len, (long long)offset, gated ? " gated" : "");
    fused_case k = {.batch = HB, .channels = HC, .len = len, .kernel_len = len, .kernel_batch = 1};
    fused_data d;
    make_data(c, &k, &d);
    int64_t shape[3] = {HB, HC, len}, channels = HC, n = HB * HC * len;
    int64_t bins = subq_fft_conv_fused_fft_size(len) / 2 + 1, spectrum_shape[4] = {1, HC, bins, 2};
    double *nan_values = check_alloc((size_t)n);
    for (int64_t i = 0; i < n; i++) nan_values[i] = NAN;
    subq_tensor *x = upload_as(c, label, dtype, 3, shape, offset, d.x);
    subq_tensor *pre = gated ? upload_as(c, label, dtype, 3, shape, offset, d.pre) : NULL;
    subq_tensor *post = gated ? upload_as(c, label, dtype, 3, shape, offset, d.post) : NULL;
    subq_tensor *shortcut = gated ? upload_as(c, label, dtype, 1, &channels, offset, d.shortcut) : NULL;
    subq_tensor *y = upload_as(c, label, dtype, 3, shape, offset, nan_values);
    subq_tensor *spectrum = check_upload(c, label, 4, spectrum_shape, d.spectrum);
    ref_fftconv_extras extras = {.shortcut = gated ? d.shortcut : NULL, .pre = gated ? d.pre : NULL,
                                 .post = gated ? d.post : NULL};
    ref_fftconv_causal(d.x, d.kernel, &extras, d.want, HB, HC, len, len, 1);
    if (x && y && spectrum && (!gated || (pre && post && shortcut)) &&
        check_ok(c, label, subq_fft_conv_fused(c->stream, x, spectrum, pre, post, shortcut, y)))
        close_as(c, label, y, shape, d.want, dtype == SUBQ_F16 ? 1e-3 : 8e-3);
    subq_tensor *all[] = {x, pre, post, shortcut, y, spectrum};
    for (int i = 0; i < 6; i++) subq_tensor_destroy(all[i]);
    free(nan_values);
    free_data(&d);
}

/* Pairs of rows (L = 1024 plain), packed rows loaded in pairs (1024 gated, 4096, 8192 where it
 * fits) and one by one (odd offset, odd length). */
static void half_grid(checker *c)
{
    bool long_rows = subq_fft_conv_fused_supports(c->ctx, 8192);
    run_half(c, SUBQ_F16, 1024, 0, false);
    run_half(c, SUBQ_F16, 1024, 0, true);
    run_half(c, SUBQ_F16, 4096, 0, true);
    run_half(c, SUBQ_F16, 4096, 0, false);
    run_half(c, SUBQ_F16, 4096, 1, true);
    run_half(c, SUBQ_F16, 4095, 0, true);
    if (long_rows) run_half(c, SUBQ_F16, 8192, 0, true);
    if (long_rows) run_half(c, SUBQ_F16, 8192, 0, false);
    run_half(c, SUBQ_BF16, 4096, 0, true);
    run_half(c, SUBQ_BF16, 1024, 1, true);
}

/* Bad inputs: each row breaks one argument of a valid call. */
#pragma GCC diagnostic ignored "-Woverride-init"

enum { B = 2, C = 3, L = 8, BINS = L + 1 };

typedef struct fixture {
    subq_tensor *x, *x_rank2, *x_i32, *x_steps, *spectrum, *spectrum_per_batch, *spectrum_bins,
        *spectrum_batch3, *spectrum_channels, *spectrum_last3, *spectrum_steps, *pre, *pre_short, *post, *post_channels,
        *shortcut, *shortcut_long, *shortcut_rank2, *y, *y_short, *y_broadcast, *y_on_spectrum, *x_long,
        *spectrum_long, *y_long, *storage, *storage_spectrum;
} fixture;

#define SHAPE(...) (sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), ((int64_t[]){__VA_ARGS__})

static void make_fixture(checker *c, fixture *f)
{
    int64_t long_len = (int64_t)1 << 16;
    f->x = check_tensor_random(c, SHAPE(B, C, L));
    f->x_rank2 = check_tensor_random(c, SHAPE(B * C, L));
    f->x_i32 = check_tensor_empty(c, SUBQ_I32, SHAPE(B, C, L));
    f->storage = check_tensor_random(c, SHAPE(2 * B * C * L));
    f->x_steps = check_tensor_view(c, f->storage, 0, SHAPE(B, C, L), (int64_t[]){2 * C * L, 2 * L, 2});
    f->spectrum = check_tensor_random(c, SHAPE(1, C, BINS, 2));
    f->spectrum_per_batch = check_tensor_random(c, SHAPE(B, C, BINS, 2));
    f->spectrum_bins = check_tensor_random(c, SHAPE(1, C, L, 2));
    f->spectrum_batch3 = check_tensor_random(c, SHAPE(3, C, BINS, 2));
    f->spectrum_channels = check_tensor_random(c, SHAPE(1, C + 1, BINS, 2));
    f->spectrum_last3 = check_tensor_random(c, SHAPE(1, C, BINS, 3));
    f->storage_spectrum = check_tensor_random(c, SHAPE(2 * C * BINS * 2));
    f->spectrum_steps = check_tensor_view(c, f->storage_spectrum, 0, SHAPE(1, C, BINS, 2), (int64_t[]){0, 4 * BINS, 4, 1});
    f->pre = check_tensor_random(c, SHAPE(B, C, L));
    f->pre_short = check_tensor_random(c, SHAPE(B, C, L - 1));
    f->post = check_tensor_random(c, SHAPE(B, C, L));
    f->post_channels = check_tensor_random(c, SHAPE(B, C - 1, L));
    f->shortcut = check_tensor_random(c, SHAPE(C));
    f->shortcut_long = check_tensor_random(c, SHAPE(C + 1));
    f->shortcut_rank2 = check_tensor_random(c, SHAPE(C, 1));
    f->y = check_tensor_random(c, SHAPE(B, C, L));
    f->y_short = check_tensor_random(c, SHAPE(B, C, L - 1));
    f->y_broadcast = check_tensor_view(c, f->y, 0, SHAPE(B, C, L), (int64_t[]){0, L, 1});
    f->y_on_spectrum = check_tensor_view(c, f->spectrum_per_batch, 0, SHAPE(B, C, L), NULL);
    f->x_long = check_tensor_random(c, SHAPE(1, 1, long_len));
    f->spectrum_long = check_tensor_random(c, SHAPE(1, 1, long_len + 1, 2));
    f->y_long = check_tensor_random(c, SHAPE(1, 1, long_len));
}

static void release_fixture(fixture *f)
{
    subq_tensor **all = (subq_tensor **)f;
    for (size_t i = 0; i < sizeof *f / sizeof(subq_tensor *); i++) subq_tensor_destroy(all[i]);
}

typedef struct fused_call {
    const char *label, *mentions;
    subq_status expected;
    subq_stream *stream;
    const subq_tensor *x, *spectrum, *pre, *post, *shortcut;
    subq_tensor *y;
    const subq_fused_plan *plan;
} fused_call;

#define CALL(...)                                                                                              \
    ((fused_call){.expected = SUBQ_ERROR_INVALID_ARGUMENT, .stream = c->stream, .x = f->x, .spectrum = f->spectrum, \
                  .pre = f->pre, .post = f->post, .shortcut = f->shortcut, .y = f->y, __VA_ARGS__})

static void error_rows(checker *c, const fixture *f)
{
    subq_fused_plan plan, wrong_size, too_big;
    if (!check_ok(c, "plan", subq_fft_conv_fused_default_plan(c->ctx, L, true, false, &plan))) return;
    wrong_size = plan, wrong_size.log_size++;
    too_big = plan, too_big.pairs = 1u << 20;
    const fused_call rows[] = {
        CALL(.label = "valid", .expected = SUBQ_OK),
        CALL(.label = "valid, per-batch spectrum", .expected = SUBQ_OK, .spectrum = f->spectrum_per_batch),
        CALL(.label = "valid, no extras", .expected = SUBQ_OK, .pre = NULL, .post = NULL, .shortcut = NULL),
        CALL(.label = "valid, a plan", .expected = SUBQ_OK, .plan = &plan),
        CALL(.label = "no stream", .mentions = "stream", .stream = NULL),
        CALL(.label = "no x", .mentions = "x", .x = NULL),
        CALL(.label = "x rank 2", .mentions = "x", .x = f->x_rank2),
        CALL(.label = "x i32", .mentions = "x", .x = f->x_i32),
        CALL(.label = "x strided along L", .mentions = "x", .x = f->x_steps),
        CALL(.label = "no spectrum", .mentions = "spectrum", .spectrum = NULL),
        CALL(.label = "spectrum bins", .mentions = "spectrum", .spectrum = f->spectrum_bins),
        CALL(.label = "spectrum batch 3 for B = 2", .mentions = "spectrum", .spectrum = f->spectrum_batch3),
        CALL(.label = "spectrum channels", .mentions = "spectrum", .spectrum = f->spectrum_channels),
        CALL(.label = "spectrum last axis", .mentions = "spectrum", .spectrum = f->spectrum_last3),
        CALL(.label = "spectrum bins strided", .mentions = "spectrum", .spectrum = f->spectrum_steps),
        CALL(.label = "spectrum as x", .mentions = "spectrum", .spectrum = f->x),
        CALL(.label = "pre length", .mentions = "pre", .pre = f->pre_short),
        CALL(.label = "post channels", .mentions = "post", .post = f->post_channels),
        CALL(.label = "shortcut length", .mentions = "shortcut", .shortcut = f->shortcut_long),
        CALL(.label = "shortcut rank 2", .mentions = "shortcut", .shortcut = f->shortcut_rank2),
        CALL(.label = "no y", .mentions = "y", .y = NULL),
        CALL(.label = "y length", .mentions = "y", .y = f->y_short),
        CALL(.label = "y broadcast over the batch", .mentions = "y", .y = f->y_broadcast),
        CALL(.label = "y is x", .mentions = "shares memory with x", .y = f->x),
        CALL(.label = "y is pre", .mentions = "shares memory with pre", .y = f->pre),
        CALL(.label = "y on the spectrum", .mentions = "shares memory with spectrum",
             .spectrum = f->spectrum_per_batch, .y = f->y_on_spectrum),
        CALL(.label = "rows too long", .mentions = "x", .expected = SUBQ_ERROR_UNSUPPORTED, .x = f->x_long,
             .spectrum = f->spectrum_long, .pre = NULL, .post = NULL, .shortcut = NULL, .y = f->y_long),
        CALL(.label = "plan for another size", .mentions = "plan", .plan = &wrong_size),
        CALL(.label = "plan beyond the device", .mentions = "plan", .expected = SUBQ_ERROR_UNSUPPORTED,
             .plan = &too_big),
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const fused_call *r = &rows[i];
        subq_status status =
            r->plan ? subq_fft_conv_fused_planned(r->stream, r->plan, r->x, r->spectrum, r->pre, r->post, r->shortcut,
                                                  r->y)
                    : subq_fft_conv_fused(r->stream, r->x, r->spectrum, r->pre, r->post, r->shortcut, r->y);
        check_error(c, r->label, status, r->expected, r->mentions);
    }
    check_ok(c, "errors: stream", subq_stream_wait(c->stream));
}

void check_fft_conv_fused(checker *c)
{
    fixture f = {0};
    make_fixture(c, &f);
    error_rows(c, &f);
    release_fixture(&f);
    grid(c);
    half_grid(c);
}
