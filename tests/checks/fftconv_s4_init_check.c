/* FFTConvS4's initialisations and the host algebra behind them: the eigensolver for -i S, S real
 * skew-symmetric (src/modules/skew_eigh.c), on random matrices (residuals, orthonormality, order,
 * phases, the spectrum's sum of squares); the library's HiPPO-LegS NPLR form (src/modules/hippo.c) against hippo_ref.c's, which
 * takes another road, to 1e-9; and subq_fftconv_s4_init's weights read back (LegS and Lin, S4 and
 * S4D, n_ssm rows): equal to the reference construction at float precision, and
 * diag(Lambda) - P P^* giving back HiPPO-LegS in the original basis. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "modules/hippo.h"
#include "modules/skew_eigh.h"
#include "reference/reference.h"

static void expect_below(checker *c, const char *label, double error, double tol)
{
    if (error <= tol) {
        c->passed++;
        if (c->verbose) printf("ok   %s (error %.2g)\n", label, error);
    } else {
        check_fail(c, label, "error %.3g, allowed %.3g", error, tol);
    }
}

/* A random skew-symmetric S decomposed, the count smallest eigenpairs of -i S: |-i S V - V diag(w)|,
 * |V^* V - I|, w ascending and not above the rest of the spectrum (trace of (-i S)^2 = sum w^2 with
 * the others), each column's first component real and >= 0. */
static void eigh_random(checker *c, int64_t n, int64_t count)
{
    double *s = check_alloc((size_t)(4 * n * n + 3 * n)), *w = s + n * n, *work = w + n;
    double complex *v = malloc(sizeof *v * (size_t)(n * n));
    check_random(c, s, (size_t)(n * n));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < i; j++) s[j * n + i] = -s[i * n + j];
    for (int64_t i = 0; i < n; i++) s[i * n + i] = 0;
    skew_eigh(n, s, count, w, v, work);
    double residual = 0, gram = 0, phase = 0, frobenius = 0, sum = 0;
    bool ascending = true;
    for (int64_t j = 0; j < count; j++) {
        ascending = ascending && (j == 0 || w[j - 1] <= w[j]);
        int64_t k = 0;
        while (k < n - 1 && cabs(v[k * count + j]) < 1e-8) k++;
        phase = fmax(phase, fabs(cimag(v[k * count + j])) + (creal(v[k * count + j]) < 0));
        for (int64_t i = 0; i < n; i++) {
            double complex av = -w[j] * v[i * count + j];
            for (int64_t m = 0; m < n; m++) av += -I * s[i * n + m] * v[m * count + j];
            residual = fmax(residual, cabs(av));
        }
        for (int64_t l = 0; l < count; l++) {
            double complex g = -(double)(j == l);
            for (int64_t m = 0; m < n; m++) g += conj(v[m * count + j]) * v[m * count + l];
            gram = fmax(gram, cabs(g));
        }
    }
    for (int64_t i = 0; i < n * n; i++) frobenius += s[i] * s[i];
    for (int64_t j = 0; j < n; j++) sum += w[j] * w[j]; /* count == n: every eigenvalue */
    char label[80];
    snprintf(label, sizeof label, "skew_eigh n=%lld count %lld: -i S V = V diag(w)", (long long)n, (long long)count);
    expect_below(c, label, residual, 1e-12 * (double)n);
    snprintf(label, sizeof label, "skew_eigh n=%lld count %lld: V^* V = I", (long long)n, (long long)count);
    expect_below(c, label, gram, 1e-12 * (double)n);
    snprintf(label, sizeof label, "skew_eigh n=%lld count %lld: ascending, phases", (long long)n, (long long)count);
    expect_below(c, label, phase + !ascending, 1e-12);
    if (count == n && n > 1) {
        snprintf(label, sizeof label, "skew_eigh n=%lld: sum w^2 = |S|^2", (long long)n);
        expect_below(c, label, fabs(sum - frobenius) / frobenius, 1e-12);
    }
    free(s), free(v);
}

