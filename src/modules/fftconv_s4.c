/* FFTConvS4 (include/subq/s4.h): configuration, parameters named as lrnnx's state_dict, the LegS
 * and Lin initialisations, description. Forward and stepping: fftconv_s4_forward.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "modules/fftconv_s4.h"
#include "modules/hippo.h"

static subq_status invalid(const char *what) { return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s", what); }

static subq_status resolve(const subq_fftconv_s4_config *in, subq_fftconv_s4_config *c)
{
    if (!in) return invalid("config: expected a configuration, got NULL");
    *c = *in;
    if (c->d_model < 1) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.d_model: expected >= 1, got %lld",
                                         (long long)c->d_model);
    if (c->kernel_type != SUBQ_S4_KERNEL_S4D && c->kernel_type != SUBQ_S4_KERNEL_S4)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.kernel_type: expected SUBQ_S4_KERNEL_S4D or "
                                                      "SUBQ_S4_KERNEL_S4, got %d (FFTConvS4 needs a kernel_type or a "
                                                      "kernel)", (int)c->kernel_type);
    if (c->disc != SUBQ_S4_ZOH && c->disc != SUBQ_S4_BILINEAR)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.disc: %d is not a subq_s4_discretization", (int)c->disc);
    if (c->kernel_type == SUBQ_S4_KERNEL_S4 && c->disc != SUBQ_S4_ZOH)
        return invalid("config.disc: the S4 (DPLR) kernel has no discretisation choice (it is bilinear by "
                       "construction); leave it 0");
    if (c->kernel_type == SUBQ_S4_KERNEL_S4D && c->l_kernel)
        return invalid("config.l_kernel: only the S4 (DPLR) kernel has C~ set up for a length; leave it 0");
    if (c->channels < 0 || c->l_max < 0 || c->d_state < 0 || c->n_ssm < 0 || c->l_kernel < 0)
        return invalid("config: channels, l_max, d_state, n_ssm and l_kernel must be >= 0 (0: default)");
    if (c->init != SUBQ_S4_INIT_LEGS && c->init != SUBQ_S4_INIT_LIN)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.init: %d is not a subq_s4_init", (int)c->init);
    if (c->not_transposed != 0 && c->not_transposed != 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.not_transposed: expected 0 or 1, got %d",
                         (int)c->not_transposed);
    c->channels = c->channels ? c->channels : 1;
    c->d_state = c->d_state ? c->d_state : 64;
    c->n_ssm = c->n_ssm ? c->n_ssm : c->d_model;
    c->dt_min = c->dt_min ? c->dt_min : 0.001;
    c->dt_max = c->dt_max ? c->dt_max : 0.1;
    if (c->d_state < 2 || c->d_state % 2)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.d_state: expected an even number >= 2 (conjugate "
                                                      "pairs), got %lld", (long long)c->d_state);
    if (c->d_model % c->n_ssm)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.n_ssm: %lld does not divide d_model %lld",
                         (long long)c->n_ssm, (long long)c->d_model);
    if (!(c->dt_min > 0 && c->dt_max >= c->dt_min && isfinite(c->dt_max)))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.dt_min, config.dt_max: expected 0 < dt_min <= "
                                                      "dt_max, got %g and %g", c->dt_min, c->dt_max);
    if (c->channels * c->d_model * c->d_state > (int64_t)1 << 30)
        return invalid("config: channels * d_model * d_state is beyond subq's 32-bit indexing");
    return SUBQ_OK;
}

static subq_status add_parameters(subq_fftconv_s4 *m)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    subq_parameters *k = m->kernel_params;
    int64_t a[2] = {c->n_ssm, m->n2}, b[4] = {1, c->n_ssm, m->n2, 2}, cc[4] = {c->channels, c->d_model, m->n2, 2};
    int64_t dt[2] = {c->d_model, 1};
    SUBQ_TRY(subq_parameters_add(k, "A_real", 2, a, &m->a_real));
    SUBQ_TRY(subq_parameters_add(k, "A_imag", 2, a, &m->a_imag));
    SUBQ_TRY(subq_parameters_add(k, "B", 4, b, &m->b));
    SUBQ_TRY(subq_parameters_add(k, "C", 4, cc, &m->c));
    if (c->kernel_type == SUBQ_S4_KERNEL_S4) SUBQ_TRY(subq_parameters_add(k, "P", 4, b, &m->p));
    SUBQ_TRY(subq_parameters_add(k, "inv_dt", 2, dt, &m->inv_dt));
    return subq_parameters_attach(m->params, "kernel", k);
}

subq_status subq_fftconv_s4_create(subq_context *context, const subq_fftconv_s4_config *config,
                                   subq_fftconv_s4 **module)
{
    if (!module) return invalid("module: expected a non-NULL pointer");
    *module = NULL;
    if (!context) return invalid("context: expected a context, got NULL");
    subq_fftconv_s4_config c;
    SUBQ_TRY(resolve(config, &c));
    subq_fftconv_s4 *m = calloc(1, sizeof *m);
    if (!m) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for FFTConvS4");
    m->ctx = context;
    m->cfg = c;
    m->n2 = c.d_state / 2;
    subq_status status = subq_parameters_create(context, &m->params);
    if (status == SUBQ_OK) status = subq_parameters_create(context, &m->kernel_params);
    if (status == SUBQ_OK) status = add_parameters(m);
    if (status == SUBQ_OK) status = subq_lrnnx_workspace_create(context, &m->ws);
    int64_t four = 4;
    if (status == SUBQ_OK) status = subq_tensor_create(context, SUBQ_F32, 1, &four, &m->unused);
    if (status != SUBQ_OK) {
        subq_fftconv_s4_destroy(m);
        return status;
    }
    *module = m;
    return SUBQ_OK;
}

void s4_release_kernel(subq_fftconv_s4 *m)
{
    for (int64_t c = 0; m->spectra && c < m->cfg.channels; c++) subq_fft_kernel_destroy(m->spectra[c]);
    free(m->spectra);
    m->spectra = NULL;
    subq_tensor_destroy(m->k);
    m->k = NULL;
}

void subq_fftconv_s4_destroy(subq_fftconv_s4 *m)
{
    if (!m) return;
    s4_release_kernel(m);
    subq_tensor_destroy(m->coeffs);
    subq_tensor_destroy(m->dc);
    subq_tensor_destroy(m->unused);
    subq_lrnnx_workspace_destroy(m->ws);
    subq_parameters_destroy(m->params);
    subq_parameters_destroy(m->kernel_params);
    free(m);
}

subq_parameters *subq_fftconv_s4_parameters(subq_fftconv_s4 *m) { return m ? m->params : NULL; }

int64_t subq_fftconv_s4_d_output(const subq_fftconv_s4 *m) { return m ? m->cfg.d_model * m->cfg.channels : 0; }

/* A_imag [n_ssm, N2] and B, P [1, n_ssm, N2, 2] (P may be NULL) from one row of values, loaded by
 * name; A_imag clamped to >= 1e-4 as lrnnx's inv_transform does. */
