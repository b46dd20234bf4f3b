/* subq_ckconv_grid, subq_ckconv_siren and subq_ckconv_mask against ckconv_ref.c: 1 to 3 axes,
 * double and single grids, grids extended past L_cache, FiLM on and off, both masks, odd sizes;
 * the causal slice of a kernel as a view feeding subq_fft_kernel_create; and a bad-input table.
 * Each stage's reference starts from the device's own fp32 output of the stage before, so that
 * every comparison judges one stage. SIREN tolerance: 1e-5 per layer relative to max(1, max|k|):
 * each layer's fp32 dot products and sines round at about 1e-6 of O(1) values, and hidden
 * weights of size sqrt(6 / H) pass that error on without growth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"

#define GRID_TOL 1e-6
#define MASK_TOL 1e-5
#define CAUSAL_TOL 1e-5
#define LAYER_TOL 1e-5

typedef enum mask_use { NO_MASK = 0, GAUSSIAN, EXPONENTIAL } mask_use;

typedef struct ckconv_case {
    int dims;
    int64_t size[3], cache[3];
    int single[3];
    int64_t hidden, layers, channels;
    int64_t film_batch; /* 0: no FiLM, kernel batch 1 */
    mask_use mask;
    double omega; /* w0's values times omega: SIREN's large first-layer arguments */
} ckconv_case;

typedef struct host_case {
    int64_t points, batch;
    double *grid, *w0, *b0, *wh, *bh, *wout, *bout, *gamma, *beta, *params, *kernel;
} host_case;

static void describe(const ckconv_case *k, char *buf, size_t size)
{
    int n = snprintf(buf, size, "ckconv %dD", k->dims);
    for (int d = 0; d < k->dims; d++)
        n += snprintf(buf + n, size - (size_t)n, " N%lld/L%lld%s", (long long)k->size[d], (long long)k->cache[d],
                      k->single[d] ? "s" : "d");
    snprintf(buf + n, size - (size_t)n, " H%lld x%lld C%lld film %lld mask %d omega %g", (long long)k->hidden,
             (long long)k->layers, (long long)k->channels, (long long)k->film_batch, (int)k->mask, k->omega);
}

/* n fresh random values times scale, rounded to fp32 so that the reference sees the device's inputs. */
static double *random_f32(checker *c, size_t n, double scale)
{
    double *v = check_alloc(n);
    check_random(c, v, n);
    for (size_t i = 0; i < n; i++) v[i] = (float)(v[i] * scale);
    return v;
}

static double *download(checker *c, const char *label, const subq_tensor *t, size_t n)
{
    float *f = malloc(n * sizeof *f);
    double *v = check_alloc(n);
    if (!f) exit(2);
    if (!check_ok(c, label, subq_tensor_download(t, f, n * sizeof *f))) {
        free(f);
        free(v);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) v[i] = f[i];
    free(f);
    return v;
}

static subq_ckconv_grid_options grid_options(const ckconv_case *k)
{
    subq_ckconv_grid_options o = {.data_dim = k->dims};
    for (int d = 0; d < k->dims; d++) {
        o.size[d] = k->size[d];
        o.cache_size[d] = k->cache[d];
        o.grid_type[d] = k->single[d] ? SUBQ_CKCONV_GRID_SINGLE : SUBQ_CKCONV_GRID_DOUBLE;
    }
    return o;
}

/* The grid on the device against ref_ckconv_grid; the device's grid (on the host) in *grid. */
static bool run_grid(checker *c, const char *label, const ckconv_case *k, host_case *h, subq_tensor **grid)
{
    subq_ckconv_grid_options o = grid_options(k);
    h->points = 1;
    for (int d = 0; d < k->dims; d++) h->points *= ref_ckconv_axis_points(k->size[d], k->single[d]);
    int64_t shape[2] = {h->points, k->dims}, points = 0;
    size_t n = (size_t)(h->points * k->dims);
    double *ref = check_alloc(n);
    ref_ckconv_grid(k->dims, k->size, k->cache, k->single, ref);
    *grid = check_poisoned(c, label, 2, shape);
    bool ok = *grid && check_ok(c, label, subq_ckconv_grid_points(&o, &points)) &&
              check_ok(c, label, subq_ckconv_grid(c->stream, &o, *grid)) &&
              check_ok(c, label, subq_stream_wait(c->stream));
    if (ok && points != h->points) {
        check_fail(c, label, "subq_ckconv_grid_points gave %lld, expected %lld", (long long)points,
                   (long long)h->points);
        ok = false;
    }
    if (ok) check_close(c, label, *grid, ref, n, GRID_TOL);
    free(ref);
    h->grid = ok ? download(c, label, *grid, n) : NULL;
    return h->grid != NULL;
}

