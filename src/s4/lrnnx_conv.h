/* The three fft_conv patterns on already-checked arguments, shared by subq_lrnnx_fft_conv and
 * subq_opt_ssm_forward (lrnnx_conv.c). */
#ifndef SUBQ_S4_LRNNX_CONV_H
#define SUBQ_S4_LRNNX_CONV_H

#include "s4/spectral.h"

typedef struct s4_conv_call {
    subq_stream *stream;
    subq_lrnnx_workspace *ws;
    subq_lrnnx_pattern pattern;
    s4_signals x;      /* outer B, inner I (H or N), length L */
    s4_signals kernel; /* FULL: outer O, inner I; DIAGONAL, FACTORED: outer 1, inner N */
    const subq_tensor *b_proj, *c_proj; /* FACTORED: [N, H, Pb], [O, N, Pc] */
    int64_t b_parts, c_parts, out_dim;
    s4_signals y;      /* outer B, inner O, length L */
    bool complex_out;  /* else only the real part is written */
} s4_conv_call;

subq_status s4_conv_run(const s4_conv_call *c);

/* A dense tensor [rows..., (2)] read as rows of `inner` values with `parts` parts each, time axis
 * (length L) in the middle: x [B, L, I(, 2)] -> signals outer B, inner I. */
s4_signals s4_signals_channels_last(const subq_tensor *t, int64_t batch, int64_t length, int64_t inner,
                                    int64_t parts);

#endif
