/* FFTConvS4's forward (kernel cache, depthwise causal FFT convolution per channel through
 * subq_fft_conv, the state's response and forward_state) and its recurrent step. x and y may be
 * f16 or bf16 (converted where a shader or subq_fft_conv reads or writes them); the states, the
 * kernel and the workspace are f32. */
#include <math.h>
#include <stdlib.h>

#include "modules/fftconv_s4.h"
#include "ops/push.h"
#include "runtime/args.h"

static subq_status check_module(const subq_stream *s, const subq_fftconv_s4 *m)
{
    SUBQ_TRY(subq_arg_stream(s));
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected an FFTConvS4, got NULL");
    if (m->ctx != subq_stream_context(s))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: belongs to another context than the stream");
    return SUBQ_OK;
}

/* States stay f32 whatever x and y are: the recurrence sums over the whole sequence, and a 16-bit
 * state would add its rounding at every step. */
static subq_status check_state(const char *name, const subq_tensor *t, const subq_stream *s,
                               const subq_fftconv_s4 *m, int64_t batch)
{
    int64_t shape[4] = {batch, m->cfg.d_model, m->n2, 2};
    if (t && (t->dtype == SUBQ_F16 || t->dtype == SUBQ_BF16))
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "%s: expected dtype f32, got %s (FFTConvS4 keeps its recurrent "
                                                 "state in f32; x and y may be 16-bit)", name,
                         subq_dtype_name(t->dtype));
    SUBQ_TRY(subq_arg_tensor(name, t, s, SUBQ_F32, 4, 4));
    SUBQ_TRY(subq_arg_shape(name, t, 4, shape));
    return subq_arg_dense(name, t);
}

/* lk: L, or min(L, round(l_max / rate)) (Python's round: half to even, as rint). */
static int64_t kernel_length(const subq_fftconv_s4 *m, int64_t length, double rate)
{
    if (!m->cfg.l_max) return length;
    int64_t lk = (int64_t)rint((double)m->cfg.l_max / rate);
    return lk < length ? lk : length;
}

/* The kernel and its spectra for (length, lk, rate, weights); regenerated only when one changed. */
static subq_status refresh_kernel(subq_stream *s, subq_fftconv_s4 *m, int64_t length, int64_t lk, double rate)
{
    uint64_t version = subq_parameters_version(m->kernel_params);
    bool same_shape = m->k && m->length == length && m->lk == lk;
    if (same_shape && m->rate == rate && m->version == version) return SUBQ_OK;
    const subq_fftconv_s4_config *c = &m->cfg;
    if (!same_shape) {
        s4_release_kernel(m);
        int64_t shape[3] = {c->channels, c->d_model, lk};
        SUBQ_TRY(subq_tensor_create(m->ctx, SUBQ_F32, 3, shape, &m->k));
        m->spectra = calloc((size_t)c->channels, sizeof *m->spectra);
        if (!m->spectra) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for FFTConvS4's spectra");
    }
    m->length = length, m->lk = lk, m->rate = rate;
    m->version = version - 1; /* stale until every step below succeeded */
    SUBQ_TRY(s4_kernel_generate(s, m, rate));
    subq_fft_conv_options causal = {.causal = 1};
    for (int64_t ch = 0; ch < c->channels; ch++) {
        int64_t shape[3] = {1, c->d_model, lk};
        subq_tensor *view;
        SUBQ_TRY(subq_tensor_view(m->k, ch * c->d_model * lk, 3, shape, NULL, &view));
        subq_status status = m->spectra[ch] ? subq_fft_kernel_update(s, m->spectra[ch], view)
                                            : subq_fft_kernel_create(s, view, 1, &length, &causal, &m->spectra[ch]);
        subq_tensor_destroy(view);
        SUBQ_TRY(status);
    }
    m->version = version;
    return SUBQ_OK;
}

typedef struct forward_args {
    const subq_tensor *x, *state;
    subq_tensor *y, *next_state;
    int64_t batch, length;
    int64_t x_stride_b, x_stride_h, x_stride_l;
    double rate;
} forward_args;

