/* What the two QKV mixers share: checking the inner mixer, drawing Linear weights, releasing. */
#ifndef SUBQ_MODULES_MIXER_COMMON_H
#define SUBQ_MODULES_MIXER_COMMON_H

#include "modules/parameters.h"
#include "modules/scratch.h"

/* The interface filled in (forward, parameters, init, flop_count, describe) for hidden_dim. */
subq_status subq_mixer_check(const subq_sequence_mixer *mixer, int64_t hidden_dim);
/* weight (and bias, when named) N(0, std) and zero when std > 0, else nn.Linear's U(+-1/sqrt(in)). */
subq_status subq_mixer_init_linear(subq_parameters *p, const char *weight, const char *bias, subq_random *r,
                                   int64_t in_features, double std);
/* x [B, *S, C] (rank 2..5) dense, C = channels; out of x's shape, dense, not overlapping x. */
subq_status subq_mixer_check_io(const subq_stream *stream, const subq_tensor *x, const subq_tensor *out,
                                int64_t channels);
/* What a QKV mixer holds besides its weights: its scratch, its table, and the inner mixer when it
 * owns it (a destroy function filled in). */
void subq_mixer_release(const subq_sequence_mixer *inner, subq_parameters *parameters, subq_scratch *scratch);
/* The inner mixer's output for x [B, *S, C]: scratch slot `slot` stored channels-first [B, C, *S],
 * seen as [B, *S, C]. Hyena then writes it straight from the FFT conv, and out_proj reads it as
 * M-contiguous columns. */
subq_status subq_mixer_output(subq_scratch *scratch, int32_t slot, const subq_tensor *x, subq_tensor *mixed);
/* Column block i of width c of a [..., n] tensor. */
subq_tensor subq_mixer_columns(const subq_tensor *t, int64_t i, int64_t c);

#endif
