/* FFT convolution (causal 1D and non-causal ND) against ref_fftconv_causal / ref_fftconv_nd: every
 * size class VkFFT treats differently (tiny, Bluestein primes, single- and multi-pass powers of
 * two, odd 2D/3D shapes), kernel batch 1 and B, every padding, each extra, kernels shorter or
 * longer than the input, kernel updates, strided views with NaN gaps, and a shape whose scratch
 * needs two launches on devices that bind 128 MiB.
 *
 * Tolerance: max |y - ref| <= tol * max(1, max |ref|), with tol 1e-5 up to 2^14 FFT points per
 * row and 2e-5 beyond: fp32 FFT rounding grows like log(F), and the inputs go through float. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "reference/reference.h"
#include "views.h"

typedef struct fft_case {
    int axes;
    int64_t batch, channels, kernel_batch;
    int64_t size[3], kernel[3];
    int causal;
    subq_fft_padding padding[3];
    int pre, post, shortcut;
    int permuted;          /* x, y, pre, post laid out [C, B, *N] with gaps and odd offsets */
    int kernel_last;       /* the kernel stored [Bk, *K, C] (a generator's layout), seen [Bk, C, *K] */
    int may_refuse;        /* an odd circular last axis past VkFFT's one-pass size: refusing is right too */
} fft_case;

typedef struct case_data {
    int64_t x_shape[5], k_shape[5];
    size_t nx, nk;
    double *x, *k, *pre, *post, *shortcut, *ref;
} case_data;

