/* S4's output matrix for stepping, dC = C~ (I - dA^Lk)^-1 with Lk = l_kernel (lrnnx's _setup_step):
 * kernel.C holds C~ = C (I - dA^Lk), which makes the Lk-point kernel exact; stepping needs C itself.
 *
 * On the host, in double precision: (I - dA^Lk)^-1 grows as 1 / (1 - |mu|^Lk) for the slowest modes
 * (mu an eigenvalue of dA; thousands at dt = 1e-3), and fp32 would keep three or four digits of dC.
 * It is a one-time setup of small vectors, downloaded and uploaded once.
 *
 * Not the original's dense power and solve (O(N^3 log Lk) per SSM row, N = d_state): with omega_k the
 * Lk-th roots of unity, sum_{l<Lk} (omega dA)^l = (I - dA^Lk) (I - omega dA)^-1 averages over them
 * to I, so (I - dA^Lk)^-1 = (1/Lk) sum_k (I - omega_k dA)^-1: a mean of resolvents, each of which a row
 * vector crosses in O(N) by Woodbury over the diagonal, O(C H Lk N) in all (nodes in conjugate
 * pairs: half of them visited; 1.5 s on one core at H = 768, N = 64, Lk = 4096) and the same numbers
 * to double rounding (tests/reference/s4_ref.c does the dense solve). With A = Lambda - P Q^T over both
 * members of each pair (Q = conj P), alpha = 1 - omega, beta = (1 + omega) dt / 2:
 *     (I - omega dA)^-1 = M^-1 (I - dt/2 A),  M = alpha I - beta A = G + beta P Q^T,
 *     G = diag(alpha - beta lambda),  c^T M^-1 = x - beta (x.P) / (1 + beta Q^T G^-1 P) (Q / g),
 * x = c / g elementwise (g the diagonal of G), and r^T (I - dt/2 A) = r (1 - dt/2 lambda) + dt/2 (r.P) Q. */
#include <complex.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "modules/fftconv_s4.h"

typedef struct dplr_row {
    int64_t n2;
    double dt;
    double complex *lambda, *p, *g, *x; /* both members of each pair: 2 * n2 each */
} dplr_row;

/* out[n] += (c^T (I - omega dA)^-1)_n for c = (c~, conj c~), n < n2; and, when omega is not real,
 * the same for conj(omega), which is conj((c^T (I - omega dA)^-1)_(n + n2)): the nodes come in
 * conjugate pairs, so half of them are visited. */
static void add_resolvent_row(const dplr_row *r, double complex omega, double complex g_pq, bool pair,
                              const float *c_tilde, double complex *out)
{
    int64_t n2 = r->n2;
    double complex beta = (1 + omega) * r->dt / 2, xp = 0, rp = 0;
    for (int64_t n = 0; n < 2 * n2; n++) {
        int64_t m = n % n2;
        double complex c = c_tilde[2 * m] + I * c_tilde[2 * m + 1];
        r->x[n] = (n < n2 ? c : conj(c)) * r->g[n];
        xp += r->x[n] * r->p[n];
    }
    double complex scale = beta * xp / (1 + beta * g_pq);
    for (int64_t n = 0; n < 2 * n2; n++) {
        r->x[n] -= scale * conj(r->p[n]) * r->g[n];
        rp += r->x[n] * r->p[n];
    }
    for (int64_t n = 0; n < n2; n++) {
        out[n] += r->x[n] * (1 - r->dt / 2 * r->lambda[n]) + r->dt / 2 * rp * conj(r->p[n]);
        if (pair) out[n] += conj(r->x[n + n2] * (1 - r->dt / 2 * r->lambda[n + n2]) + r->dt / 2 * rp * conj(r->p[n + n2]));
    }
}

/* g = 1 / (alpha - beta lambda) for the node omega (divided by hand: C's complex division guards
 * infinities at several times the cost); returns Q^T G^-1 P. */
static double complex node(const dplr_row *r, double complex omega)
{
    double complex alpha = 1 - omega, beta = (1 + omega) * r->dt / 2, sum = 0;
    for (int64_t n = 0; n < 2 * r->n2; n++) {
        double complex z = alpha - beta * r->lambda[n];
        r->g[n] = conj(z) / (creal(z) * creal(z) + cimag(z) * cimag(z));
        sum += conj(r->p[n]) * r->g[n] * r->p[n];
    }
    return sum;
}

