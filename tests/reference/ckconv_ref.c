/* SPEC 4: CKConv's coordinate grid, SIREN kernel network and masks, in double. */
#include <math.h>
#include <stdlib.h>

#include "reference.h"

int64_t ref_ckconv_axis_points(int64_t n, int single)
{
    int64_t g = single ? (n + 1) / 2 : n;
    return 2 * g - 1;
}

void ref_ckconv_grid(int dims, const int64_t *size, const int64_t *cache, const int *single, double *grid)
{
    int64_t count[REF_MAX_SPATIAL], points = 1;
    for (int d = 0; d < dims; d++) {
        count[d] = ref_ckconv_axis_points(size[d], single[d]);
        points *= count[d];
    }
    for (int64_t p = 0; p < points; p++) {
        int64_t rest = p;
        for (int d = dims - 1; d >= 0; d--) {
            int64_t i = rest % count[d];
            rest /= count[d];
            grid[p * dims + d] = (double)(i - (count[d] - 1) / 2) / (double)(cache[d] - 1);
        }
    }
}

/* out [n_out] = sin(w [n_out, n_in] x + b). */
static void sine_layer(const double *w, const double *b, const double *x, int64_t n_in, int64_t n_out, double *out)
{
    for (int64_t j = 0; j < n_out; j++) {
        double acc = b[j];
        for (int64_t i = 0; i < n_in; i++) acc += w[j * n_in + i] * x[i];
        out[j] = sin(acc);
    }
}

static void film(const double *gamma, const double *beta, int64_t b, int64_t l, int64_t layers, int64_t hidden,
                 double *h)
{
    if (!gamma) return;
    const double *g = gamma + (b * layers + l) * hidden, *be = beta + (b * layers + l) * hidden;
    for (int64_t j = 0; j < hidden; j++) h[j] = g[j] * h[j] + be[j];
}

void ref_ckconv_siren(const double *grid, int64_t points, int64_t dims, int64_t hidden, int64_t layers,
                      int64_t channels, const double *w0, const double *b0, const double *wh, const double *bh,
                      const double *wout, const double *bout, const double *gamma, const double *beta,
                      int64_t batch, double *kernel)
{
    double *h = malloc((size_t)hidden * sizeof *h), *next = malloc((size_t)hidden * sizeof *next);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t p = 0; p < points; p++) {
            sine_layer(w0, b0, grid + p * dims, dims, hidden, h);
            film(gamma, beta, b, 0, layers, hidden, h);
            for (int64_t l = 1; l < layers; l++) {
                sine_layer(wh + (l - 1) * hidden * hidden, bh + (l - 1) * hidden, h, hidden, hidden, next);
                for (int64_t j = 0; j < hidden; j++) h[j] = next[j];
                film(gamma, beta, b, l, layers, hidden, h);
            }
            double *k = kernel + (b * points + p) * channels;
            for (int64_t c = 0; c < channels; c++) {
                double acc = bout[c];
                for (int64_t i = 0; i < hidden; i++) acc += wout[c * hidden + i] * h[i];
                k[c] = acc;
            }
        }
    free(h);
    free(next);
}

void ref_ckconv_mask(const double *grid, int64_t points, int64_t dims, const double *params, int64_t channels,
                     int gaussian, double min_std, double max_std, int64_t batch, double *kernel)
{
    for (int64_t b = 0; b < batch; b++)
        for (int64_t p = 0; p < points; p++)
            for (int64_t c = 0; c < channels; c++) {
                double mask = 1.0;
                for (int64_t d = 0; d < dims; d++) {
                    double x = grid[p * dims + d], w = params[d * channels + c];
                    double sigma = fmin(fmax(w, min_std), max_std);
                    mask *= gaussian ? exp(-0.5 * x * x / (sigma * sigma)) : exp(-fabs(x) * fabs(w));
                }
                kernel[(b * points + p) * channels + c] *= mask;
            }
}