static int64_t prod(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

/* "13x17" */
static const char *sizes(const int64_t *v, int n, char *buf, size_t size)
{
    int used = 0;
    for (int a = 0; a < n && used < (int)size; a++)
        used += snprintf(buf + used, size - (size_t)used, a ? "x%lld" : "%lld", (long long)v[a]);
    return buf;
}

static void describe(const fft_case *k, char *buf, size_t size)
{
    static const char *pads[] = {"zero", "circular"};
    char n[64], kk[64];
    int used = snprintf(buf, size, "fft_conv %dd B=%lld C=%lld Bk=%lld N=%s K=%s", k->axes, (long long)k->batch,
                        (long long)k->channels, (long long)k->kernel_batch, sizes(k->size, k->axes, n, sizeof n),
                        sizes(k->kernel, k->axes, kk, sizeof kk));
    for (int a = 0; a < k->axes && !k->causal; a++)
        used += snprintf(buf + used, size - (size_t)used, " %s", pads[k->padding[a]]);
    snprintf(buf + used, size - (size_t)used, "%s%s%s%s%s%s", k->causal ? " causal" : "", k->pre ? " pre" : "",
             k->post ? " post" : "", k->shortcut ? " shortcut" : "", k->permuted ? " permuted" : "",
             k->kernel_last ? " kernel-channels-last" : "");
}

static double tolerance(const fft_case *k)
{
    int64_t points = 1;
    for (int a = 0; a < k->axes; a++) points *= k->causal ? 2 * k->size[a] : k->size[a] + k->kernel[a];
    return points <= (1 << 14) ? 1e-5 : 2e-5;
}

static void make_data(checker *c, const fft_case *k, case_data *d)
{
    memset(d, 0, sizeof *d);
    d->x_shape[0] = k->batch, d->x_shape[1] = k->channels;
    d->k_shape[0] = k->kernel_batch, d->k_shape[1] = k->channels;
    for (int a = 0; a < k->axes; a++) d->x_shape[2 + a] = k->size[a], d->k_shape[2 + a] = k->kernel[a];
    d->nx = (size_t)prod(d->x_shape, k->axes + 2);
    d->nk = (size_t)prod(d->k_shape, k->axes + 2);
    d->x = check_alloc(d->nx), d->k = check_alloc(d->nk), d->ref = check_alloc(d->nx);
    check_random(c, d->x, d->nx);
    check_random(c, d->k, d->nk);
    if (k->pre) check_random(c, d->pre = check_alloc(d->nx), d->nx);
    if (k->post) check_random(c, d->post = check_alloc(d->nx), d->nx);
    if (k->shortcut) check_random(c, d->shortcut = check_alloc((size_t)k->channels), (size_t)k->channels);
    ref_fftconv_extras extras = {.shortcut = d->shortcut, .pre = d->pre, .post = d->post};
    if (k->causal) {
        ref_fftconv_causal(d->x, d->k, &extras, d->ref, k->batch, k->channels, k->size[0], k->kernel[0],
                           k->kernel_batch);
        return;
    }
    ref_fftconv_shape shape = {.batch = k->batch, .channels = k->channels, .kernel_batch = k->kernel_batch,
                               .ndim = k->axes};
    for (int a = 0; a < k->axes; a++) {
        shape.size[a] = k->size[a];
        shape.kernel[a] = k->kernel[a];
        shape.padding[a] = (ref_fftconv_padding)k->padding[a];
    }
    ref_fftconv_nd(&shape, d->x, d->k, &extras, d->ref);
}

static void free_data(case_data *d)
{
    double *all[] = {d->x, d->k, d->pre, d->post, d->shortcut, d->ref};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

/* x-shaped tensors: dense, or [C, B, *N] in memory with a gap after every row and an odd offset. */
static void layout_like_x(const fft_case *k, const case_data *d, check_view *v, int64_t offset)
{
    int order[5] = {1, 0, 2, 3, 4};
    bool one_axis = k->axes == 1;
    check_view_layout(v, k->axes + 2, d->x_shape, k->permuted ? order : NULL, k->permuted ? offset : 0,
                      k->permuted && one_axis ? 3 : 0);
}

/* The kernel [Bk, C, *K], or stored [Bk, *K, C] and seen through permuted strides. */
static subq_tensor *upload_kernel(checker *c, const char *label, const fft_case *k, const case_data *d,
                                  subq_tensor **storage)
{
    *storage = NULL;
    if (!k->kernel_last) return check_upload(c, label, k->axes + 2, d->k_shape, d->k);
    check_view v;
    int order[5] = {0, 2, 3, 4, 4};
    for (int a = 0; a < k->axes; a++) order[1 + a] = 2 + a;
    order[1 + k->axes] = 1;
    check_view_layout(&v, k->axes + 2, d->k_shape, order, 0, 0);
    if (!check_view_upload(c, label, &v, d->k)) return NULL;
    *storage = v.storage;
    return v.view;
}

typedef struct case_tensors {
    check_view x, y, pre, post;
    subq_tensor *k, *k_storage, *shortcut;
} case_tensors;

static bool upload_case(checker *c, const char *label, const fft_case *k, const case_data *d, case_tensors *t)
{
    memset(t, 0, sizeof *t);
    layout_like_x(k, d, &t->x, 1);
    layout_like_x(k, d, &t->y, 3);
    layout_like_x(k, d, &t->pre, 5);
    layout_like_x(k, d, &t->post, 7);
    bool ok = check_view_upload(c, label, &t->x, d->x) && check_view_upload(c, label, &t->y, NULL);
    ok = ok && (!k->pre || check_view_upload(c, label, &t->pre, d->pre));
    ok = ok && (!k->post || check_view_upload(c, label, &t->post, d->post));
    if (ok && k->shortcut) ok = (t->shortcut = check_upload(c, label, 1, &k->channels, d->shortcut)) != NULL;
    return ok && (t->k = upload_kernel(c, label, k, d, &t->k_storage)) != NULL;
}

static void release_case(case_tensors *t)
{
    check_view_release(&t->x);
    check_view_release(&t->y);
    check_view_release(&t->pre);
    check_view_release(&t->post);
    if (t->k_storage) subq_tensor_destroy(t->k);
    subq_tensor_destroy(t->k_storage ? t->k_storage : t->k);
    subq_tensor_destroy(t->shortcut);
}

static subq_fft_conv_options options_of(const fft_case *k)
{
    subq_fft_conv_options o = {.causal = k->causal};
    memcpy(o.padding, k->padding, sizeof o.padding);
    return o;
}

static void run_case(checker *c, fft_case k)
{
    if (!k.kernel_batch) k.kernel_batch = 1;
    if (!k.axes) k.axes = 1;
    char label[256];
    describe(&k, label, sizeof label);
    case_data d;
    make_data(c, &k, &d);
    case_tensors t;
    subq_fft_kernel *fk = NULL;
    subq_fft_conv_options o = options_of(&k);
    subq_status made = SUBQ_ERROR_INVALID_ARGUMENT;
    if (upload_case(c, label, &k, &d, &t)) made = subq_fft_kernel_create(c->stream, t.k, k.axes, k.size, &o, &fk);
    if (k.may_refuse && made == SUBQ_ERROR_UNSUPPORTED)
        check_error(c, label, made, SUBQ_ERROR_UNSUPPORTED, "no multi-pass real FFT of odd length");
    else if (check_ok(c, label, made)) {
        subq_fft_conv_extras extras = {.pre = k.pre ? t.pre.view : NULL, .post = k.post ? t.post.view : NULL,
                                       .shortcut = t.shortcut};
        if (check_ok(c, label, subq_fft_conv(c->stream, t.x.view, fk, &extras, t.y.view)) &&
            check_ok(c, label, subq_stream_wait(c->stream)))
            check_view_close(c, label, &t.y, d.ref, tolerance(&k));
    }
    subq_fft_kernel_destroy(fk);
    release_case(&t);
    free_data(&d);
}

static fft_case causal(int64_t batch, int64_t channels, int64_t len, int64_t kernel_len, int64_t kernel_batch)
{
    return (fft_case){.axes = 1, .batch = batch, .channels = channels, .kernel_batch = kernel_batch,
                      .size = {len}, .kernel = {kernel_len}, .causal = 1};
}

/* Tiny, Bluestein primes (2L has a prime factor > 13), powers of two on both sides of VkFFT's
 * one-pass limit, kernels shorter than L. */
static void grid_causal(checker *c)
{
    const int64_t tiny[] = {1, 2, 3};
    for (size_t i = 0; i < 3; i++) {
        run_case(c, causal(2, 3, tiny[i], tiny[i], 1));
        run_case(c, causal(2, 3, tiny[i], tiny[i], 2));
    }
    run_case(c, causal(2, 4, 97, 97, 1));
    run_case(c, causal(1, 3, 1009, 1009, 1));
    run_case(c, causal(2, 2, 4099, 4099, 2));
    run_case(c, causal(2, 3, 4096, 4096, 1));
    run_case(c, causal(1, 2, 8192, 8192, 1));
    run_case(c, causal(2, 2, 65536, 2048, 2));
    if (!c->quick) run_case(c, causal(1, 2, 1 << 20, 64, 1));
    run_case(c, causal(3, 5, 1000, 37, 3));
    run_case(c, causal(1, 4, 300, 1, 1));
}

static void grid_extras(checker *c)
{
    for (int mask = 1; mask < 8; mask++) {
        fft_case k = causal(2, 3, 300, 300, mask % 2 ? 1 : 2);
        k.pre = mask & 1, k.post = mask & 2, k.shortcut = mask & 4;
        k.permuted = mask == 7;
        run_case(c, k);
    }
    run_case(c, (fft_case){.axes = 2, .batch = 2, .channels = 3, .kernel_batch = 2, .size = {9, 12},
                           .kernel = {17, 23}, .padding = {SUBQ_FFT_PADDING_ZERO, SUBQ_FFT_PADDING_CIRCULAR},
                           .pre = 1, .post = 1, .shortcut = 1, .permuted = 1, .kernel_last = 1});
}

static fft_case nd(int axes, const int64_t *size, const int64_t *kernel, const subq_fft_padding *padding)
{
    fft_case k = {.axes = axes, .batch = 2, .channels = 2, .kernel_batch = 1};
    for (int a = 0; a < axes; a++) k.size[a] = size[a], k.kernel[a] = kernel[a], k.padding[a] = padding[a];
    return k;
}

/* Non-causal 1D: kernels 2N - 1 (CKConv's double grid), shorter, even, longer than 2N + 2, and
 * longer than N on circular axes (taps wrap around). Zero-padded powers of two with kernels of
 * 2N - 1 or 2N taps take the causal rows' paths: fused (16, 1024, 8192) and four-step (16384). */
static void grid_1d(checker *c)
{
    const int64_t sizes[][2] = {{17, 33}, {16, 5}, {16, 6}, {8, 40}, {10, 25}, {1, 1}, {1, 3}, {97, 193}, {4099, 31},
                                {16, 31}, {1024, 2047}, {8192, 16384}, {16384, 32767}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int p = 0; p < 2; p++) {
            subq_fft_padding padding = (subq_fft_padding)p;
            fft_case k = nd(1, &sizes[i][0], &sizes[i][1], &padding);
            k.kernel_batch = i % 2 ? 2 : 1;
            k.may_refuse = padding == SUBQ_FFT_PADDING_CIRCULAR && sizes[i][0] > 4096;
            run_case(c, k);
        }
}

static void grid_2d_3d(checker *c)
{
    const subq_fft_padding Z = SUBQ_FFT_PADDING_ZERO, R = SUBQ_FFT_PADDING_CIRCULAR;
    run_case(c, nd(2, (int64_t[]){13, 17}, (int64_t[]){25, 33}, (subq_fft_padding[]){Z, Z}));
    run_case(c, nd(2, (int64_t[]){13, 17}, (int64_t[]){25, 33}, (subq_fft_padding[]){R, R}));
    run_case(c, nd(2, (int64_t[]){13, 17}, (int64_t[]){7, 4}, (subq_fft_padding[]){R, Z}));
    run_case(c, nd(2, (int64_t[]){19, 16}, (int64_t[]){37, 31}, (subq_fft_padding[]){Z, R}));
    run_case(c, nd(2, (int64_t[]){1, 5}, (int64_t[]){1, 9}, (subq_fft_padding[]){Z, Z}));
    fft_case batched = nd(2, (int64_t[]){8, 11}, (int64_t[]){15, 21}, (subq_fft_padding[]){Z, Z});
    batched.kernel_batch = 2;
    run_case(c, batched);
    run_case(c, nd(3, (int64_t[]){5, 6, 7}, (int64_t[]){9, 11, 13}, (subq_fft_padding[]){Z, Z, Z}));
    run_case(c, nd(3, (int64_t[]){5, 6, 7}, (int64_t[]){9, 11, 13}, (subq_fft_padding[]){R, Z, R}));
    run_case(c, nd(3, (int64_t[]){4, 3, 17}, (int64_t[]){1, 1, 1}, (subq_fft_padding[]){R, R, R}));
    fft_case three = nd(3, (int64_t[]){3, 4, 5}, (int64_t[]){5, 7, 9}, (subq_fft_padding[]){Z, R, Z});
    three.kernel_batch = 2, three.shortcut = 1, three.permuted = 1;
    run_case(c, three);
}

/* Power-of-two grids small enough for the fused 2D path (fused_2d.h) on the device: one or three
 * radix passes per axis, odd and small N0, padding in the first pass or not, circular axes with
 * kernels that wrap, per-batch kernels, every extra on permuted views. The 64 x 64 image (CKConv's
 * 127 x 127 kernel) takes the fused path where 48 KiB of shared memory allow it. */
static void grid_2d_fused(checker *c)
{
    const subq_fft_padding Z = SUBQ_FFT_PADDING_ZERO, R = SUBQ_FFT_PADDING_CIRCULAR;
    run_case(c, nd(2, (int64_t[]){32, 32}, (int64_t[]){63, 63}, (subq_fft_padding[]){Z, Z}));
    run_case(c, nd(2, (int64_t[]){11, 11}, (int64_t[]){10, 10}, (subq_fft_padding[]){Z, Z}));
    run_case(c, nd(2, (int64_t[]){5, 8}, (int64_t[]){6, 16}, (subq_fft_padding[]){Z, Z}));
    run_case(c, nd(2, (int64_t[]){16, 8}, (int64_t[]){5, 20}, (subq_fft_padding[]){R, R}));
    run_case(c, nd(2, (int64_t[]){64, 16}, (int64_t[]){9, 31}, (subq_fft_padding[]){R, Z}));
    run_case(c, nd(2, (int64_t[]){16, 128}, (int64_t[]){31, 255}, (subq_fft_padding[]){Z, Z}));
    run_case(c, nd(2, (int64_t[]){64, 64}, (int64_t[]){127, 127}, (subq_fft_padding[]){Z, Z}));
    fft_case batched = nd(2, (int64_t[]){16, 16}, (int64_t[]){31, 31}, (subq_fft_padding[]){Z, Z});
    batched.batch = 3, batched.channels = 5, batched.kernel_batch = 3;
    run_case(c, batched);
    fft_case extras = nd(2, (int64_t[]){8, 32}, (int64_t[]){15, 7}, (subq_fft_padding[]){Z, R});
    extras.kernel_batch = 2, extras.pre = 1, extras.post = 1, extras.shortcut = 1, extras.permuted = 1;
    extras.kernel_last = 1;
    run_case(c, extras);
}

/* Two launches on a device that binds 128 MiB (lavapipe): the scratch of all rows is 136 MB. */
static void grid_chunked(checker *c)
{
    if (c->quick) return;
    fft_case k = causal(2, 130, 65536, 8, 2);
    k.shortcut = 1;
    run_case(c, k);
}

/* One kernel object, new weights: the second convolution must use them. */
static void check_update(checker *c)
{
    const char *label = "fft_conv kernel update B=2 C=3 N=40x24 zero/circular";
    fft_case k = nd(2, (int64_t[]){40, 24}, (int64_t[]){79, 47},
                    (subq_fft_padding[]){SUBQ_FFT_PADDING_ZERO, SUBQ_FFT_PADDING_CIRCULAR});
    case_data first, second;
    make_data(c, &k, &first);
    make_data(c, &k, &second);
    memcpy(second.x, first.x, first.nx * sizeof *first.x);
    ref_fftconv_shape shape = {.batch = 2, .channels = 2, .kernel_batch = 1, .ndim = 2, .size = {40, 24},
                               .kernel = {79, 47}, .padding = {REF_FFTCONV_ZERO, REF_FFTCONV_CIRCULAR}};
    ref_fftconv_nd(&shape, second.x, second.k, NULL, second.ref);
    case_tensors t;
    subq_fft_kernel *fk = NULL;
    subq_fft_conv_options o = options_of(&k);
    subq_tensor *k2 = NULL;
    if (upload_case(c, label, &k, &first, &t) && (k2 = check_upload(c, label, 4, second.k_shape, second.k)) &&
        check_ok(c, label, subq_fft_kernel_create(c->stream, t.k, 2, k.size, &o, &fk)) &&
        check_ok(c, label, subq_fft_conv(c->stream, t.x.view, fk, NULL, t.y.view)) &&
        check_ok(c, label, subq_stream_wait(c->stream))) {
        check_view_close(c, label, &t.y, first.ref, 1e-5);
        if (check_ok(c, label, subq_fft_kernel_update(c->stream, fk, k2)) &&
            check_ok(c, label, subq_fft_conv(c->stream, t.x.view, fk, NULL, t.y.view)) &&
            check_ok(c, label, subq_stream_wait(c->stream)))
            check_view_close(c, label, &t.y, second.ref, 1e-5);
    }
    subq_fft_kernel_destroy(fk);
    subq_tensor_destroy(k2);
    release_case(&t);
    free_data(&first);
    free_data(&second);
}

typedef struct error_fixture {
    subq_tensor *x, *k, *y, *pre, *xi, *x10, *x5, *x2d, *k_long, *k3, *k2d, *s5, *gappy_storage, *gappy;
    subq_fft_kernel *fk, *fk3;
} error_fixture;

static void errors_create(checker *c, error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_fft_kernel *out = NULL;
    const int64_t n9[] = {9}, n33[] = {3, 3}, zero[] = {0};
    subq_fft_conv_options causal = {.causal = 1}, bad = {.padding = {(subq_fft_padding)7}};
    check_invalid(c, "create: NULL stream", subq_fft_kernel_create(NULL, f->k, 1, n9, NULL, &out), "stream");
    check_invalid(c, "create: NULL kernel", subq_fft_kernel_create(s, NULL, 1, n9, NULL, &out), "kernel");
    check_invalid(c, "create: NULL result", subq_fft_kernel_create(s, f->k, 1, n9, NULL, NULL), "fft_kernel");
    check_invalid(c, "create: rank 0", subq_fft_kernel_create(s, f->k, 0, n9, NULL, &out), "spatial_rank");
    check_invalid(c, "create: rank 4", subq_fft_kernel_create(s, f->k, 4, n9, NULL, &out), "spatial_rank");
    check_invalid(c, "create: NULL input_size", subq_fft_kernel_create(s, f->k, 1, NULL, NULL, &out), "input_size");
    check_invalid(c, "create: input_size 0", subq_fft_kernel_create(s, f->k, 1, zero, NULL, &out), "input_size[0]");
    check_invalid(c, "create: kernel rank", subq_fft_kernel_create(s, f->k, 2, n33, NULL, &out), "kernel: expected rank 4");
    check_invalid(c, "create: causal 2d", subq_fft_kernel_create(s, f->k2d, 2, n33, &causal, &out), "options.causal");
    check_invalid(c, "create: causal kernel longer than L", subq_fft_kernel_create(s, f->k_long, 1, n9, &causal, &out),
           "kernel: a causal kernel has at most L = 9");
    check_invalid(c, "create: unknown padding", subq_fft_kernel_create(s, f->k, 1, n9, &bad, &out), "options.padding[0]");
    check_invalid(c, "create: kernel dtype", subq_fft_kernel_create(s, f->xi, 1, n9, NULL, &out),
           "kernel: expected dtype f32");
}

static void errors_conv(checker *c, error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_fft_conv_extras pre_y = {.pre = f->y}, bad_pre = {.pre = f->x10}, bad_shortcut = {.shortcut = f->s5};
    check_invalid(c, "conv: NULL stream", subq_fft_conv(NULL, f->x, f->fk, NULL, f->y), "stream");
    check_invalid(c, "conv: NULL kernel object", subq_fft_conv(s, f->x, NULL, NULL, f->y), "fft_kernel");
    check_invalid(c, "conv: NULL x", subq_fft_conv(s, NULL, f->fk, NULL, f->y), "x: expected a tensor");
    check_invalid(c, "conv: NULL y", subq_fft_conv(s, f->x, f->fk, NULL, NULL), "y: expected a tensor");
    check_invalid(c, "conv: other input size", subq_fft_conv(s, f->x10, f->fk, NULL, f->y),
           "x: fft_kernel was made for input size [9]; x has [10]");
    check_invalid(c, "conv: channels", subq_fft_conv(s, f->x5, f->fk, NULL, f->y), "x: fft_kernel has 4 channels");
    check_invalid(c, "conv: kernel batch", subq_fft_conv(s, f->x, f->fk3, NULL, f->y), "fft_kernel: its kernel batch is 3");
    check_invalid(c, "conv: x rank", subq_fft_conv(s, f->x2d, f->fk, NULL, f->y), "x: expected rank 3");
    check_invalid(c, "conv: x dtype", subq_fft_conv(s, f->xi, f->fk, NULL, f->y), "x: expected dtype f32");
    check_invalid(c, "conv: strided spatial axis", subq_fft_conv(s, f->gappy, f->fk, NULL, f->y),
           "x: the spatial axes must be dense");
    check_invalid(c, "conv: y shape", subq_fft_conv(s, f->x, f->fk, NULL, f->x10), "y: expected shape [2, 4, 9]");
    check_invalid(c, "conv: y aliases x", subq_fft_conv(s, f->x, f->fk, NULL, f->x), "y: shares memory with x");
    check_invalid(c, "conv: y aliases pre", subq_fft_conv(s, f->x, f->fk, &pre_y, f->y), "y: shares memory with extras->pre");
    check_invalid(c, "conv: pre shape", subq_fft_conv(s, f->x, f->fk, &bad_pre, f->y), "extras->pre: expected shape");
    check_invalid(c, "conv: shortcut shape", subq_fft_conv(s, f->x, f->fk, &bad_shortcut, f->y),
           "extras->shortcut: expected shape [4]");
    check_invalid(c, "update: NULL kernel object", subq_fft_kernel_update(s, NULL, f->k), "fft_kernel");
    check_invalid(c, "update: kernel shape", subq_fft_kernel_update(s, f->fk, f->k_long), "kernel: expected shape [1, 4, 9]");
}

static void errors_other_context(checker *c, error_fixture *f)
{
    subq_context *other = NULL;
    subq_stream *stream = NULL;
    if (!check_ok(c, "second context", subq_context_create(NULL, &other))) return;
    if (check_ok(c, "second stream", subq_stream_create(other, &stream)))
        check_invalid(c, "conv: kernel object of another context", subq_fft_conv(stream, f->x, f->fk, NULL, f->y),
               "fft_kernel: belongs to another context");
    subq_stream_destroy(stream);
    subq_context_destroy(other);
}

/* Each bad input is refused with a message naming the argument; nothing is recorded. */
static void check_errors(checker *c)
{
    error_fixture f = {
        .x = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 4, 9}), .k = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 4, 9}),
        .y = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 4, 9}), .xi = check_tensor_empty(c, SUBQ_I32, 3, (int64_t[]){2, 4, 9}),
        .x10 = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 4, 10}), .x5 = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 5, 9}),
        .x2d = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 4, 3, 3}), .k_long = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 4, 10}),
        .k3 = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){3, 4, 9}), .k2d = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){1, 4, 3, 3}),
        .s5 = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){5}), .gappy_storage = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){144}),
    };
    subq_fft_conv_options causal = {.causal = 1};
    const int64_t n9[] = {9}, dense[] = {2, 4, 9}, gaps[] = {72, 18, 2};
    bool ready = f.x && f.k && f.y && f.xi && f.x10 && f.x5 && f.x2d && f.k_long && f.k3 && f.k2d && f.s5 &&
                 f.gappy_storage &&
                 check_ok(c, "error fixture", subq_tensor_view(f.gappy_storage, 0, 3, dense, gaps, &f.gappy)) &&
                 check_ok(c, "error fixture", subq_fft_kernel_create(c->stream, f.k, 1, n9, &causal, &f.fk)) &&
                 check_ok(c, "error fixture", subq_fft_kernel_create(c->stream, f.k3, 1, n9, NULL, &f.fk3));
    if (ready) {
        errors_create(c, &f);
        errors_conv(c, &f);
        errors_other_context(c, &f);
    }
    check_ok(c, "error fixture", subq_stream_wait(c->stream));
    subq_fft_kernel_destroy(f.fk);
    subq_fft_kernel_destroy(f.fk3);
    subq_tensor *all[] = {f.x, f.k, f.y, f.xi, f.x10, f.x5, f.x2d, f.k_long, f.k3, f.k2d, f.s5, f.gappy,
                          f.gappy_storage};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
}