static subq_status check_forward(const subq_stream *s, const subq_fftconv_s4 *m, forward_args *a)
{
    SUBQ_TRY(check_module(s, m));
    SUBQ_TRY(subq_arg_float_tensor("x", a->x, s, 3, 3));
    int h_axis = m->cfg.not_transposed ? 2 : 1, l_axis = 3 - h_axis;
    if (a->x->shape[h_axis] != m->cfg.d_model)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: axis %d is %lld; expected d_model %lld (x is %s)", h_axis,
                         (long long)a->x->shape[h_axis], (long long)m->cfg.d_model,
                         m->cfg.not_transposed ? "(B, L, H)" : "(B, H, L)");
    a->batch = a->x->shape[0], a->length = a->x->shape[l_axis];
    a->x_stride_b = a->x->strides[0], a->x_stride_h = a->x->strides[h_axis], a->x_stride_l = a->x->strides[l_axis];
    if (!(a->rate > 0 && isfinite(a->rate)))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "rate: expected a finite rate > 0 (0 means 1), got %g", a->rate);
    if (kernel_length(m, a->length, a->rate) < 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "rate: round(l_max / rate) = 0 leaves no kernel");
    int64_t y_shape[4] = {a->batch, m->cfg.channels, m->cfg.d_model, a->length};
    SUBQ_TRY(subq_arg_float_tensor("y", a->y, s, 4, 4));
    SUBQ_TRY(subq_arg_shape("y", a->y, 4, y_shape));
    SUBQ_TRY(subq_arg_dense("y", a->y));
    SUBQ_TRY(subq_arg_output("y", a->y));
    SUBQ_TRY(subq_arg_disjoint("y", a->y, "x", a->x));
    if (!a->state != !a->next_state)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: state and next_state are given together or not at all",
                         a->state ? "next_state" : "state");
    if (!a->state) return SUBQ_OK;
    if (kernel_length(m, a->length, a->rate) != a->length)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: the state's response needs a kernel as long as x "
                                                      "(%lld); l_max / rate gives %lld", (long long)a->length,
                         (long long)kernel_length(m, a->length, a->rate));
    SUBQ_TRY(check_state("state", a->state, s, m, a->batch));
    SUBQ_TRY(check_state("next_state", a->next_state, s, m, a->batch));
    SUBQ_TRY(subq_arg_output("next_state", a->next_state));
    SUBQ_TRY(subq_arg_disjoint("y", a->y, "state", a->state));
    SUBQ_TRY(subq_arg_disjoint("next_state", a->next_state, "x", a->x));
    SUBQ_TRY(subq_arg_disjoint("next_state", a->next_state, "y", a->y));
    return subq_arg_disjoint_or_same("next_state", a->next_state, "state", a->state);
}

/* x as [B, H, L] with L dense for subq_fft_conv: itself, or a copy in the workspace. */
static subq_status x_channels_first(subq_stream *s, subq_fftconv_s4 *m, const forward_args *a,
                                    const subq_tensor **out, subq_tensor **view)
{
    int64_t shape[3] = {a->batch, m->cfg.d_model, a->length};
    *view = NULL;
    if (!m->cfg.not_transposed && (a->x_stride_l == 1 || a->length == 1)) {
        *out = a->x;
        return SUBQ_OK;
    }
    int64_t strides[3] = {a->x_stride_b, a->x_stride_h, a->x_stride_l};
    subq_tensor *dense;
    SUBQ_TRY(s4_workspace_tensor(m->ws, S4_SLOT_TIME_A, 3, shape, &dense));
    SUBQ_TRY(subq_tensor_view(a->x, 0, 3, shape, strides, view));
    *out = dense;
    return subq_tensor_copy(s, *view, dense);
}

/* The convolution into y [B, C, H, L]. */
static subq_status convolve(subq_stream *s, subq_fftconv_s4 *m, const forward_args *a, subq_tensor *out)
{
    const subq_tensor *x;
    subq_tensor *x_view;
    SUBQ_TRY(x_channels_first(s, m, a, &x, &x_view));
    subq_status status = SUBQ_OK;
    int64_t h = m->cfg.d_model, c = m->cfg.channels, l = a->length;
    for (int64_t ch = 0; ch < c && status == SUBQ_OK; ch++) {
        int64_t shape[3] = {a->batch, h, l}, strides[3] = {c * h * l, l, 1};
        subq_tensor *y;
        status = subq_tensor_view(out, ch * h * l, 3, shape, strides, &y);
        if (status == SUBQ_OK) status = subq_fft_conv(s, x, m->spectra[ch], NULL, y);
        subq_tensor_destroy(y);
    }
    subq_tensor_destroy(x_view);
    return status;
}

