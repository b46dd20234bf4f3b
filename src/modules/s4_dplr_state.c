/* S4's (DPLR) recurrence at rate 1: the step coefficients (D, E, R, P, B) (s4_dplr_coeffs.comp),
 * forward_state as a scan of the step and the step itself (s4_dplr_state.comp), setup_step with dC
 * from s4_dplr_setup.c. */
#include <stdlib.h>

#include "modules/fftconv_s4.h"
#include "ops/push.h"
#include "subq_shaders.h"

enum { DPLR_FORWARD_STATE = 0, DPLR_STEP }; /* s4_dplr_state.comp's modes */

typedef struct coeffs_push {
    uint32_t first[5];
    uint32_t n2, n_ssm, h, coeffs_first;
} coeffs_push;

typedef struct dplr_state_push {
    uint32_t n2, h, channels, len, batch;
    uint32_t x_first, x_stride_b, x_stride_h, x_stride_l;
    uint32_t state_first, coeffs_first, out_first, y_first, dc_first;
} dplr_state_push;

/* (D, E, R, P, B) [H, N2, 10] at rate 1 into coeffs (s4_dplr_coeffs.comp). */
static subq_status coefficients(subq_stream *stream, const subq_fftconv_s4 *m, subq_tensor *coeffs)
{
    coeffs_push p = {.first = {subq_push_first(m->a_real), subq_push_first(m->a_imag), subq_push_first(m->b),
                               subq_push_first(m->p), subq_push_first(m->inv_dt)},
                     .n2 = (uint32_t)m->n2, .n_ssm = (uint32_t)m->cfg.n_ssm, .h = (uint32_t)m->cfg.d_model,
                     .coeffs_first = subq_push_first(coeffs)};
    subq_arg args[6] = {{m->a_real, false}, {m->a_imag, false}, {m->b, false},
                        {m->p, false},      {m->inv_dt, false}, {coeffs, true}};
    return s4_dispatch(stream, &subq_shader_s4_dplr_coeffs, 0, 6, args, &p, sizeof p, (uint64_t)m->cfg.d_model);
}

typedef struct dplr_state_call {
    const s4_x_layout *x;
    const subq_tensor *state, *coeffs, *dc;
    subq_tensor *out, *y;
} dplr_state_call;

/* s4_dplr_state.comp, one invocation per (b, h); forward_state binds no y or dC (m->unused and the
 * coefficients stand in, untouched). */
static subq_status recur(subq_stream *stream, const subq_fftconv_s4 *m, uint32_t mode, const dplr_state_call *a)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    int64_t batch = a->state->shape[0];
    dplr_state_push p = {.n2 = (uint32_t)m->n2, .h = (uint32_t)c->d_model, .channels = (uint32_t)c->channels,
                         .len = (uint32_t)a->x->length, .batch = (uint32_t)batch, .x_first = subq_push_first(a->x->x),
                         .x_stride_b = (uint32_t)a->x->stride_b, .x_stride_h = (uint32_t)a->x->stride_h,
                         .x_stride_l = (uint32_t)a->x->stride_l, .state_first = subq_push_first(a->state),
                         .coeffs_first = subq_push_first(a->coeffs), .out_first = subq_push_first(a->out),
                         .y_first = subq_push_first(a->y), .dc_first = subq_push_first(a->dc)};
    subq_arg args[6] = {{a->x->x, false}, {a->state, false},          {a->coeffs, false},
                        {a->out, true},   {a->y ? a->y : m->unused, true}, {a->dc ? a->dc : a->coeffs, false}};
    return s4_dispatch_typed(stream, &subq_shader_s4_dplr_state, &subq_shader_s4_dplr_state_16, mode, 6, args, &p,
                             sizeof p, (uint64_t)batch * c->d_model);
}

subq_status s4_dplr_forward_state(subq_stream *stream, subq_fftconv_s4 *m, const s4_x_layout *x,
                                  const subq_tensor *state, subq_tensor *next_state)
{
    int64_t shape[3] = {m->cfg.d_model, m->n2, 10};
    subq_tensor *coeffs;
    SUBQ_TRY(s4_workspace_tensor(m->ws, S4_SLOT_U, 3, shape, &coeffs));
    SUBQ_TRY(coefficients(stream, m, coeffs));
    dplr_state_call scan = {.x = x, .state = state, .coeffs = coeffs, .out = next_state};
    return recur(stream, m, DPLR_FORWARD_STATE, &scan);
}

/* l_kernel for stepping: config.l_kernel, else l_max; with neither, C~'s length follows each
 * input and no single C exists. */
subq_status s4_dplr_setup_step(subq_stream *stream, subq_fftconv_s4 *m)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    int64_t l_kernel = c->l_kernel ? c->l_kernel : c->l_max;
    if (!l_kernel)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.l_kernel: the S4 step needs the length C~ was set up "
                                                      "for; set config.l_kernel or config.l_max");
    int64_t shape[3] = {c->d_model, m->n2, 10}, dc_shape[4] = {c->channels, c->d_model, m->n2, 2};
    if (!m->coeffs) SUBQ_TRY(subq_tensor_create(m->ctx, SUBQ_F32, 3, shape, &m->coeffs));
    if (!m->dc) SUBQ_TRY(subq_tensor_create(m->ctx, SUBQ_F32, 4, dc_shape, &m->dc));
    size_t count = (size_t)(c->channels * c->d_model * m->n2 * 2);
    float *dc = malloc(count * sizeof *dc);
    if (!dc) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for S4's setup_step");
    subq_status status = s4_dplr_output_matrix(m, l_kernel, dc);
    if (status == SUBQ_OK) status = subq_tensor_upload(m->dc, dc, count * sizeof *dc);
    free(dc);
    return status == SUBQ_OK ? coefficients(stream, m, m->coeffs) : status;
}

subq_status s4_dplr_step(subq_stream *stream, subq_fftconv_s4 *m, const subq_tensor *x, const subq_tensor *state,
                         subq_tensor *y, subq_tensor *next_state)
{
    s4_x_layout layout = {.x = x, .stride_b = x->strides[0], .stride_h = x->strides[1], .length = 1};
    dplr_state_call step = {.x = &layout, .state = state, .coeffs = m->coeffs, .dc = m->dc, .out = next_state, .y = y};
    return recur(stream, m, DPLR_STEP, &step);
}