/* ---- plans on disk ---------------------------------------------------------------------------- */

#define MAX_PLAN_FILES 8

typedef struct plan_files {
    int count;
    char path[MAX_PLAN_FILES][512];
    ino_t inode[MAX_PLAN_FILES];
    char *bytes[MAX_PLAN_FILES];
    long size[MAX_PLAN_FILES];
} plan_files;

static void read_plan_files(const char *dir, plan_files *f)
{
    memset(f, 0, sizeof *f);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) && f->count < MAX_PLAN_FILES;) {
        if (strncmp(e->d_name, "vkfft-", 6) != 0) continue;
        int i = f->count++;
        snprintf(f->path[i], sizeof f->path[i], "%s/%s", dir, e->d_name);
        struct stat st;
        FILE *file = fopen(f->path[i], "rb");
        if (!file || stat(f->path[i], &st) != 0) continue;
        f->inode[i] = st.st_ino;
        f->size[i] = (long)st.st_size;
        f->bytes[i] = malloc((size_t)st.st_size);
        if (fread(f->bytes[i], 1, (size_t)st.st_size, file) != (size_t)st.st_size) f->size[i] = -1;
        fclose(file);
    }
    if (d) closedir(d);
}

static void free_plan_files(plan_files *f)
{
    for (int i = 0; i < f->count; i++) free(f->bytes[i]);
}