/* y += the state's response, next_state = forward_state(x, state). */
static subq_status state_passes(subq_stream *s, subq_fftconv_s4 *m, const forward_args *a, subq_tensor *y)
{
    const subq_fftconv_s4_config *c = &m->cfg;
    if (c->kernel_type == SUBQ_S4_KERNEL_S4) {
        s4_x_layout x = {.x = a->x, .stride_b = a->x_stride_b, .stride_h = a->x_stride_h, .stride_l = a->x_stride_l,
                         .length = a->length};
        SUBQ_TRY(s4_dplr_state_response(s, m, a->state, a->rate, a->batch, y));
        return s4_dplr_forward_state(s, m, &x, a->state, a->next_state);
    }
    s4d_state_push p = s4d_push(m, (float)a->rate);
    p.batch = (uint32_t)a->batch, p.len = (uint32_t)a->length;
    p.state_first = subq_push_first(a->state), p.y_first = subq_push_first(y);
    SUBQ_TRY(s4d_state_dispatch(s, m, S4D_STATE_RESPONSE, &p, NULL, a->state, NULL, NULL, y,
                                (uint64_t)a->batch * c->channels * c->d_model * a->length));
    p = s4d_push(m, 1.0f); /* lrnnx's forward_state discretises at rate 1 */
    p.batch = (uint32_t)a->batch, p.len = (uint32_t)a->length;
    p.x_first = subq_push_first(a->x), p.x_stride_b = (uint32_t)a->x_stride_b;
    p.x_stride_h = (uint32_t)a->x_stride_h, p.x_stride_l = (uint32_t)a->x_stride_l;
    p.state_first = subq_push_first(a->state), p.out_first = subq_push_first(a->next_state);
    return s4d_state_dispatch(s, m, S4D_FORWARD_STATE, &p, a->x, a->state, NULL, a->next_state, NULL,
                              (uint64_t)a->batch * c->d_model * m->n2);
}

subq_status subq_fftconv_s4_forward(subq_stream *stream, subq_fftconv_s4 *module, const subq_tensor *x,
                                    const subq_tensor *state, double rate, subq_tensor *y, subq_tensor *next_state)
{
    forward_args a = {.x = x, .state = state, .y = y, .next_state = next_state, .rate = rate == 0 ? 1.0 : rate};
    SUBQ_TRY(check_forward(stream, module, &a));
    SUBQ_TRY(refresh_kernel(stream, module, a.length, kernel_length(module, a.length, a.rate), a.rate));
    if (!state) return convolve(stream, module, &a, y);
    /* A 16-bit y is rounded once: the convolution and the state's response add up in f32 first. */
    subq_tensor *sum = y;
    if (y->dtype != SUBQ_F32) SUBQ_TRY(s4_workspace_tensor(module->ws, S4_SLOT_OUTPUT, 4, y->shape, &sum));
    SUBQ_TRY(convolve(stream, module, &a, sum));
    SUBQ_TRY(state_passes(stream, module, &a, sum));
    return sum == y ? SUBQ_OK : subq_tensor_copy(stream, sum, y);
}

/* ---- recurrent stepping -------------------------------------------------------------------- */

subq_status subq_fftconv_s4_setup_step(subq_stream *stream, subq_fftconv_s4 *m)
{
    SUBQ_TRY(check_module(stream, m));
    m->step_ready = false;
    if (m->cfg.kernel_type == SUBQ_S4_KERNEL_S4) {
        SUBQ_TRY(s4_dplr_setup_step(stream, m));
    } else {
        if (!m->coeffs) {
            int64_t shape[3] = {m->cfg.d_model, m->n2, 4};
            SUBQ_TRY(subq_tensor_create(m->ctx, SUBQ_F32, 3, shape, &m->coeffs));
        }
        s4d_state_push p = s4d_push(m, 1.0f);
        p.coeffs_first = subq_push_first(m->coeffs);
        SUBQ_TRY(s4d_state_dispatch(stream, m, S4D_SETUP, &p, NULL, NULL, m->coeffs, NULL, NULL,
                                    (uint64_t)m->cfg.d_model * m->n2));
    }
    m->step_version = subq_parameters_version(m->kernel_params);
    m->step_ready = true;
    return SUBQ_OK;
}