/* src/modules/hippo.c against hippo_ref.c: w, p, b and V to 1e-9. */
static void legs_library(checker *c, int64_t n)
{
    int64_t h = n / 2;
    double complex *lib = malloc(sizeof *lib * (size_t)(3 * h + n * h));
    double *ref = check_alloc((size_t)(6 * h + 2 * n * h));
    if (!check_ok(c, "s4_hippo_legs", s4_hippo_legs(n, lib, lib + h, lib + 2 * h, lib + 3 * h))) return;
    ref_hippo_legs_nplr(n, ref, ref + 2 * h, ref + 4 * h, ref + 6 * h);
    double error = 0;
    for (int64_t i = 0; i < 3 * h + n * h; i++) error = fmax(error, cabs(lib[i] - (ref[2 * i] + I * ref[2 * i + 1])));
    char label[80];
    snprintf(label, sizeof label, "s4_hippo_legs n=%lld == reference (w, P, B, V)", (long long)n);
    expect_below(c, label, error, 1e-9 * (double)n);
    free(lib), free(ref);
}

static float *read_parameter(checker *c, subq_fftconv_s4 *m, const char *name, int64_t count)
{
    float *v = malloc(sizeof *v * (size_t)count);
    if (!v) exit(2);
    if (check_ok(c, name, subq_parameters_read(subq_fftconv_s4_parameters(m), name, v, count))) return v;
    free(v);
    return NULL;
}

/* HiPPO-LegS back from one SSM row of float weights, A = 2 Re(V diag(Lambda) V^*) - Po Po^T with
 * Po = 2 Re(V P) and the reference's V [n, n/2, 2]; max |A - hippo| / max |hippo|. */
static double legs_error(int64_t n, const double *v, const float *a_real, const float *a_imag, const double *p,
                         const double *hippo)
{
    int64_t h = n / 2;
    double *po = check_alloc((size_t)n), error = 0, scale = 0;
#define V(i, k) (v[2 * ((i) * h + (k))] + I * v[2 * ((i) * h + (k)) + 1])
    for (int64_t i = 0; i < n; i++) {
        double complex acc = 0;
        for (int64_t k = 0; k < h; k++) acc += V(i, k) * (p[2 * k] + I * p[2 * k + 1]);
        po[i] = 2 * creal(acc);
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double complex acc = 0;
            for (int64_t k = 0; k < h; k++) acc += V(i, k) * (-exp((double)a_real[k]) - I * (double)a_imag[k]) * conj(V(j, k));
            error = fmax(error, fabs(2 * creal(acc) - po[i] * po[j] - hippo[i * n + j]));
            scale = fmax(scale, fabs(hippo[i * n + j]));
        }
#undef V
    free(po);
    return error / scale;
}

/* The module's weights after init: A_real = log 1/2; LegS: A_imag, B (clipped) and P of the
 * reference in every SSM row, and HiPPO-LegS back from each row; Lin: A_imag = max(pi n, 1e-4), B = 1. */
