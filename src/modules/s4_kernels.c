/* FFTConvS4's kernels on the GPU (SPEC.md section 7): S4D's Vandermonde sum (s4d_kernel.comp) and
 * S4's DPLR spectrum (s4_dplr.comp) brought back by an Lk-point C2R, which also gives S4's state
 * response. */
#include <math.h>

#include "model/add.h"
#include "modules/fftconv_s4.h"
#include "ops/push.h"
#include "subq_shaders.h"

typedef struct s4d_kernel_push {
    uint32_t first[5];
    uint32_t n2, n_ssm, h, channels, len, bilinear, k_first;
    float rate;
} s4d_kernel_push;

typedef struct dplr_push {
    uint32_t first[6];
    uint32_t n2, n_ssm, h, rows, row0, points, lk, channels, state_first;
    float rate;
} dplr_push;

enum { DPLR_KERNEL = 0, DPLR_STATE = 1 }; /* s4_dplr.comp's modes */

static subq_status s4d_kernel(subq_stream *stream, subq_fftconv_s4 *m, double rate)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    s4d_kernel_push p = {.first = {subq_push_first(m->a_real), subq_push_first(m->a_imag), subq_push_first(m->b),
                                   subq_push_first(m->c), subq_push_first(m->inv_dt)},
                         .n2 = (uint32_t)m->n2, .n_ssm = (uint32_t)c->n_ssm, .h = (uint32_t)c->d_model,
                         .channels = (uint32_t)c->channels, .len = (uint32_t)m->lk,
                         .bilinear = c->disc == SUBQ_S4_BILINEAR, .k_first = subq_push_first(m->k),
                         .rate = (float)rate};
    subq_arg args[6] = {{m->a_real, false}, {m->a_imag, false}, {m->b, false},
                        {m->c, false},      {m->inv_dt, false}, {m->k, true}};
    return s4_dispatch(stream, &subq_shader_s4d_kernel, 0, 6, args, &p, sizeof p,
                       (uint64_t)c->channels * c->d_model * m->lk);
}

/* lrnnx's S4 kernel: FFT size round(l_kernel / rate); C~ must cover round(rate * lk) points (the
 * original would double C~'s length first, which changes the weights). */
static subq_status dplr_fft_points(const subq_fftconv_s4 *m, double rate, int64_t *fft)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    int64_t l_kernel = c->l_kernel ? c->l_kernel : c->l_max ? c->l_max : (int64_t)rint(rate * (double)m->length);
    int64_t continuous = (int64_t)rint(rate * (double)m->lk);
    *fft = (int64_t)rint((double)l_kernel / rate);
    if (continuous > l_kernel || m->lk > *fft)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "rate: a kernel of %lld points at rate %g needs C~ for %lld "
                                                 "points; config.l_kernel is %lld (lrnnx would double C~ in place)",
                         (long long)m->lk, rate, (long long)continuous, (long long)l_kernel);
    return SUBQ_OK;
}

/* s4_dplr.comp in one mode: rows spectra [rows, fft/2 + 1, 2] into the workspace slot, then their
 * first m->lk points into dst (rows of stride m->lk). */