static subq_status check_step(const subq_stream *s, const subq_fftconv_s4 *m, const subq_tensor *x,
                              const subq_tensor *state, const subq_tensor *y, const subq_tensor *next)
{
    SUBQ_TRY(check_module(s, m));
    if (!m->step_ready)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: call subq_fftconv_s4_setup_step before step");
    if (m->step_version != subq_parameters_version(m->kernel_params))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: the weights changed since setup_step; call it again");
    SUBQ_TRY(subq_arg_float_tensor("x", x, s, 2, 2));
    int64_t batch = x->shape[0], x_shape[2] = {batch, m->cfg.d_model};
    int64_t y_shape[3] = {batch, m->cfg.channels, m->cfg.d_model};
    SUBQ_TRY(subq_arg_shape("x", x, 2, x_shape));
    SUBQ_TRY(check_state("state", state, s, m, batch));
    SUBQ_TRY(check_state("next_state", next, s, m, batch));
    SUBQ_TRY(subq_arg_output("next_state", next));
    SUBQ_TRY(subq_arg_float_tensor("y", y, s, 3, 3));
    SUBQ_TRY(subq_arg_shape("y", y, 3, y_shape));
    SUBQ_TRY(subq_arg_dense("y", y));
    SUBQ_TRY(subq_arg_output("y", y));
    SUBQ_TRY(subq_arg_disjoint("y", y, "x", x));
    SUBQ_TRY(subq_arg_disjoint("y", y, "state", state));
    SUBQ_TRY(subq_arg_disjoint("y", y, "next_state", next));
    SUBQ_TRY(subq_arg_disjoint("next_state", next, "x", x));
    return subq_arg_disjoint_or_same("next_state", next, "state", state);
}

subq_status subq_fftconv_s4_step(subq_stream *stream, subq_fftconv_s4 *m, const subq_tensor *x,
                                 const subq_tensor *state, subq_tensor *y, subq_tensor *next_state)
{
    SUBQ_TRY(check_step(stream, m, x, state, y, next_state));
    if (m->cfg.kernel_type == SUBQ_S4_KERNEL_S4) return s4_dplr_step(stream, m, x, state, y, next_state);
    s4d_state_push p = s4d_push(m, 1.0f);
    p.batch = (uint32_t)x->shape[0];
    p.x_first = subq_push_first(x), p.x_stride_b = (uint32_t)x->strides[0], p.x_stride_h = (uint32_t)x->strides[1];
    p.state_first = subq_push_first(state), p.coeffs_first = subq_push_first(m->coeffs);
    p.out_first = subq_push_first(next_state), p.y_first = subq_push_first(y);
    return s4d_state_dispatch(stream, m, S4D_STEP, &p, x, state, m->coeffs, next_state, y,
                              (uint64_t)x->shape[0] * m->cfg.d_model);
}

subq_status subq_fftconv_s4_state_shape(const subq_fftconv_s4 *m, int64_t batch, int64_t shape[4])
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected an FFTConvS4, got NULL");
    if (!shape) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "shape: expected room for 4 sizes, got NULL");
    if (batch < 1) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "batch: expected >= 1, got %lld", (long long)batch);
    shape[0] = batch, shape[1] = m->cfg.d_model, shape[2] = m->n2, shape[3] = 2;
    return SUBQ_OK;
}

subq_status subq_fftconv_s4_default_state(subq_fftconv_s4 *m, subq_tensor *state)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected an FFTConvS4, got NULL");
    if (!state) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: expected a tensor, got NULL");
    int64_t shape[4];
    SUBQ_TRY(subq_fftconv_s4_state_shape(m, state->shape[0] > 0 ? state->shape[0] : 1, shape));
    if (state->dtype != SUBQ_F32 || state->rank != 4)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: expected an f32 [B, H, N2, 2] tensor");
    SUBQ_TRY(subq_arg_shape("state", state, 4, shape));
    SUBQ_TRY(subq_arg_dense("state", state));
    size_t bytes = (size_t)subq_tensor_numel(state) * sizeof(float);
    float *zeros = calloc(1, bytes ? bytes : 1);
    if (!zeros) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for a state");
    subq_status status = subq_tensor_upload(state, zeros, bytes);
    free(zeros);
    return status;
}