static void make_weights(checker *c, const ckconv_case *k, host_case *h)
{
    int64_t H = k->hidden, L = k->layers, C = k->channels;
    h->batch = k->film_batch ? k->film_batch : 1;
    h->w0 = random_f32(c, (size_t)(H * k->dims), k->omega);
    h->b0 = random_f32(c, (size_t)H, 1.0);
    h->wh = L > 1 ? random_f32(c, (size_t)((L - 1) * H * H), sqrt(6.0 / (double)H)) : NULL;
    h->bh = L > 1 ? random_f32(c, (size_t)((L - 1) * H), 1.0) : NULL;
    h->wout = random_f32(c, (size_t)(C * H), sqrt(6.0 / (double)H));
    h->bout = random_f32(c, (size_t)C, 1.0);
    h->gamma = k->film_batch ? random_f32(c, (size_t)(h->batch * L * H), 1.0) : NULL;
    h->beta = k->film_batch ? random_f32(c, (size_t)(h->batch * L * H), 1.0) : NULL;
    h->params = random_f32(c, (size_t)(k->dims * C), k->mask == EXPONENTIAL ? 5.0 : 1.0);
}

typedef struct device_weights {
    subq_tensor *t[8];
    subq_ckconv_siren_weights w;
} device_weights;

static bool upload_weights(checker *c, const char *label, const ckconv_case *k, const host_case *h, device_weights *d)
{
    int64_t H = k->hidden, L = k->layers, C = k->channels, B = h->batch;
    subq_tensor **t = d->t;
    t[0] = check_upload(c, label, 2, (int64_t[]){H, k->dims}, h->w0);
    t[1] = check_upload(c, label, 1, &H, h->b0);
    t[2] = L > 1 ? check_upload(c, label, 3, (int64_t[]){L - 1, H, H}, h->wh) : NULL;
    t[3] = L > 1 ? check_upload(c, label, 2, (int64_t[]){L - 1, H}, h->bh) : NULL;
    t[4] = check_upload(c, label, 2, (int64_t[]){C, H}, h->wout);
    t[5] = check_upload(c, label, 1, &C, h->bout);
    t[6] = h->gamma ? check_upload(c, label, 3, (int64_t[]){B, L, H}, h->gamma) : NULL;
    t[7] = h->beta ? check_upload(c, label, 3, (int64_t[]){B, L, H}, h->beta) : NULL;
    d->w = (subq_ckconv_siren_weights){t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]};
    return t[0] && t[1] && (L == 1 || (t[2] && t[3])) && t[4] && t[5] && (!h->gamma || (t[6] && t[7]));
}

static bool run_siren(checker *c, const char *label, const ckconv_case *k, host_case *h, const subq_tensor *grid,
                      subq_tensor **kernel)
{
    device_weights d = {0};
    int64_t shape[3] = {h->batch, h->points, k->channels};
    size_t n = (size_t)(h->batch * h->points * k->channels);
    double *ref = check_alloc(n);
    ref_ckconv_siren(h->grid, h->points, k->dims, k->hidden, k->layers, k->channels, h->w0, h->b0, h->wh, h->bh,
                     h->wout, h->bout, h->gamma, h->beta, h->batch, ref);
    *kernel = check_poisoned(c, label, 3, shape);
    bool ok = *kernel && upload_weights(c, label, k, h, &d) &&
              check_ok(c, label, subq_ckconv_siren(c->stream, grid, &d.w, *kernel)) &&
              check_ok(c, label, subq_stream_wait(c->stream));
    if (ok) check_close(c, label, *kernel, ref, n, LAYER_TOL * (double)k->layers);
    for (int i = 0; i < 8; i++) subq_tensor_destroy(d.t[i]);
    free(ref);
    h->kernel = ok ? download(c, label, *kernel, n) : NULL;
    return h->kernel != NULL;
}

