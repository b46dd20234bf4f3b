/* SPEC 2: the causal conv1d family. All three are cross-correlations: weight column W-1 multiplies
 * the current token. */
#include <math.h>
#include <string.h>

#include "reference.h"

static double activate(double v, ref_activation activation)
{
    return activation == REF_ACT_SILU ? v / (1.0 + exp(-v)) : v;
}

/* ---- 2.1 varlen ------------------------------------------------------------------------------ */

/* Taps before the request's first token s come from its initial state, whose last column (W-2)
 * is the token at s-1. */
static double varlen_tap(const double *x, const double *initial_states, int64_t src, int64_t c,
                         int64_t r, int64_t s, int64_t dim, int64_t width)
{
    if (src >= s)
        return x[src * dim + c];
    if (!initial_states)
        return 0.0;
    return initial_states[(r * dim + c) * (width - 1) + (width - 1) - (s - src)];
}

/* All channels of token t, which belongs to request r starting at token s. */
static void varlen_token(const double *x, const double *weight, const double *bias,
                         const double *initial_states, double *out, int64_t t, int64_t r,
                         int64_t s, int64_t dim, int64_t width)
{
    for (int64_t c = 0; c < dim; c++) {
        double acc = bias ? bias[c] : 0.0;
        for (int64_t j = 0; j < width; j++) {
            int64_t src = t - (width - 1) + j;
            acc += varlen_tap(x, initial_states, src, c, r, s, dim, width) * weight[c * width + j];
        }
        out[t * dim + c] = activate(acc, REF_ACT_SILU);
    }
}

void ref_causal_conv1d_varlen(const double *x, const double *weight, const double *bias,
                              const int32_t *cu_seqlens, const double *initial_states,
                              const int32_t *seq_idx, const int32_t *seq_start, double *out,
                              int64_t tokens, int64_t dim, int64_t width, int64_t requests)
{
    if (seq_idx) {
        for (int64_t t = 0; t < tokens; t++)
            varlen_token(x, weight, bias, initial_states, out, t, seq_idx[t], seq_start[t], dim,
                         width);
        return;
    }
    for (int64_t r = 0; r < requests; r++)
        for (int64_t t = cu_seqlens[r]; t < cu_seqlens[r + 1]; t++)
            varlen_token(x, weight, bias, initial_states, out, t, r, cu_seqlens[r], dim, width);
}

void ref_causal_conv1d_varlen_carry_states(const double *x, const int32_t *cu_seqlens,
                                           const double *prev, double *next, int64_t dim,
                                           int64_t width, int64_t requests)
{
    for (int64_t r = 0; r < requests; r++) {
        int64_t start = cu_seqlens[r], len = cu_seqlens[r + 1] - cu_seqlens[r];
        for (int64_t c = 0; c < dim; c++) {
            const double *p = prev + (r * dim + c) * width;
            double *n = next + (r * dim + c) * width;
            /* Ascending j reads p[j + len] before n[j + len] is written: next may alias prev. */
            for (int64_t j = 0; j < width; j++) {
                int64_t src = len - width + j;
                n[j] = src >= 0 ? x[(start + src) * dim + c] : p[j + len];
            }
        }
    }
}

/* ---- 2.2 causal_conv1d_fn -------------------------------------------------------------------- */

/* One channel's row of cat(initial_states, x) at position src of x (negative: the state). */
static double fn_tap(const double *x_row, const double *state_row, int64_t src, int64_t width)
{
    if (src >= 0)
        return x_row[src];
    return state_row ? state_row[(width - 1) + src] : 0.0;
}

/* A tap joins the sum only inside the output's own segment; positions before t = 0 are taken to
 * belong to the first segment, so the initial state continues it and no later one. */
static int same_segment(const int32_t *seq_row, int64_t src, int64_t t)
{
    if (!seq_row)
        return 1;
    return seq_row[src >= 0 ? src : 0] == seq_row[t];
}

static void fn_row(const double *x_row, const double *w_row, double bias, const int32_t *seq_row,
                   const double *state_row, double *out_row, ref_activation activation,
                   int64_t len, int64_t width)
{
    for (int64_t t = 0; t < len; t++) {
        if (seq_row && seq_row[t] < 0) {
            out_row[t] = 0.0;
            continue;
        }
        double acc = bias;
        for (int64_t j = 0; j < width; j++) {
            int64_t src = t - (width - 1) + j;
            if (same_segment(seq_row, src, t))
                acc += w_row[j] * fn_tap(x_row, state_row, src, width);
        }
        out_row[t] = activate(acc, activation);
    }
}

