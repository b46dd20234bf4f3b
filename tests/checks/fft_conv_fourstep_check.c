/* The four-step causal FFT conv against ref_fftconv_causal's direct sums: through subq_fft_conv
 * and a kernel object (the routed path, L = 2^14..2^16 and one row of 2^20), and through the
 * planned entry with random plans and a host spectrum in each plan's order; odd channel counts,
 * batch 1 and 3, shared and per-batch kernels, every combination of pre, post and shortcut,
 * strided and permuted views with NaN gaps, x, pre, post, shortcut and y in f16 and bf16, and
 * launches split by channel and by batch element where the scratch outgrows a binding.
 *
 * Tolerance: max |y - ref| <= tol * max(1, max |ref|): 2e-5 in f32 (as fft_conv's check beyond
 * 2^14 points); in f16 and bf16 the output's rounding, 1e-3 and 8e-3 (the reference takes the
 * inputs as rounded to the dtype). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fft/fourstep_causal.h"
#include "reference/reference.h"
#include "views.h"

typedef struct fourstep_case {
    int64_t batch, channels, len, kernel_len, kernel_batch;
    int pre, post, shortcut;
    int layout;       /* 0: dense; 1: offset rows with gaps; 2: channels outermost, gaps */
    subq_dtype dtype; /* of x, pre, post, shortcut and y */
    bool planned;     /* the planned entry with `plan`; else subq_fft_conv */
    subq_fourstep_plan plan;
} fourstep_case;

static void describe(const fourstep_case *k, char *buf, size_t size)
{
    const subq_fourstep_plan *p = &k->plan;
    int used = snprintf(buf, size, "fft_conv_fourstep B=%lld C=%lld L=%lld K=%lld Bk=%lld%s%s%s layout %d %s",
                        (long long)k->batch, (long long)k->channels, (long long)k->len, (long long)k->kernel_len,
                        (long long)k->kernel_batch, k->pre ? " pre" : "", k->post ? " post" : "",
                        k->shortcut ? " shortcut" : "", k->layout, subq_dtype_name(k->dtype));
    if (k->planned)
        snprintf(buf + used, size - (size_t)used, " plan %u/%u columns %u/%u rows %u/%u", p->log_n1, p->log_n2,
                 p->log_columns, p->log_column_points, p->log_row_pairs, p->log_row_points);
}

/* Where the plan reads bin k (k <= L). */
static int64_t bin_position(const subq_fourstep_plan *p, int64_t k)
{
    int64_t n1 = (int64_t)1 << p->log_n1, n2 = (int64_t)1 << p->log_n2;
    if (k == n1 * n2) return k;
    return (k % n1) * n2 + k / n1;
}

/* rfft(k zero-padded to 2L) / 2L for every kernel row, [Bk, C, L + 1, 2] in the plan's order. */
static double *host_spectrum(const fourstep_case *k, const double *kernel)
{
    int64_t bins = k->len + 1, rows = k->kernel_batch * k->channels;
    double *natural = check_alloc((size_t)(rows * bins * 2)), *spectrum = check_alloc((size_t)(rows * bins * 2));
    ref_rfft_rows(kernel, rows, k->kernel_len, 2 * k->len, natural);
    for (int64_t row = 0; row < rows; row++)
        for (int64_t f = 0; f < bins; f++)
            for (int part = 0; part < 2; part++)
                spectrum[(row * bins + bin_position(&k->plan, f)) * 2 + part] = natural[(row * bins + f) * 2 + part];
    free(natural);
    return spectrum;
}

