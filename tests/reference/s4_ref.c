/* SPEC 7 (lrnnx convolution family) as direct sums in double precision, complex <complex.h>. */
#include <complex.h>
#include <math.h>

#include "reference.h"

static double complex at(const double *v, int parts, int64_t i)
{
    return parts == 2 ? v[2 * i] + I * v[2 * i + 1] : v[i];
}

void ref_lrnnx_fft_conv(ref_lrnnx_pattern pattern, int64_t batch, int64_t length, int64_t inner, int64_t out,
                        int64_t n, int64_t lk, const double *x, int x_parts, const double *k, int k_parts,
                        const double *b, int b_parts, const double *c, int c_parts, double *y)
{
    int64_t taps = lk < 2 * length ? lk : 2 * length;
    for (int64_t bb = 0; bb < batch; bb++)
        for (int64_t t = 0; t < length; t++)
            for (int64_t o = 0; o < out; o++) {
                double complex acc = 0;
                for (int64_t s = 0; s < taps; s++) {
                    int64_t u = ref_floor_mod(t - s, 2 * length);
                    if (u >= length) continue;
                    const int64_t xrow = (bb * length + u) * inner;
                    if (pattern == REF_LRNNX_FULL) {
                        for (int64_t i = 0; i < inner; i++)
                            acc += at(k, k_parts, (s * out + o) * inner + i) * at(x, x_parts, xrow + i);
                    } else if (pattern == REF_LRNNX_DIAGONAL) {
                        acc += at(k, k_parts, s * inner + o) * at(x, x_parts, xrow + o);
                    } else {
                        for (int64_t m = 0; m < n; m++) {
                            double complex proj = 0;
                            for (int64_t h = 0; h < inner; h++) proj += at(b, b_parts, m * inner + h) * at(x, x_parts, xrow + h);
                            acc += at(c, c_parts, o * n + m) * at(k, k_parts, m * lk + s) * proj;
                        }
                    }
                }
                y[2 * ((bb * length + t) * out + o)] = creal(acc);
                y[2 * ((bb * length + t) * out + o) + 1] = cimag(acc);
            }
}

void ref_opt_ssm(int64_t batch, int64_t length, int64_t h_in, int64_t h_out, int64_t n, int64_t lk,
                 const double *x, const double *K, int k_parts, const double *B, int b_parts, const double *C,
                 int c_parts, double *y)
{
    for (int64_t bb = 0; bb < batch; bb++)
        for (int64_t t = 0; t < length; t++)
            for (int64_t o = 0; o < h_out; o++) {
                double complex acc = 0;
                for (int64_t s = 0; s <= t && s < lk; s++)
                    for (int64_t m = 0; m < n; m++) {
                        double complex proj = 0;
                        for (int64_t h = 0; h < h_in; h++)
                            proj += at(B, b_parts, m * h_in + h) * x[(bb * length + t - s) * h_in + h];
                        acc += at(C, c_parts, o * n + m) * at(K, k_parts, m * lk + s) * proj;
                    }
                y[(bb * length + t) * h_out + o] = creal(acc);
            }
}

static double complex param(const double *v, int64_t i) { return v[2 * i] + I * v[2 * i + 1]; }

static double complex s4_a(const ref_s4 *s, int64_t h, int64_t n)
{
    int64_t row = (h % s->n_ssm) * s->n2 + n;
    return -exp(s->a_real[row]) - I * s->a_imag[row];
}

void ref_s4d_discretise(const ref_s4 *s, double rate, double *da, double *db)
{
    for (int64_t h = 0; h < s->h; h++)
        for (int64_t n = 0; n < s->n2; n++) {
            double complex a = s4_a(s, h, n), b = param(s->b, (h % s->n_ssm) * s->n2 + n);
            double dt = exp(s->inv_dt[h]) * rate;
            double complex dta = dt * a, dA, dB;
            if (s->bilinear) {
                dA = (1 + dta / 2) / (1 - dta / 2);
                dB = b * dt / (1 - dta / 2);
            } else {
                dA = cexp(dta);
                dB = b * (cexp(dta) - 1) / a;
            }
            int64_t i = h * s->n2 + n;
            da[2 * i] = creal(dA), da[2 * i + 1] = cimag(dA);
            db[2 * i] = creal(dB), db[2 * i + 1] = cimag(dB);
        }
}

void ref_s4d_kernel(const ref_s4 *s, double rate, int64_t lk, double *k)
{
    double da[2 * 4096], db[2 * 4096]; /* h * n2 <= 4096 in the checks */
    ref_s4d_discretise(s, rate, da, db);
    for (int64_t c = 0; c < s->channels; c++)
        for (int64_t h = 0; h < s->h; h++)
            for (int64_t l = 0; l < lk; l++) {
                double acc = 0;
                for (int64_t n = 0; n < s->n2; n++) {
                    int64_t i = h * s->n2 + n;
                    double complex z = param(da, i);
                    acc += 2 * creal(param(s->c, (c * s->h + h) * s->n2 + n) * param(db, i) * cpow(z, l));
                }
                k[(c * s->h + h) * lk + l] = acc;
            }
}

