/* SPEC 7 (lrnnx convolution family) as direct sums in double precision, complex <complex.h>. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

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

/* ---- S4 (DPLR) recurrence, dense (the original's "dense" step mode) --------------------------- */

/* Solve a x = b in place for m right-hand sides (b [n, m]) by Gaussian elimination with partial
 * pivoting; a [n, n] is destroyed. */
static void solve(int64_t n, double complex *a, double complex *b, int64_t m)
{
    for (int64_t k = 0; k < n; k++) {
        int64_t pivot = k;
        for (int64_t i = k + 1; i < n; i++)
            if (cabs(a[i * n + k]) > cabs(a[pivot * n + k])) pivot = i;
        for (int64_t j = 0; j < n; j++) {
            double complex t = a[k * n + j];
            a[k * n + j] = a[pivot * n + j], a[pivot * n + j] = t;
        }
        for (int64_t j = 0; j < m; j++) {
            double complex t = b[k * m + j];
            b[k * m + j] = b[pivot * m + j], b[pivot * m + j] = t;
        }
        for (int64_t i = k + 1; i < n; i++) {
            double complex f = a[i * n + k] / a[k * n + k];
            for (int64_t j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j];
            for (int64_t j = 0; j < m; j++) b[i * m + j] -= f * b[k * m + j];
        }
    }
    for (int64_t k = n - 1; k >= 0; k--)
        for (int64_t j = 0; j < m; j++) {
            double complex v = b[k * m + j];
            for (int64_t i = k + 1; i < n; i++) v -= a[k * n + i] * b[i * m + j];
            b[k * m + j] = v / a[k * n + k];
        }
}

static void matmul(int64_t n, const double complex *a, const double complex *b, double complex *out)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double complex acc = 0;
            for (int64_t k = 0; k < n; k++) acc += a[i * n + k] * b[k * n + j];
            out[i * n + j] = acc;
        }
}

/* Row h's dense bilinear dA [m, m] and dB [m] over both members of each pair (m = 2 n2): A =
 * diag(Lambda) - P P^*, dA = (I - dt/2 A)^-1 (I + dt/2 A), dB = (I - dt/2 A)^-1 dt B. */
static void dplr_dense(const ref_s4 *s, int64_t h, double complex *da, double complex *db, double complex *work)
{
    int64_t n2 = s->n2, m = 2 * n2, row = (h % s->n_ssm) * n2;
    double dt = exp(s->inv_dt[h]);
    for (int64_t i = 0; i < m; i++) {
        double complex pi = param(s->p, row + i % n2), bi = param(s->b, row + i % n2);
        double complex lambda = s4_a(s, h, i % n2);
        if (i >= n2) pi = conj(pi), bi = conj(bi), lambda = conj(lambda);
        for (int64_t j = 0; j < m; j++) {
            double complex pj = param(s->p, row + j % n2);
            if (j >= n2) pj = conj(pj);
            double complex a = (i == j ? lambda : 0) - pi * conj(pj);
            work[i * m + j] = (i == j) - dt / 2 * a;
            da[i * m + j] = (i == j) + dt / 2 * a;
        }
        db[i] = dt * bi;
    }
    double complex *lhs = work + m * m;
    for (int64_t i = 0; i < m * m; i++) lhs[i] = work[i];
    solve(m, lhs, da, m);
    solve(m, work, db, 1);
}

void ref_s4_dplr_discretise(const ref_s4 *s, int64_t h, double *da, double *db)
{
    int64_t m = 2 * s->n2;
    double complex *a = malloc(sizeof(double complex) * (size_t)(3 * m * m + m));
    dplr_dense(s, h, a, a + m * m, a + m * m + m);
    for (int64_t i = 0; i < m * m; i++) da[2 * i] = creal(a[i]), da[2 * i + 1] = cimag(a[i]);
    for (int64_t i = 0; i < m; i++) db[2 * i] = creal(a[m * m + i]), db[2 * i + 1] = cimag(a[m * m + i]);
    free(a);
}