/* Replace a view's storage by a copy in dtype (the NaN gaps stay NaN), the view over it alike. */
static bool convert_view(checker *c, const char *label, check_view *v, subq_dtype dtype)
{
    subq_tensor *storage = NULL, *view = NULL;
    bool ok = check_ok(c, label, subq_tensor_create(c->ctx, dtype, 1, &v->elements, &storage)) &&
              check_ok(c, label, subq_tensor_copy(c->stream, v->storage, storage)) &&
              check_ok(c, label, subq_stream_wait(c->stream)) &&
              check_ok(c, label, subq_tensor_view(storage, v->offset, v->rank, v->shape, v->strides, &view));
    if (!ok) {
        subq_tensor_destroy(storage);
        return false;
    }
    subq_tensor_destroy(v->view);
    subq_tensor_destroy(v->storage);
    v->storage = storage;
    v->view = view;
    return true;
}

/* values as a tensor in dtype holds them: through the device and back. */
static void round_to(checker *c, const char *label, subq_dtype dtype, double *values, size_t n)
{
    if (dtype == SUBQ_F32 || n == 0) return;
    check_view v;
    int64_t shape = (int64_t)n;
    check_view_layout(&v, 1, &shape, NULL, 0, 0);
    float *back = malloc(n * sizeof *back);
    if (!back) exit(2);
    if (check_view_upload(c, label, &v, values) && convert_view(c, label, &v, dtype) &&
        convert_view(c, label, &v, SUBQ_F32) &&
        check_ok(c, label, subq_tensor_download(v.storage, back, n * sizeof *back)))
        for (size_t i = 0; i < n; i++) values[i] = back[i];
    free(back);
    check_view_release(&v);
}

typedef struct case_data {
    double *x, *kernel, *pre, *post, *shortcut, *want;
} case_data;

static double *random_values(checker *c, size_t n)
{
    double *v = check_alloc(n);
    check_random(c, v, n);
    return v;
}

static void make_data(checker *c, const char *label, const fourstep_case *k, case_data *d)
{
    size_t n = (size_t)(k->batch * k->channels * k->len);
    *d = (case_data){.x = random_values(c, n), .want = check_alloc(n),
                     .kernel = random_values(c, (size_t)(k->kernel_batch * k->channels * k->kernel_len)),
                     .pre = k->pre ? random_values(c, n) : NULL, .post = k->post ? random_values(c, n) : NULL,
                     .shortcut = k->shortcut ? random_values(c, (size_t)k->channels) : NULL};
    round_to(c, label, k->dtype, d->x, n);
    if (d->pre) round_to(c, label, k->dtype, d->pre, n);
    if (d->post) round_to(c, label, k->dtype, d->post, n);
    if (d->shortcut) round_to(c, label, k->dtype, d->shortcut, (size_t)k->channels);
    ref_fftconv_extras extras = {.shortcut = d->shortcut, .pre = d->pre, .post = d->post};
    ref_fftconv_causal(d->x, d->kernel, &extras, d->want, k->batch, k->channels, k->len, k->kernel_len,
                       k->kernel_batch);
}