/* The last W-1 columns of cat(initial_states, x); a missing state reads as zeros, which is the
 * SPEC's left zero padding when x is shorter than W-1. */
static void fn_final_state(const double *x_row, const double *state_row, double *final_row,
                           int64_t len, int64_t width)
{
    for (int64_t i = 0; i < width - 1; i++)
        final_row[i] = fn_tap(x_row, state_row, len - (width - 1) + i, width);
}

void ref_causal_conv1d(const double *x, const double *weight, const double *bias,
                       const int32_t *seq_idx, const double *initial_states, double *final_states,
                       double *out, ref_activation activation, int64_t batch, int64_t dim,
                       int64_t len, int64_t width)
{
    for (int64_t b = 0; b < batch; b++) {
        const int32_t *seq_row = seq_idx ? seq_idx + b * len : NULL;
        for (int64_t c = 0; c < dim; c++) {
            int64_t row = b * dim + c;
            const double *state_row = initial_states ? initial_states + row * (width - 1) : NULL;
            fn_row(x + row * len, weight + c * width, bias ? bias[c] : 0.0, seq_row, state_row,
                   out + row * len, activation, len, width);
            if (final_states)
                fn_final_state(x + row * len, state_row, final_states + row * (width - 1), len,
                               width);
        }
    }
}

/* ---- 2.3 causal_conv1d_update ---------------------------------------------------------------- */

/* The window is W-1 state columns followed by x. Its state part starts at read_origin (mod S):
 * S-(W-1) for the linear buffer, cache-(W-1) for the circular one. */
static double window_tap(const double *state_row, const double *x_row, int64_t i,
                         int64_t read_origin, int64_t width, int64_t state_len)
{
    if (i >= width - 1)
        return x_row[i - (width - 1)];
    return state_row[ref_floor_mod(read_origin + i, state_len)];
}

/* The linear buffer keeps the last S columns of cat(state, x). Ascending i reads column L+i
 * before anything at or after it is overwritten. */
static void shift_in(double *state_row, const double *x_row, int64_t len, int64_t state_len)
{
    for (int64_t i = 0; i < state_len; i++)
        state_row[i] = len + i >= state_len ? x_row[len + i - state_len] : state_row[len + i];
}

/* Sequential writes, so with L > S the last tokens win, like the CUDA kernel. */
static void write_circular(double *state_row, const double *x_row, int64_t len, int64_t cache,
                           int64_t state_len)
{
    for (int64_t t = 0; t < len && state_len > 0; t++)
        state_row[ref_floor_mod(cache + t, state_len)] = x_row[t];
}

static void update_row(const double *x_row, double *state_row, const double *w_row, double bias,
                       const int32_t *cache, double *out_row, ref_activation activation,
                       int64_t len, int64_t width, int64_t state_len)
{
    int64_t read_origin = (cache ? *cache : state_len) - (width - 1);
    for (int64_t t = 0; t < len; t++) {
        double acc = bias;
        for (int64_t j = 0; j < width; j++)
            acc += w_row[j] * window_tap(state_row, x_row, t + j, read_origin, width, state_len);
        out_row[t] = activate(acc, activation);
    }
    if (cache)
        write_circular(state_row, x_row, len, *cache, state_len);
    else
        shift_in(state_row, x_row, len, state_len);
}

void ref_causal_conv1d_update(const double *x, double *conv_state, const double *weight,
                              const double *bias, const int32_t *cache_seqlens,
                              const int32_t *conv_state_indices, double *out,
                              ref_activation activation, int64_t batch, int64_t dim, int64_t len,
                              int64_t width, int64_t state_len)
{
    for (int64_t b = 0; b < batch; b++) {
        int64_t slot = conv_state_indices ? conv_state_indices[b] : b;
        if (slot < 0) {
            memset(out + b * dim * len, 0, (size_t)(dim * len) * sizeof(double));
            continue;
        }
        for (int64_t c = 0; c < dim; c++) {
            int64_t row = b * dim + c;
            update_row(x + row * len, conv_state + (slot * dim + c) * state_len, weight + c * width,
                       bias ? bias[c] : 0.0, cache_seqlens ? cache_seqlens + b : NULL,
                       out + row * len, activation, len, width, state_len);
        }
    }
}
