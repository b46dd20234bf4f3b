/* SPEC 4: the CKConv global convolution as direct sums. These are true convolutions (kernel index
 * 0 is lag 0 for the causal form; index K/2 or (K-1)/2 is lag 0 for the centred forms), unlike the
 * cross-correlations of SPEC 1 and 2. */
#include <math.h>
#include <stdlib.h>

#include "reference.h"

static const ref_fftconv_extras no_extras = {0};

/* u = pre * x: the convolution and the shortcut both see the gated input. */
static double gated_input(const ref_fftconv_extras *e, const double *x, int64_t i)
{
    return e->pre ? e->pre[i] * x[i] : x[i];
}

static double finish(const ref_fftconv_extras *e, const double *x, int64_t i, int64_t c,
                     double conv)
{
    double y = conv + (e->shortcut ? e->shortcut[c] * gated_input(e, x, i) : 0.0);
    return e->post ? e->post[i] * y : y;
}

/* ---- causal 1D ------------------------------------------------------------------------------- */

void ref_fftconv_causal(const double *x, const double *k, const ref_fftconv_extras *extras,
                        double *y, int64_t batch, int64_t channels, int64_t len,
                        int64_t kernel_len, int64_t kernel_batch)
{
    const ref_fftconv_extras *e = extras ? extras : &no_extras;
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t c = 0; c < channels; c++) {
            int64_t row = (b * channels + c) * len;
            const double *k_row = k + ((kernel_batch == 1 ? 0 : b) * channels + c) * kernel_len;
            for (int64_t n = 0; n < len; n++) {
                double acc = 0.0;
                for (int64_t m = 0; m <= n && m < kernel_len; m++)
                    acc += k_row[m] * gated_input(e, x, row + n - m);
                y[row + n] = finish(e, x, row + n, c, acc);
            }
        }
    }
}

/* ---- non-causal ND --------------------------------------------------------------------------- */

/* Missing leading axes become size 1, kernel 1, zero padding: one tap at lag 0, sums unchanged. */
typedef struct nd_axes {
    int64_t size[3];
    int64_t kernel[3];
    ref_fftconv_padding padding[3];
} nd_axes;

static nd_axes as_3d(const ref_fftconv_shape *shape)
{
    nd_axes a;
    int lead = 3 - shape->ndim;
    for (int i = 0; i < 3; i++) {
        int d = i - lead;
        a.size[i] = d < 0 ? 1 : shape->size[d];
        a.kernel[i] = d < 0 ? 1 : shape->kernel[d];
        a.padding[i] = d < 0 ? REF_FFTCONV_ZERO : shape->padding[d];
    }
    return a;
}

/* The input index that kernel tap m reaches from output n on one axis; -1 where zero padding
 * supplies the value. */
static int64_t source_index(const nd_axes *a, int axis, int64_t n, int64_t m)
{
    int64_t size = a->size[axis], kernel = a->kernel[axis];
    if (a->padding[axis] == REF_FFTCONV_CIRCULAR)
        return ref_floor_mod(n - m + (kernel - 1) / 2, size);
    int64_t i = n + kernel / 2 - m;
    return i >= 0 && i < size ? i : -1;
}

/* One output point; plane is the offset of this (b, c) plane in x, k_plane its kernel. */
static double convolve_point(const nd_axes *a, const ref_fftconv_extras *e, const double *x,
                             int64_t plane, const double *k_plane, int64_t n0, int64_t n1,
                             int64_t n2)
{
    double acc = 0.0;
    for (int64_t m0 = 0; m0 < a->kernel[0]; m0++) {
        int64_t i0 = source_index(a, 0, n0, m0);
        if (i0 < 0)
            continue;
        for (int64_t m1 = 0; m1 < a->kernel[1]; m1++) {
            int64_t i1 = source_index(a, 1, n1, m1);
            if (i1 < 0)
                continue;
            for (int64_t m2 = 0; m2 < a->kernel[2]; m2++) {
                int64_t i2 = source_index(a, 2, n2, m2);
                if (i2 < 0)
                    continue;
                double kv = k_plane[(m0 * a->kernel[1] + m1) * a->kernel[2] + m2];
                acc += kv * gated_input(e, x, plane + (i0 * a->size[1] + i1) * a->size[2] + i2);
            }
        }
    }
    return acc;
}

void ref_fftconv_nd(const ref_fftconv_shape *shape, const double *x, const double *k,
                    const ref_fftconv_extras *extras, double *y)
{
    const ref_fftconv_extras *e = extras ? extras : &no_extras;
    nd_axes a = as_3d(shape);
    int64_t points = a.size[0] * a.size[1] * a.size[2];
    int64_t taps = a.kernel[0] * a.kernel[1] * a.kernel[2];
    for (int64_t b = 0; b < shape->batch; b++) {
        for (int64_t c = 0; c < shape->channels; c++) {
            int64_t plane = (b * shape->channels + c) * points;
            int64_t kb = shape->kernel_batch == 1 ? 0 : b;
            const double *k_plane = k + (kb * shape->channels + c) * taps;
            for (int64_t n0 = 0; n0 < a.size[0]; n0++)
                for (int64_t n1 = 0; n1 < a.size[1]; n1++)
                    for (int64_t n2 = 0; n2 < a.size[2]; n2++) {
                        int64_t i = plane + (n0 * a.size[1] + n1) * a.size[2] + n2;
                        double conv = convolve_point(&a, e, x, plane, k_plane, n0, n1, n2);
                        y[i] = finish(e, x, i, c, conv);
                    }
        }
    }
}

void ref_fft(double *re, double *im, int64_t n)
{
    for (int64_t i = 1, j = 0; i < n; i++) {
        int64_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j |= bit;
        if (i < j) {
            double r = re[i], m = im[i];
            re[i] = re[j], im[i] = im[j], re[j] = r, im[j] = m;
        }
    }
    for (int64_t len = 2; len <= n; len <<= 1) {
        for (int64_t k = 0; k < len / 2; k++) {
            double wr = cos(-2 * M_PI * (double)k / (double)len), wi = sin(-2 * M_PI * (double)k / (double)len);
            for (int64_t i = k; i < n; i += len) {
                int64_t j = i + len / 2;
                double tr = re[j] * wr - im[j] * wi, ti = re[j] * wi + im[j] * wr;
                re[j] = re[i] - tr, im[j] = im[i] - ti;
                re[i] += tr, im[i] += ti;
            }
        }
    }
}

void ref_rfft_rows(const double *k, int64_t rows, int64_t len, int64_t points, double *spectrum)
{
    int64_t bins = points / 2 + 1;
    double *re = malloc((size_t)points * sizeof *re), *im = malloc((size_t)points * sizeof *im);
    for (int64_t row = 0; row < rows && re && im; row++) {
        for (int64_t i = 0; i < points; i++) re[i] = i < len ? k[row * len + i] : 0.0;
        for (int64_t i = 0; i < points; i++) im[i] = 0.0;
        ref_fft(re, im, points);
        for (int64_t f = 0; f < bins; f++) {
            spectrum[(row * bins + f) * 2] = re[f] / (double)points;
            spectrum[(row * bins + f) * 2 + 1] = im[f] / (double)points;
        }
    }
    free(re);
    free(im);
}