/* dC[c, h] (both members of each pair, [channels, m]) = solve((I - dA^L)^T, C~), dA^L by squaring. */
static void dplr_output(const ref_s4 *s, int64_t h, const double complex *da, int64_t l_kernel, double complex *dc,
                        double complex *work)
{
    int64_t n2 = s->n2, m = 2 * n2;
    double complex *power = work, *base = work + m * m, *t = base + m * m, *lhs = t + m * m;
    for (int64_t i = 0; i < m * m; i++) power[i] = i / m == i % m, base[i] = da[i];
    for (int64_t e = l_kernel; e > 0; e /= 2) {
        if (e % 2) {
            matmul(m, power, base, t);
            for (int64_t i = 0; i < m * m; i++) power[i] = t[i];
        }
        matmul(m, base, base, t);
        for (int64_t i = 0; i < m * m; i++) base[i] = t[i];
    }
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < m; j++) lhs[i * m + j] = (i == j) - power[j * m + i];
    for (int64_t i = 0; i < m; i++)
        for (int64_t c = 0; c < s->channels; c++) {
            double complex v = param(s->c, (c * s->h + h) * n2 + i % n2);
            dc[i * s->channels + c] = i < n2 ? v : conj(v);
        }
    solve(m, lhs, dc, s->channels);
}

void ref_s4_dplr_output(const ref_s4 *s, int64_t l_kernel, double *dc)
{
    int64_t m = 2 * s->n2, ch = s->channels;
    double complex *a = malloc(sizeof(double complex) * (size_t)(7 * m * m + m + m * ch));
    double complex *da = a, *db = da + m * m, *out = db + m, *work = out + m * ch;
    for (int64_t h = 0; h < s->h; h++) {
        dplr_dense(s, h, da, db, work);
        dplr_output(s, h, da, l_kernel, out, work);
        for (int64_t c = 0; c < ch; c++)
            for (int64_t n = 0; n < s->n2; n++) {
                double complex v = out[n * ch + c];
                dc[2 * ((c * s->h + h) * s->n2 + n)] = creal(v), dc[2 * ((c * s->h + h) * s->n2 + n) + 1] = cimag(v);
            }
    }
    free(a);
}

void ref_s4_dplr_recur(const ref_s4 *s, int64_t l_kernel, const double *x, int64_t batch, int64_t length,
                       double *state, double *y)
{
    int64_t n2 = s->n2, m = 2 * n2, ch = s->channels;
    double complex *a = malloc(sizeof(double complex) * (size_t)(7 * m * m + 3 * m + m * ch));
    double complex *da = a, *db = da + m * m, *dc = db + m, *v = dc + m * ch, *next = v + m, *work = next + m;
    for (int64_t h = 0; h < s->h; h++) {
        dplr_dense(s, h, da, db, work);
        dplr_output(s, h, da, l_kernel, dc, work);
        for (int64_t b = 0; b < batch; b++) {
            double *st = state + 2 * (b * s->h + h) * n2;
            for (int64_t i = 0; i < m; i++) v[i] = i < n2 ? param(st, i) : conj(param(st, i - n2));
            for (int64_t t = 0; t < length; t++) {
                double u = x[(b * s->h + h) * length + t];
                for (int64_t i = 0; i < m; i++) {
                    double complex acc = db[i] * u;
                    for (int64_t j = 0; j < m; j++) acc += da[i * m + j] * v[j];
                    next[i] = acc;
                }
                for (int64_t i = 0; i < m; i++) v[i] = next[i];
                for (int64_t c = 0; y && c < ch; c++) {
                    double complex acc = 0;
                    for (int64_t i = 0; i < m; i++) acc += dc[i * ch + c] * v[i];
                    y[((b * ch + c) * s->h + h) * length + t] = creal(acc);
                }
            }
            for (int64_t i = 0; i < n2; i++) st[2 * i] = creal(v[i]), st[2 * i + 1] = cimag(v[i]);
        }
    }
    free(a);
}