typedef struct host_weights {
    float *a_real, *a_imag, *p, *c, *inv_dt;
} host_weights;

static subq_status read_weights(subq_fftconv_s4 *m, host_weights *w)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    int64_t rows = c->n_ssm * m->n2, cs = c->channels * c->d_model * m->n2 * 2;
    w->a_real = malloc((size_t)(4 * rows + cs + c->d_model) * sizeof(float));
    if (!w->a_real) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for S4's setup_step");
    w->a_imag = w->a_real + rows, w->p = w->a_imag + rows, w->c = w->p + 2 * rows, w->inv_dt = w->c + cs;
    SUBQ_TRY(subq_parameters_read(m->kernel_params, "A_real", w->a_real, rows));
    SUBQ_TRY(subq_parameters_read(m->kernel_params, "A_imag", w->a_imag, rows));
    SUBQ_TRY(subq_parameters_read(m->kernel_params, "P", w->p, 2 * rows));
    SUBQ_TRY(subq_parameters_read(m->kernel_params, "C", w->c, cs));
    return subq_parameters_read(m->kernel_params, "inv_dt", w->inv_dt, c->d_model);
}

/* One SSM row h: every channel's dC[c, h, :] into dc. */
static void row_output_matrix(const subq_fftconv_s4 *m, const host_weights *w, dplr_row *r, int64_t h,
                              int64_t l_kernel, double complex *sum, float *dc)
{
    const subq_fftconv_s4_config *cfg = &m->cfg;
    int64_t n2 = m->n2, s = (h % cfg->n_ssm) * n2;
    r->dt = exp((double)w->inv_dt[h]);
    for (int64_t n = 0; n < n2; n++) {
        r->lambda[n] = -exp((double)w->a_real[s + n]) - I * (double)w->a_imag[s + n];
        r->p[n] = w->p[2 * (s + n)] + I * (double)w->p[2 * (s + n) + 1];
        r->lambda[n + n2] = conj(r->lambda[n]), r->p[n + n2] = conj(r->p[n]);
    }
    for (int64_t i = 0; i < cfg->channels * n2; i++) sum[i] = 0;
    for (int64_t k = 0; 2 * k <= l_kernel; k++) { /* k and l_kernel - k */
        double complex omega = cexp(-2 * M_PI * I * (double)k / (double)l_kernel), g_pq = node(r, omega);
        bool pair = k > 0 && 2 * k < l_kernel;
        for (int64_t c = 0; c < cfg->channels; c++)
            add_resolvent_row(r, omega, g_pq, pair, w->c + 2 * (c * cfg->d_model + h) * n2, sum + c * n2);
    }
    for (int64_t c = 0; c < cfg->channels; c++)
        for (int64_t n = 0; n < n2; n++) {
            double complex v = sum[c * n2 + n] / (double)l_kernel;
            float *at = dc + 2 * ((c * cfg->d_model + h) * n2 + n);
            at[0] = (float)creal(v), at[1] = (float)cimag(v);
        }
}

subq_status s4_dplr_output_matrix(subq_fftconv_s4 *m, int64_t l_kernel, float *dc)
{
    host_weights w = {0};
    subq_status status = read_weights(m, &w);
    int64_t n2 = m->n2;
    double complex *scratch = status == SUBQ_OK ? malloc((size_t)(8 * n2 + m->cfg.channels * n2) * sizeof *scratch)
                                                : NULL;
    if (status == SUBQ_OK && !scratch)
        status = subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for S4's setup_step");
    dplr_row r = {.n2 = n2};
    if (scratch) r.lambda = scratch, r.p = r.lambda + 2 * n2, r.g = r.p + 2 * n2, r.x = r.g + 2 * n2;
    for (int64_t h = 0; status == SUBQ_OK && h < m->cfg.d_model; h++)
        row_output_matrix(m, &w, &r, h, l_kernel, scratch + 8 * n2, dc);
    free(scratch);
    free(w.a_real);
    return status;
}