static void free_data(case_data *d)
{
    double *all[] = {d->x, d->kernel, d->pre, d->post, d->shortcut, d->want};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

static void row_layout(check_view *v, const fourstep_case *k, int64_t offset)
{
    static const int channels_outer[3] = {1, 0, 2};
    int64_t shape[3] = {k->batch, k->channels, k->len};
    if (k->layout == 0) check_view_layout(v, 3, shape, NULL, 0, 0);
    else check_view_layout(v, 3, shape, k->layout == 2 ? channels_outer : NULL, offset, offset + 2);
}

/* values (NULL: an output, NaN) in the case's layout and dtype. */
static bool place(checker *c, const char *label, const fourstep_case *k, check_view *v, int64_t offset,
                  const double *values)
{
    row_layout(v, k, offset);
    return check_view_upload(c, label, v, values) && (k->dtype == SUBQ_F32 || convert_view(c, label, v, k->dtype));
}

/* shortcut [C], at stride 2 in the strided layouts. */
static bool place_shortcut(checker *c, const char *label, const fourstep_case *k, check_view *v, const double *values)
{
    int64_t stride = k->layout ? 2 : 1;
    check_view_layout(v, 1, &k->channels, NULL, k->layout, 0);
    v->strides[0] = stride;
    v->elements = k->layout + (k->channels - 1) * stride + 1 + k->layout;
    return check_view_upload(c, label, v, values) && (k->dtype == SUBQ_F32 || convert_view(c, label, v, k->dtype));
}

/* The planned entry: the host spectrum in the plan's order, [Bk, C, L + 1, 2] rows with gaps. */
static subq_status run_planned(checker *c, const char *label, const fourstep_case *k, const case_data *d,
                               subq_fft_conv_call *call)
{
    double *values = host_spectrum(k, d->kernel);
    check_view rows;
    int64_t shape[3] = {k->kernel_batch, k->channels, 2 * (k->len + 1)};
    check_view_layout(&rows, 3, shape, NULL, 2 * k->layout, k->layout ? 4 : 0);
    subq_tensor *spectrum = NULL;
    subq_status status = SUBQ_ERROR_INVALID_ARGUMENT;
    if (check_view_upload(c, label, &rows, values)) {
        int64_t spectrum_shape[4] = {k->kernel_batch, k->channels, k->len + 1, 2};
        int64_t strides[4] = {rows.strides[0], rows.strides[1], 2, 1};
        status = subq_tensor_view(rows.storage, rows.offset, 4, spectrum_shape, strides, &spectrum);
    }
    if (status == SUBQ_OK) status = subq_fft_conv_fourstep_planned(call, &k->plan, spectrum);
    if (status == SUBQ_OK) status = subq_stream_wait(c->stream);
    subq_tensor_destroy(spectrum);
    check_view_release(&rows);
    free(values);
    return status;
}

/* subq_fft_conv with a kernel object made from the taps. */
static subq_status run_public(checker *c, const char *label, const fourstep_case *k, const case_data *d,
                              const subq_fft_conv_call *call)
{
    int64_t shape[3] = {k->kernel_batch, k->channels, k->kernel_len};
    subq_tensor *taps = check_upload(c, label, 3, shape, d->kernel);
    subq_fft_conv_options options = {.causal = 1};
    subq_fft_kernel *fk = NULL;
    subq_fft_conv_extras extras = {.pre = call->pre, .post = call->post, .shortcut = call->shortcut};
    subq_status status = taps ? subq_fft_kernel_create(c->stream, taps, 1, &k->len, &options, &fk)
                              : SUBQ_ERROR_INVALID_ARGUMENT;
    if (status == SUBQ_OK) status = subq_fft_conv(c->stream, call->x, fk, &extras, call->y);
    if (status == SUBQ_OK) status = subq_stream_wait(c->stream);
    subq_fft_kernel_destroy(fk);
    subq_tensor_destroy(taps);
    return status;
}

static double tolerance(subq_dtype dtype) { return dtype == SUBQ_F16 ? 1e-3 : dtype == SUBQ_BF16 ? 8e-3 : 2e-5; }

static void run_case(checker *c, const fourstep_case *k)
{
    char label[256];
    describe(k, label, sizeof label);
    case_data d;
    make_data(c, label, k, &d);
    check_view x = {0}, pre = {0}, post = {0}, shortcut = {0}, y = {0};
    bool ready = place(c, label, k, &x, 1, d.x) && place(c, label, k, &y, 3, NULL) &&
                 (!k->pre || place(c, label, k, &pre, 2, d.pre)) &&
                 (!k->post || place(c, label, k, &post, 5, d.post)) &&
                 (!k->shortcut || place_shortcut(c, label, k, &shortcut, d.shortcut));
    if (ready) {
        subq_fft_conv_call call = {.stream = c->stream, .x = x.view, .pre = k->pre ? pre.view : NULL,
                                   .post = k->post ? post.view : NULL, .shortcut = k->shortcut ? shortcut.view : NULL,
                                   .y = y.view, .batch = k->batch, .channels = k->channels};
        subq_status status = k->planned ? run_planned(c, label, k, &d, &call) : run_public(c, label, k, &d, &call);
        if (check_ok(c, label, status) && (k->dtype == SUBQ_F32 || convert_view(c, label, &y, SUBQ_F32)))
            check_view_close(c, label, &y, d.want, tolerance(k->dtype));
    }
    check_view *views[] = {&x, &pre, &post, &shortcut, &y};
    for (size_t i = 0; i < sizeof views / sizeof *views; i++) check_view_release(views[i]);
    free_data(&d);
}

/* Any plan for rows of 2^log_length that fits the device: the split, the points per invocation
 * and the columns and pairs per workgroup drawn at random. */
static bool random_plan(checker *c, uint32_t log_length, subq_fourstep_plan *plan)
{
    for (int tries = 0; tries < 64; tries++) {
        uint32_t log_n2 = (uint32_t)check_random_int(c, 1, log_length - 1 < 12 ? log_length - 1 : 12);
        subq_fourstep_plan p = {.log_n1 = log_length - log_n2, .log_n2 = log_n2};
        p.log_column_points = (uint32_t)check_random_int(c, 1, p.log_n1 < 5 ? p.log_n1 : 5);
        p.log_row_points = (uint32_t)check_random_int(c, 1, log_n2 < 5 ? log_n2 : 5);
        p.log_columns = (uint32_t)check_random_int(c, 0, log_n2 < 8 ? log_n2 : 8);
        p.log_row_pairs = (uint32_t)check_random_int(c, 0, p.log_n1 - 1 < 4 ? p.log_n1 - 1 : 4);
        if (subq_fft_conv_fourstep_plan_fits(c->ctx, &p)) {
            *plan = p;
            return true;
        }
    }
    return false;
}

static fourstep_case routed(int64_t batch, int64_t channels, int64_t len, int64_t kernel_len, int64_t kernel_batch,
                            int extras, int layout, subq_dtype dtype)
{
    return (fourstep_case){.batch = batch, .channels = channels, .len = len, .kernel_len = kernel_len,
                           .kernel_batch = kernel_batch, .pre = extras & 1, .post = extras & 2,
                           .shortcut = extras & 4, .layout = layout, .dtype = dtype};
}

/* subq_fft_conv at the lengths the four-step path takes everywhere: odd channels, batch 1 and 3,
 * shared and per-batch kernels, each extra, every layout, the 16-bit dtypes. */
static void grid_routed(checker *c)
{
    int64_t k16 = c->quick ? 2048 : 16384;
    const fourstep_case cases[] = {
        routed(3, 3, 16384, k16, 1, 7, 1, SUBQ_F32),   routed(1, 5, 16384, 1, 1, 0, 0, SUBQ_F32),
        routed(3, 1, 16384, 777, 3, 5, 2, SUBQ_F32),   routed(1, 3, 16384, 4096, 1, 7, 2, SUBQ_F16),
        routed(3, 1, 16384, 300, 3, 2, 1, SUBQ_BF16),  routed(3, 3, 32768, 2048, 3, 3, 2, SUBQ_F32),
        routed(1, 1, 32768, 32768, 1, 6, 0, SUBQ_F32), routed(1, 3, 65536, 1000, 1, 4, 1, SUBQ_F32),
        routed(3, 1, 65536, 129, 1, 1, 2, SUBQ_BF16),  routed(1, 1, 1 << 20, 300, 1, 6, 0, SUBQ_F32),
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (!c->quick || cases[i].len <= 32768 || cases[i].batch * cases[i].channels == 1) run_case(c, &cases[i]);
}

/* Random plans and data at 2^14 and 2^15. */
static void grid_planned(checker *c)
{
    for (int v = 0; v < (c->quick ? 6 : 16); v++) {
        uint32_t log_length = v % 4 == 3 ? 15 : 14;
        fourstep_case k = {.batch = check_random_int(c, 1, 3), .channels = check_random_int(c, 1, 5),
                           .len = (int64_t)1 << log_length, .kernel_len = check_random_int(c, 1, 1024),
                           .pre = check_random_int(c, 0, 1), .post = check_random_int(c, 0, 1),
                           .shortcut = check_random_int(c, 0, 1), .layout = (int)check_random_int(c, 0, 2),
                           .dtype = SUBQ_F32, .planned = true};
        k.kernel_batch = check_random_int(c, 0, 1) ? k.batch : 1;
        if (!random_plan(c, log_length, &k.plan)) {
            check_fail(c, "random plan", "no plan for rows of 2^%u fits the device", log_length);
            return;
        }
        run_case(c, &k);
    }
}

/* Scratch past one binding (lavapipe binds 128 MiB, 256 rows of 2^16): launches of some
 * channels of every batch element, and of single batch elements. */
static void grid_launches(checker *c)
{
    if (c->quick) return;
    fourstep_case by_channel = routed(2, 131, 65536, 16, 1, 4, 2, SUBQ_F32);
    fourstep_case by_element = routed(257, 1, 65536, 8, 257, 4, 0, SUBQ_F32);
    run_case(c, &by_channel);
    run_case(c, &by_element);
}

/* The planned entry refuses a plan for another length or beyond the device, and spectra of
 * another shape or with complex values off 8-byte alignment; nothing is recorded. */
static void error_rows(checker *c)
{
    int64_t len = 16384, x_shape[3] = {1, 2, len}, bins = len + 1;
    subq_tensor *x = check_tensor_random(c, 3, x_shape), *y = check_tensor_random(c, 3, x_shape);
    subq_tensor *spectrum = check_tensor_random(c, 4, (int64_t[]){1, 2, bins, 2});
    subq_tensor *short_spectrum = check_tensor_random(c, 4, (int64_t[]){1, 2, len, 2});
    subq_tensor *storage = check_tensor_random(c, 1, (int64_t[]){2 * bins * 2 + 1});
    subq_tensor *odd = check_tensor_view(c, storage, 1, 4, (int64_t[]){1, 2, bins, 2}, NULL);
    subq_fourstep_plan plan, other_length, too_wide;
    if (x && y && spectrum && short_spectrum && odd &&
        check_ok(c, "errors: plan", subq_fft_conv_fourstep_default_plan(c->ctx, len, &plan))) {
        other_length = plan, other_length.log_n2++;
        too_wide = plan, too_wide.log_columns = plan.log_n2 + 1;
        subq_fft_conv_call call = {.stream = c->stream, .x = x, .y = y, .batch = 1, .channels = 2};
        check_ok(c, "errors: valid", subq_fft_conv_fourstep_planned(&call, &plan, spectrum));
        subq_status status = subq_fft_conv_fourstep_planned(&call, &other_length, spectrum);
        check_invalid(c, "errors: plan for another length", status, "plan: made for rows of length 2^15");
        check_error(c, "errors: malformed plan", subq_fft_conv_fourstep_planned(&call, &too_wide, spectrum),
                    SUBQ_ERROR_UNSUPPORTED, "plan");
        check_invalid(c, "errors: spectrum bins", subq_fft_conv_fourstep_planned(&call, &plan, short_spectrum),
                      "spectrum: expected [1, 2, 16385, 2]");
        check_invalid(c, "errors: spectrum off alignment", subq_fft_conv_fourstep_planned(&call, &plan, odd),
                      "8-byte aligned");
        check_ok(c, "errors: stream", subq_stream_wait(c->stream));
    }
    subq_tensor *all[] = {x, y, spectrum, short_spectrum, odd, storage};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
}

void check_fft_conv_fourstep(checker *c)
{
    if (!subq_fft_conv_fourstep_supports(c->ctx, 16384)) {
        check_fail(c, "fft_conv_fourstep", "the device takes no rows of 2^14");
        return;
    }
    error_rows(c);
    grid_routed(c);
    grid_planned(c);
    grid_launches(c);
}