/* The mask in place on the device's kernel; h->kernel becomes the reference's masked kernel. */
static bool run_mask(checker *c, const char *label, const ckconv_case *k, host_case *h, const subq_tensor *grid,
                     subq_tensor *kernel)
{
    subq_ckconv_mask_options o = {.kind = k->mask == GAUSSIAN ? SUBQ_CKCONV_MASK_GAUSSIAN : SUBQ_CKCONV_MASK_EXPONENTIAL,
                                  .min_std = 0.2f, .max_std = 0.7f}; /* clamps part of sigma's U(0.05, 1) */
    size_t n = (size_t)(h->batch * h->points * k->channels);
    ref_ckconv_mask(h->grid, h->points, k->dims, h->params, k->channels, k->mask == GAUSSIAN, (double)o.min_std,
                    (double)o.max_std, h->batch, h->kernel);
    subq_tensor *params = check_upload(c, label, 2, (int64_t[]){k->dims, k->channels}, h->params);
    bool ok = params && check_ok(c, label, subq_ckconv_mask(c->stream, grid, params, &o, kernel)) &&
              check_ok(c, label, subq_stream_wait(c->stream));
    if (ok) check_close(c, label, kernel, h->kernel, n, MASK_TOL);
    subq_tensor_destroy(params);
    return ok;
}

/* A 1D double-grid kernel [Bk, 2N-1, C] sliced causally (k[N-1:], lag 0 first) as the view of
 * include/subq/ckconv.h, fed to subq_fft_kernel_create and used in a causal convolution. */