static subq_status load_rows(subq_fftconv_s4 *m, const double *a_imag, const double complex *b, const double complex *p)
{
    int64_t n2 = m->n2, count = m->cfg.n_ssm * n2;
    float *v = malloc((size_t)count * 2 * sizeof *v);
    if (!v) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for FFTConvS4's initial weights");
    for (int64_t i = 0; i < count; i++) v[i] = (float)fmax(a_imag[i % n2], 1e-4);
    subq_status status = subq_parameters_load(m->kernel_params, "A_imag", v, count);
    for (int pass = 0; pass < 2 && status == SUBQ_OK; pass++) {
        const double complex *src = pass ? p : b;
        if (!src) continue;
        for (int64_t i = 0; i < count; i++) v[2 * i] = (float)creal(src[i % n2]), v[2 * i + 1] = (float)cimag(src[i % n2]);
        status = subq_parameters_load(m->kernel_params, pass ? "P" : "B", v, 2 * count);
    }
    free(v);
    return status;
}

/* A_imag, B (and P) of LegS: hippo.h's NPLR form, Im B clipped to [-2, 2] as lrnnx's nplr does. */
static subq_status init_legs(subq_fftconv_s4 *m)
{
    int64_t n2 = m->n2;
    double complex *w = malloc((size_t)(3 * n2) * sizeof *w);
    double *a_imag = malloc((size_t)n2 * sizeof *a_imag);
    subq_status status = w && a_imag ? SUBQ_OK : subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for LegS");
    double complex *p = w + n2, *b = p + n2;
    if (status == SUBQ_OK) status = s4_hippo_legs(2 * n2, w, p, b, NULL);
    for (int64_t n = 0; status == SUBQ_OK && n < n2; n++) {
        a_imag[n] = -cimag(w[n]);
        b[n] = creal(b[n]) + I * fmin(fmax(cimag(b[n]), -2.0), 2.0);
    }
    if (status == SUBQ_OK) status = load_rows(m, a_imag, b, m->p ? p : NULL);
    free(w), free(a_imag);
    return status;
}