/* run_case on a fresh context whose caches live in dir. */
static void run_in_context(checker *c, const char *dir, fft_case k)
{
    subq_context_options options = {.cache_dir = dir};
    checker sub = *c;
    if (!check_ok(c, "plan cache context", subq_context_create(&options, &sub.ctx))) return;
    if (check_ok(c, "plan cache stream", subq_stream_create(sub.ctx, &sub.stream))) {
        run_case(&sub, k);
        c->passed = sub.passed, c->failed = sub.failed, c->rng = sub.rng;
    }
    subq_stream_destroy(sub.stream);
    subq_context_destroy(sub.ctx);
}

/* Same files, same names, same bytes; `replaced` says whether each was rewritten (new inode). */
static void compare_plan_files(checker *c, const char *label, const plan_files *a, const plan_files *b, bool replaced)
{
    bool same = a->count == b->count && a->count == 2;
    for (int i = 0; same && i < a->count; i++)
        same = !strcmp(a->path[i], b->path[i]) && a->size[i] == b->size[i] && a->size[i] > 0 &&
               !memcmp(a->bytes[i], b->bytes[i], (size_t)a->size[i]) && (a->inode[i] != b->inode[i]) == replaced;
    if (same) c->passed++;
    else check_fail(c, label, "expected the 2 plan files (kernel and convolution) %s; found %d then %d",
                    replaced ? "rewritten with the same bytes" : "untouched", a->count, b->count);
}