static void run_causal(checker *c, const char *label, const ckconv_case *k, const host_case *h,
                       const subq_tensor *kernel)
{
    int64_t n = k->size[0], ch = k->channels, bk = h->batch, b = k->film_batch ? bk : 2;
    int64_t shape[3] = {bk, ch, n}, strides[3] = {(2 * n - 1) * ch, 1, ch}, x_shape[3] = {b, ch, n};
    double *sliced = check_alloc((size_t)(bk * ch * n)), *x = random_f32(c, (size_t)(b * ch * n), 1.0);
    double *ref = check_alloc((size_t)(b * ch * n));
    for (int64_t i = 0; i < bk; i++)
        for (int64_t j = 0; j < ch; j++)
            for (int64_t m = 0; m < n; m++)
                sliced[(i * ch + j) * n + m] = h->kernel[(i * (2 * n - 1) + n - 1 + m) * ch + j];
    ref_fftconv_causal(x, sliced, NULL, ref, b, ch, n, n, bk);
    subq_tensor *view = check_tensor_view(c, kernel, (n - 1) * ch, 3, shape, strides);
    subq_tensor *tx = check_upload(c, label, 3, x_shape, x), *ty = check_poisoned(c, label, 3, x_shape);
    subq_fft_conv_options o = {.causal = 1};
    subq_fft_kernel *fk = NULL;
    if (view && tx && ty && check_ok(c, label, subq_fft_kernel_create(c->stream, view, 1, &n, &o, &fk)) &&
        check_ok(c, label, subq_fft_conv(c->stream, tx, fk, NULL, ty)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_close(c, label, ty, ref, (size_t)(b * ch * n), CAUSAL_TOL);
    subq_fft_kernel_destroy(fk);
    subq_tensor_destroy(view);
    subq_tensor_destroy(tx);
    subq_tensor_destroy(ty);
    free(sliced);
    free(x);
    free(ref);
}

static void host_free(host_case *h)
{
    double *all[] = {h->grid, h->w0, h->b0, h->wh, h->bh, h->wout, h->bout, h->gamma, h->beta, h->params, h->kernel};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

static void run_case(checker *c, ckconv_case k)
{
    char label[256];
    describe(&k, label, sizeof label);
    host_case h = {0};
    subq_tensor *grid = NULL, *kernel = NULL;
    make_weights(c, &k, &h);
    bool ok = run_grid(c, label, &k, &h, &grid) && run_siren(c, label, &k, &h, grid, &kernel) &&
              (k.mask == NO_MASK || run_mask(c, label, &k, &h, grid, kernel));
    if (ok && k.dims == 1 && !k.single[0]) run_causal(c, label, &k, &h, kernel);
    subq_tensor_destroy(grid);
    subq_tensor_destroy(kernel);
    host_free(&h);
}

static void grid_cases(checker *c)
{
    /* 1D: double and single grids (N odd and even), L_cache below N (extension) and above */
    run_case(c, (ckconv_case){1, {9}, {9}, {0}, 8, 3, 5, 0, NO_MASK, 30.0});
    run_case(c, (ckconv_case){1, {16}, {5}, {0}, 16, 2, 33, 0, GAUSSIAN, 10.0});
    run_case(c, (ckconv_case){1, {7}, {7}, {1}, 5, 1, 3, 0, EXPONENTIAL, 1.0});
    run_case(c, (ckconv_case){1, {10}, {32}, {1}, 32, 4, 7, 3, GAUSSIAN, 30.0});
    run_case(c, (ckconv_case){1, {33}, {12}, {0}, 64, 3, 70, 2, EXPONENTIAL, 20.0});
    run_case(c, (ckconv_case){1, {1}, {2}, {0}, 3, 2, 1, 1, GAUSSIAN, 5.0});
    /* 2D and 3D, mixed grid types per axis */
    run_case(c, (ckconv_case){2, {5, 8}, {5, 3}, {0, 1}, 12, 3, 9, 0, GAUSSIAN, 15.0});
    run_case(c, (ckconv_case){2, {6, 6}, {6, 6}, {1, 1}, 7, 2, 4, 2, EXPONENTIAL, 30.0});
    run_case(c, (ckconv_case){3, {3, 4, 5}, {3, 2, 9}, {0, 1, 0}, 9, 3, 6, 2, GAUSSIAN, 10.0});
    run_case(c, (ckconv_case){3, {4, 3, 3}, {4, 3, 3}, {0, 0, 0}, 16, 1, 35, 0, EXPONENTIAL, 30.0});
    /* the widest, deepest network the fused shader holds */
    run_case(c, (ckconv_case){1, {6}, {4}, {0}, SUBQ_CKCONV_MAX_HIDDEN, SUBQ_CKCONV_MAX_LAYERS, 65, 2, GAUSSIAN, 30.0});
}

typedef struct error_fixture {
    subq_tensor *grid, *w0, *b0, *wh, *bh, *wout, *bout, *gamma, *beta, *kernel, *params, *wide, *grid_strided;
} error_fixture;

static void errors_grid(checker *c, const error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_ckconv_grid_options good = {.data_dim = 1, .size = {2}, .cache_size = {2}}, o;
    o = good, o.data_dim = 4;
    check_invalid(c, "grid: 4 axes", subq_ckconv_grid(s, &o, f->grid), "options.data_dim");
    o = good, o.size[0] = 0;
    check_invalid(c, "grid: N = 0", subq_ckconv_grid(s, &o, f->grid), "options.size[0]");
    o = good, o.cache_size[0] = 1;
    check_invalid(c, "grid: L_cache = 1", subq_ckconv_grid(s, &o, f->grid), "options.cache_size[0]");
    o = good, o.grid_type[0] = (subq_ckconv_grid_type)2;
    check_invalid(c, "grid: bad grid type", subq_ckconv_grid(s, &o, f->grid), "options.grid_type[0]");
    check_invalid(c, "grid: no options", subq_ckconv_grid(s, NULL, f->grid), "options");
    check_invalid(c, "grid points: nowhere to write", subq_ckconv_grid_points(&good, NULL), "points");
    o = good, o.size[0] = 3;
    check_invalid(c, "grid: wrong shape", subq_ckconv_grid(s, &o, f->grid), "grid");
    check_invalid(c, "grid: strided", subq_ckconv_grid(s, &good, f->grid_strided), "grid");
}

static void errors_siren(checker *c, const error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_ckconv_siren_weights good = {f->w0, f->b0, f->wh, f->bh, f->wout, f->bout, NULL, NULL}, w;
    check_ok(c, "siren: the fixture itself", subq_ckconv_siren(s, f->grid, &good, f->kernel));
    check_invalid(c, "siren: no weights", subq_ckconv_siren(s, f->grid, NULL, f->kernel), "weights");
    w = good, w.w0 = f->wide;
    check_error(c, "siren: hidden too wide", subq_ckconv_siren(s, f->grid, &w, f->kernel), SUBQ_ERROR_UNSUPPORTED,
                "weights.w0");
    w = good, w.b0 = f->bout;
    check_invalid(c, "siren: b0 of the wrong size", subq_ckconv_siren(s, f->grid, &w, f->kernel), "weights.b0");
    w = good, w.b_hidden = NULL;
    check_invalid(c, "siren: w_hidden without b_hidden", subq_ckconv_siren(s, f->grid, &w, f->kernel),
                  "weights.b_hidden");
    w = good, w.film_gamma = f->gamma;
    check_invalid(c, "siren: gamma without beta", subq_ckconv_siren(s, f->grid, &w, f->kernel), "film_beta");
    w = good, w.film_gamma = f->gamma, w.film_beta = f->beta;
    check_invalid(c, "siren: FiLM batch 2, kernel batch 1", subq_ckconv_siren(s, f->grid, &w, f->kernel), "kernel");
    w = good, w.w_out = f->w0;
    check_invalid(c, "siren: kernel channels differ from w_out's", subq_ckconv_siren(s, f->grid, &w, f->kernel),
                  "kernel");
    check_invalid(c, "siren: kernel overlapping b_out", subq_ckconv_siren(s, f->grid, &good, f->bout), "kernel");
    check_invalid(c, "siren: strided grid", subq_ckconv_siren(s, f->grid_strided, &good, f->kernel), "grid");
}

static void errors_mask(checker *c, const error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_ckconv_mask_options good = {.kind = SUBQ_CKCONV_MASK_GAUSSIAN, .min_std = 0.1f, .max_std = 0.5f}, o;
    check_ok(c, "mask: the fixture itself", subq_ckconv_mask(s, f->grid, f->params, &good, f->kernel));
    o = good, o.kind = (subq_ckconv_mask_kind)2;
    check_invalid(c, "mask: bad kind", subq_ckconv_mask(s, f->grid, f->params, &o, f->kernel), "options.kind");
    o = good, o.min_std = 0.0f;
    check_invalid(c, "mask: min_std 0", subq_ckconv_mask(s, f->grid, f->params, &o, f->kernel), "min_std");
    o = good, o.min_std = 0.6f;
    check_invalid(c, "mask: min_std > max_std", subq_ckconv_mask(s, f->grid, f->params, &o, f->kernel), "max_std");
    check_invalid(c, "mask: no options", subq_ckconv_mask(s, f->grid, f->params, NULL, f->kernel), "options");
    check_invalid(c, "mask: params of the wrong shape", subq_ckconv_mask(s, f->grid, f->w0, &good, f->kernel),
                  "params");
    check_invalid(c, "mask: kernel points differ from the grid's",
                  subq_ckconv_mask(s, f->grid, f->params, &good, f->gamma), "kernel");
}

static void errors(checker *c)
{
    error_fixture f = {
        .grid = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){3, 1}),
        .w0 = check_tensor_random(c, 2, (int64_t[]){4, 1}),
        .b0 = check_tensor_random(c, 1, (int64_t[]){4}),
        .wh = check_tensor_random(c, 3, (int64_t[]){1, 4, 4}),
        .bh = check_tensor_random(c, 2, (int64_t[]){1, 4}),
        .wout = check_tensor_random(c, 2, (int64_t[]){2, 4}),
        .bout = check_tensor_random(c, 1, (int64_t[]){2}),
        .gamma = check_tensor_random(c, 3, (int64_t[]){2, 2, 4}),
        .beta = check_tensor_random(c, 3, (int64_t[]){2, 2, 4}),
        .kernel = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 3, 2}),
        .params = check_tensor_random(c, 2, (int64_t[]){1, 2}),
        .wide = check_tensor_random(c, 2, (int64_t[]){SUBQ_CKCONV_MAX_HIDDEN + 1, 1}),
    };
    f.grid_strided = check_tensor_view(c, f.wh, 0, 2, (int64_t[]){3, 1}, (int64_t[]){2, 1});
    subq_tensor **all = &f.grid;
    bool ok = true;
    for (size_t i = 0; i < sizeof f / sizeof *all; i++) ok = ok && all[i];
    if (ok) {
        subq_ckconv_grid_options o = {.data_dim = 1, .size = {2}, .cache_size = {2}};
        check_ok(c, "grid: the fixture itself", subq_ckconv_grid(c->stream, &o, f.grid));
        errors_grid(c, &f);
        errors_siren(c, &f);
        errors_mask(c, &f);
        check_ok(c, "errors: the stream", subq_stream_wait(c->stream));
    }
    for (size_t i = 0; i < sizeof f / sizeof *all; i++) subq_tensor_destroy(all[i]);
}

void check_ckconv(checker *c)
{
    grid_cases(c);
    errors(c);
}