static void init_module(checker *c, subq_s4_kernel_type type, subq_s4_init init, int64_t d_state, int64_t n_ssm,
                        int64_t h)
{
    int64_t n2 = d_state / 2, rows = n_ssm * n2;
    subq_fftconv_s4_config cfg = {.d_model = h, .kernel_type = type, .d_state = d_state, .n_ssm = n_ssm, .init = init};
    subq_fftconv_s4 *m = NULL;
    char label[120];
    snprintf(label, sizeof label, "fftconv_s4 init %s %s N%lld nssm%lld", init == SUBQ_S4_INIT_LEGS ? "legs" : "lin",
             type == SUBQ_S4_KERNEL_S4 ? "s4" : "s4d", (long long)d_state, (long long)n_ssm);
    if (!check_ok(c, label, subq_fftconv_s4_create(c->ctx, &cfg, &m)) || !check_ok(c, label, subq_fftconv_s4_init(m, 3))) {
        subq_fftconv_s4_destroy(m);
        return;
    }
    double *ref = check_alloc((size_t)(6 * n2 + 2 * d_state * n2 + d_state * d_state + 2 * d_state + 6 * rows));
    double *w = ref, *p = w + 2 * n2, *b = p + 2 * n2, *v = b + 2 * n2, *hippo = v + 2 * d_state * n2;
    double *want = hippo + d_state * d_state + 2 * d_state;
    ref_hippo_legs_nplr(d_state, w, p, b, v);
    ref_hippo_legs(d_state, hippo, hippo + d_state * d_state, hippo + d_state * d_state + d_state);
    bool legs = init == SUBQ_S4_INIT_LEGS;
    float *a_real = read_parameter(c, m, "kernel.A_real", rows), *a_imag = read_parameter(c, m, "kernel.A_imag", rows);
    float *bb = read_parameter(c, m, "kernel.B", 2 * rows);
    float *pp = type == SUBQ_S4_KERNEL_S4 ? read_parameter(c, m, "kernel.P", 2 * rows) : NULL;
    for (int64_t i = 0; i < rows; i++) {
        int64_t n = i % n2;
        want[i] = log(0.5);
        want[rows + i] = legs ? -w[2 * n + 1] : fmax(M_PI * (double)n, 1e-4);
        want[2 * rows + 2 * i] = legs ? b[2 * n] : 1, want[2 * rows + 2 * i + 1] = legs ? fmax(-2, fmin(2, b[2 * n + 1])) : 0;
        want[4 * rows + 2 * i] = p[2 * n], want[4 * rows + 2 * i + 1] = p[2 * n + 1];
    }
    if (a_real) check_close_values(c, label, a_real, want, (size_t)rows, 1e-7);
    if (a_imag) check_close_values(c, label, a_imag, want + rows, (size_t)rows, 1e-7);
    if (bb) check_close_values(c, label, bb, want + 2 * rows, (size_t)(2 * rows), 1e-7);
    if (pp && legs) check_close_values(c, label, pp, want + 4 * rows, (size_t)(2 * rows), 1e-7);
    for (int64_t r = 0; legs && a_real && a_imag && r < n_ssm; r++) {
        double *pr = check_alloc((size_t)(2 * n2)); /* the row's float P (S4), else the reference's */
        for (int64_t i = 0; i < 2 * n2; i++) pr[i] = pp ? pp[2 * r * n2 + i] : p[i];
        char row[200];
        snprintf(row, sizeof row, "%s row %lld: diag(Lambda) - P P^* is HiPPO-LegS", label, (long long)r);
        expect_below(c, row, legs_error(d_state, v, a_real + r * n2, a_imag + r * n2, pr, hippo), 2e-6 * (double)d_state);
        free(pr);
    }
    free(ref), free(a_real), free(a_imag), free(bb), free(pp);
    subq_fftconv_s4_destroy(m);
}

void check_fftconv_s4_init(checker *c)
{
    for (int64_t n = 1; n <= 33; n += 4) eigh_random(c, n, n);
    eigh_random(c, 40, 20);
    eigh_random(c, 7, 1);
    for (int64_t n = 2; n <= 128; n *= 2) legs_library(c, n);
    init_module(c, SUBQ_S4_KERNEL_S4, SUBQ_S4_INIT_LEGS, 2, 1, 1);
    init_module(c, SUBQ_S4_KERNEL_S4, SUBQ_S4_INIT_LEGS, 64, 3, 6);
    init_module(c, SUBQ_S4_KERNEL_S4D, SUBQ_S4_INIT_LEGS, 16, 2, 2);
    init_module(c, SUBQ_S4_KERNEL_S4, SUBQ_S4_INIT_LIN, 8, 1, 3);
    init_module(c, SUBQ_S4_KERNEL_S4D, SUBQ_S4_INIT_LIN, 6, 5, 5);
    subq_fftconv_s4 *m = NULL;
    subq_fftconv_s4_config bad = {.d_model = 4, .kernel_type = SUBQ_S4_KERNEL_S4, .init = 2};
    check_invalid(c, "fftconv_s4 config.init", subq_fftconv_s4_create(c->ctx, &bad, &m), "config.init");
}