/* The first context compiles and saves both plans (a Bluestein size, the hardest to reload); the
 * second loads them and leaves the files alone; after corruption they are ignored, recompiled and
 * saved again. Every run is checked against the reference. */
static void check_plan_disk_cache(checker *c)
{
    char dir[] = "/tmp/subq-fft-cache-XXXXXX";
    if (!mkdtemp(dir)) return;
    fft_case k = causal(2, 3, 97, 60, 1);
    plan_files first, second, third;
    run_in_context(c, dir, k);
    read_plan_files(dir, &first);
    run_in_context(c, dir, k);
    read_plan_files(dir, &second);
    compare_plan_files(c, "fft plans loaded from disk", &first, &second, false);
    for (int i = 0; i < second.count; i++) {
        FILE *f = fopen(second.path[i], "r+b");
        if (f && fseek(f, second.size[i] / 2, SEEK_SET) == 0) fputc(~second.bytes[i][second.size[i] / 2], f);
        if (f) fclose(f);
    }
    run_in_context(c, dir, k);
    read_plan_files(dir, &third);
    compare_plan_files(c, "corrupt fft plan files replaced", &second, &third, true);
    for (int i = 0; i < third.count; i++) remove(third.path[i]);
    free_plan_files(&first);
    free_plan_files(&second);
    free_plan_files(&third);
    DIR *d = opendir(dir);
    char path[600];
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && snprintf(path, sizeof path, "%s/%s", dir, e->d_name) > 0) remove(path);
    if (d) closedir(d);
    rmdir(dir);
}

void check_fft_conv(checker *c)
{
    grid_causal(c);
    grid_extras(c);
    grid_1d(c);
    grid_2d_3d(c);
    grid_2d_fused(c);
    grid_chunked(c);
    check_update(c);
    check_plan_disk_cache(c);
    check_errors(c);
}