/* A_imag = pi n, B = 1 (P is drawn by the caller). */
static subq_status init_lin(subq_fftconv_s4 *m)
{
    int64_t n2 = m->n2;
    double complex *b = malloc((size_t)n2 * sizeof *b);
    double *a_imag = malloc((size_t)n2 * sizeof *a_imag);
    subq_status status = b && a_imag ? SUBQ_OK : subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for Lin");
    for (int64_t n = 0; status == SUBQ_OK && n < n2; n++) a_imag[n] = M_PI * (double)n, b[n] = 1;
    if (status == SUBQ_OK) status = load_rows(m, a_imag, b, NULL);
    free(b), free(a_imag);
    return status;
}

subq_status subq_fftconv_s4_init(subq_fftconv_s4 *m, uint64_t seed)
{
    if (!m) return invalid("module: expected an FFTConvS4, got NULL");
    subq_random random = subq_random_seeded(seed);
    subq_parameters *k = m->kernel_params;
    bool legs = m->cfg.init == SUBQ_S4_INIT_LEGS;
    SUBQ_TRY(subq_parameters_init_constant(k, "A_real", log(0.5)));
    SUBQ_TRY(legs ? init_legs(m) : init_lin(m));
    SUBQ_TRY(subq_parameters_init_normal(k, "C", &random, 0.0, sqrt(0.5)));
    if (m->p && !legs) SUBQ_TRY(subq_parameters_init_normal(k, "P", &random, 0.0, sqrt(0.5)));
    return subq_parameters_init_uniform(k, "inv_dt", &random, log(m->cfg.dt_min), log(m->cfg.dt_max));
}

subq_status subq_fftconv_s4_describe(const subq_fftconv_s4 *m, char *buffer, size_t size)
{
    if (!m) return invalid("module: expected an FFTConvS4, got NULL");
    if (!buffer || !size) return invalid("buffer: expected a buffer of at least one byte");
    const subq_fftconv_s4_config *c = &m->cfg;
    char l_max[32] = "None";
    if (c->l_max) snprintf(l_max, sizeof l_max, "%lld", (long long)c->l_max);
    snprintf(buffer, size, "d_model=%lld, l_max=%s, channels=%lld, transposed=%s, kernel=%s, d_state=%lld, "
                           "n_ssm=%lld, disc=%s, init=%s", (long long)c->d_model, l_max, (long long)c->channels,
             c->not_transposed ? "False" : "True", c->kernel_type == SUBQ_S4_KERNEL_S4 ? "s4" : "s4d",
             (long long)c->d_state, (long long)c->n_ssm,
             c->kernel_type == SUBQ_S4_KERNEL_S4 ? "bilinear" : c->disc == SUBQ_S4_BILINEAR ? "bilinear" : "zoh",
             c->init == SUBQ_S4_INIT_LEGS ? "legs" : "lin");
    return SUBQ_OK;
}