static subq_status dplr_rows(subq_stream *stream, subq_fftconv_s4 *m, uint32_t mode, const subq_tensor *state,
                             int64_t rows, double rate, int slot, subq_tensor *dst)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    int64_t fft;
    SUBQ_TRY(dplr_fft_points(m, rate, &fft));
    int64_t points = fft / 2 + 1, shape[3] = {rows, points, 2};
    subq_tensor *spectrum;
    SUBQ_TRY(s4_workspace_tensor(m->ws, slot, 3, shape, &spectrum));
    dplr_push p = {.first = {subq_push_first(m->a_real), subq_push_first(m->a_imag), subq_push_first(m->b),
                             subq_push_first(m->c), subq_push_first(m->inv_dt), subq_push_first(m->p)},
                   .n2 = (uint32_t)m->n2, .n_ssm = (uint32_t)c->n_ssm, .h = (uint32_t)c->d_model,
                   .rows = (uint32_t)rows, .points = (uint32_t)points, .lk = (uint32_t)fft,
                   .channels = (uint32_t)c->channels, .state_first = subq_push_first(state), .rate = (float)rate};
    subq_arg args[8] = {{m->a_real, false}, {m->a_imag, false}, {m->b, false},      {m->c, false},
                        {m->inv_dt, false}, {m->p, false},      {spectrum, true}, {state ? state : m->b, false}};
    SUBQ_TRY(s4_dispatch(stream, &subq_shader_s4_dplr, mode, 8, args, &p, sizeof p, (uint64_t)rows * points));
    s4_signals k = {.tensor = dst, .outer = rows, .inner = 1, .parts = 1, .length = m->lk, .stride_a = m->lk,
                    .stride_t = 1};
    return s4_inverse(stream, spectrum, 1, fft, &k, false);
}

static subq_status dplr_kernel(subq_stream *stream, subq_fftconv_s4 *m, double rate)
{
    return dplr_rows(stream, m, DPLR_KERNEL, NULL, m->cfg.channels * m->cfg.d_model, rate, S4_SLOT_Y, m->k);
}

/* lrnnx's k_state: the kernel's machinery with the state as B, [B, C, H, L] in the workspace, added
 * to y (the forward checked that the kernel is as long as x). */
subq_status s4_dplr_state_response(subq_stream *stream, subq_fftconv_s4 *m, const subq_tensor *state, double rate,
                                   int64_t batch, subq_tensor *y)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    int64_t shape[4] = {batch, c->channels, c->d_model, m->lk};
    subq_tensor *k_state;
    SUBQ_TRY(s4_workspace_tensor(m->ws, S4_SLOT_TIME_B, 4, shape, &k_state));
    SUBQ_TRY(dplr_rows(stream, m, DPLR_STATE, state, batch * c->channels * c->d_model, rate, S4_SLOT_W, k_state));
    return subq_model_add(stream, y, k_state, y);
}

subq_status s4_kernel_generate(subq_stream *stream, subq_fftconv_s4 *m, double rate)
{
    return m->cfg.kernel_type == SUBQ_S4_KERNEL_S4D ? s4d_kernel(stream, m, rate) : dplr_kernel(stream, m, rate);
}

s4d_state_push s4d_push(const subq_fftconv_s4 *m, float rate)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    return (s4d_state_push){.first = {subq_push_first(m->a_real), subq_push_first(m->a_imag), subq_push_first(m->b),
                                      subq_push_first(m->c), subq_push_first(m->inv_dt)},
                            .n2 = (uint32_t)m->n2, .n_ssm = (uint32_t)c->n_ssm, .h = (uint32_t)c->d_model,
                            .channels = (uint32_t)c->channels, .bilinear = c->disc == SUBQ_S4_BILINEAR,
                            .rate = rate};
}

/* Absent arguments bind a parameter (read-only bindings) or m->unused (writable ones, declared as
 * written so that the stream orders the dispatches that share it): the mode touches neither. */
subq_status s4d_state_dispatch(subq_stream *stream, const subq_fftconv_s4 *m, uint32_t mode,
                               const s4d_state_push *p, const subq_tensor *x, const subq_tensor *state,
                               const subq_tensor *coeffs, subq_tensor *out, subq_tensor *y, uint64_t invocations)
{
    const subq_tensor *none = m->a_real;
    subq_arg args[10] = {{m->a_real, false}, {m->a_imag, false}, {m->b, false},
                         {m->c, false},      {m->inv_dt, false}, {x ? x : none, false},
                         {state ? state : none, false},
                         {coeffs ? coeffs : m->unused, mode == S4D_SETUP || !coeffs},
                         {out ? out : m->unused, true},
                         {y ? y : m->unused, true}};
    return s4_dispatch_typed(stream, &subq_shader_s4d_state, &subq_shader_s4d_state_16, mode, 10, args, p, sizeof *p,
                             invocations);
}