/* Cauchy sum over the modes and their conjugates: sum v / (z - w) + conj(v) / (z - conj(w)). */
static double complex cauchy(const double complex *v, const double complex *w, int64_t n2, double complex z)
{
    double complex r = 0;
    for (int64_t n = 0; n < n2; n++) r += v[n] / (z - w[n]) + conj(v[n]) / (z - conj(w[n]));
    return r;
}

void ref_s4_dplr_kernel(const ref_s4 *s, double rate, int64_t fft, int64_t lk, double *k)
{
    double complex w[512], bc[512], bq[512], pc[512], pq[512], kf[4097];
    for (int64_t c = 0; c < s->channels; c++)
        for (int64_t h = 0; h < s->h; h++) {
            double dt = exp(s->inv_dt[h]) * rate;
            for (int64_t n = 0; n < s->n2; n++) {
                int64_t row = (h % s->n_ssm) * s->n2 + n;
                double complex b = param(s->b, row), p = param(s->p, row), q = conj(p);
                double complex cc = param(s->c, (c * s->h + h) * s->n2 + n);
                w[n] = s4_a(s, h, n) * dt;
                bc[n] = b * cc * dt, bq[n] = b * q * dt, pc[n] = p * cc * dt, pq[n] = p * q * dt;
            }
            for (int64_t f = 0; f <= fft / 2; f++) {
                double complex omega = cexp(-2 * M_PI * I * (double)f / (double)fft);
                if (2 * f == fft) { /* omega = -1: the limit, z -> infinity (Re of the summed v) */
                    double re = 0;
                    for (int64_t n = 0; n < s->n2; n++) re += creal(bc[n]);
                    kf[f] = re;
                    continue;
                }
                double complex z = 2 * (1 - omega) / (1 + omega);
                double complex r00 = cauchy(bc, w, s->n2, z), r01 = cauchy(bq, w, s->n2, z);
                double complex r10 = cauchy(pc, w, s->n2, z), r11 = cauchy(pq, w, s->n2, z);
                kf[f] = (r00 - r01 * r10 / (1 + r11)) * 2 / (1 + omega);
            }
            for (int64_t l = 0; l < lk; l++) { /* irfft: Hermitian extension, imag of bins 0, fft/2 dropped */
                double acc = creal(kf[0]);
                for (int64_t f = 1; f <= fft / 2; f++) {
                    double complex term = kf[f] * cexp(2 * M_PI * I * (double)(f * l % fft) / (double)fft);
                    if (2 * f == fft)
                        acc += creal(kf[f]) * (l % 2 ? -1 : 1);
                    else
                        acc += 2 * creal(term);
                }
                k[(c * s->h + h) * lk + l] = acc / (double)fft;
            }
        }
}

void ref_s4_causal(const double *k, int64_t channels, int64_t h, int64_t lk, const double *x, int64_t batch,
                   int64_t length, double *y)
{
    for (int64_t b = 0; b < batch; b++)
        for (int64_t c = 0; c < channels; c++)
            for (int64_t j = 0; j < h; j++)
                for (int64_t t = 0; t < length; t++) {
                    double acc = 0;
                    for (int64_t s = 0; s <= t && s < lk; s++) acc += k[(c * h + j) * lk + s] * x[(b * h + j) * length + t - s];
                    y[((b * channels + c) * h + j) * length + t] = acc;
                }
}

void ref_s4d_recur(const ref_s4 *s, const double *x, int64_t batch, int64_t length, double *state, double *y)
{
    double da[2 * 4096], db[2 * 4096];
    ref_s4d_discretise(s, 1.0, da, db);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < length; t++)
            for (int64_t h = 0; h < s->h; h++) {
                for (int64_t n = 0; n < s->n2; n++) {
                    int64_t i = h * s->n2 + n, si = (b * s->h + h) * s->n2 + n;
                    double complex v = param(da, i) * param(state, si) + param(db, i) * x[(b * s->h + h) * length + t];
                    state[2 * si] = creal(v), state[2 * si + 1] = cimag(v);
                }
                for (int64_t c = 0; c < s->channels; c++) {
                    double acc = 0;
                    for (int64_t n = 0; n < s->n2; n++)
                        acc += 2 * creal(param(s->c, (c * s->h + h) * s->n2 + n) * param(state, (b * s->h + h) * s->n2 + n));
                    if (y) y[((b * s->channels + c) * s->h + h) * length + t] = acc;
                }
            }
}
