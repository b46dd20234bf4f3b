/* The causal conv1d family (SPEC.md section 2): Megatron's packed varlen conv and Dao's
 * causal_conv1d_fn / causal_conv1d_update. Included by subq.h.
 *
 * All are depthwise cross-correlations: weight column W-1 multiplies the current token. Weights are
 * (D, W) for any W >= 1; every tensor may be a strided view; float tensors (x, weights, bias, states,
 * outputs) are each f32, f16 or bf16 (16-bit storage needed); sums accumulate in fp32. Outputs
 * share no memory with inputs, except where a call says it updates in place. */
#ifndef SUBQ_CAUSAL_CONV1D_H
#define SUBQ_CAUSAL_CONV1D_H

#include "subq/subq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- packed variable-length requests (Megatron causal_conv1d_varlen_fn) --------------------- */

/* cu_seqlens lives on the GPU, but a cu_seqlens that does not end at T would make the original
 * read out of bounds, so subq checks it (0 first, non-decreasing, last == T) on the host:
 *  - against host_cu_seqlens when given (no wait: the caller vouches that it equals cu_seqlens);
 *  - not at all when precomputed seq_idx / seq_start are given (cu_seqlens only sizes R then);
 *  - otherwise by submitting the stream and downloading cu_seqlens (R+1 ints): a full sync with
 *    the GPU on every call. Serving loops should pass one of the two above.
 * Whatever the indices hold, the shaders clamp them and never access memory out of bounds. */
typedef struct subq_causal_conv1d_varlen_options {
    const int32_t *host_cu_seqlens; /* R+1 values equal to cu_seqlens, or NULL */
} subq_causal_conv1d_varlen_options;

/* out[t, c] = silu(bias[c] + sum_j weight[c, j] * tap(t - (W-1) + j)), where a tap at or after the
 * token's request start s reads x, and one before it reads initial_states[r, c, (W-1) - (s - src)]
 * (zero without initial states). SiLU always, as in the original.
 * x (T, D); weight (D, W); bias (D) or NULL; cu_seqlens (R+1) i32, R >= 1;
 * initial_states (R, D, W-1) or NULL (NULL when W = 1: there is no state);
 * seq_idx and seq_start (>= T entries, i32): both or neither. Precomputed per-token request and
 * request start, as the original's precomputed_seq_idx / precomputed_seq_start; padding tokens
 * carry 0 and 0 and get finite outputs. A seq_idx outside [0, R) reads no initial state;
 * out (T, D). */
subq_status subq_causal_conv1d_varlen(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                                      const subq_tensor *bias, const subq_tensor *cu_seqlens,
                                      const subq_tensor *initial_states, const subq_tensor *seq_idx,
                                      const subq_tensor *seq_start,
                                      const subq_causal_conv1d_varlen_options *options, subq_tensor *out);

/* The state of width K each request leaves behind: next[r, c, j] = x[start + len - K + j, c] when
 * len - K + j >= 0, else prev[r, c, j + len]. x (T, D); cu_seqlens (R+1) i32, checked as above
 * (there are no precomputed arrays here); prev and next (R, D, K). next may be prev itself (the
 * same tensor or an identical view) to update states in place; any other overlap is an error. */
subq_status subq_causal_conv1d_varlen_carry_states(subq_stream *stream, const subq_tensor *x,
                                                   const subq_tensor *cu_seqlens, const subq_tensor *prev,
                                                   const subq_causal_conv1d_varlen_options *options,
                                                   subq_tensor *next);

/* ---- Dao's causal_conv1d_fn ------------------------------------------------------------------ */

typedef struct subq_causal_conv1d_options {
    subq_activation activation; /* NONE (default) or SILU ("silu" and "swish") */
} subq_causal_conv1d_options;

/* out[b, c, t] = act(bias[c] + sum_j weight[c, j] * xt[t - (W-1) + j]), xt = cat(initial_states, x)
 * (position -1 is state column W-2; zero without a state).
 * x (B, D, L), channels-first or a channels-last storage seen through a permuted view;
 * weight (D, W); bias (D) or NULL;
 * seq_idx (B, L) i32 or NULL: a tap counts only inside the output's segment (equal seq_idx); a
 * negative seq_idx[b, t] gives 0. Unlike the original, it combines with initial_states: the state
 * continues the segment of seq_idx[b, 0] and reaches no other;
 * initial_states (B, D, W-1) or NULL; out (B, D, L);
 * final_states (B, D, W-1) or NULL: the last W-1 columns of cat(initial_states, x), left
 * zero-padded when short, not masked by seq_idx. With W = 1 there are no states: pass NULL. */
subq_status subq_causal_conv1d(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                               const subq_tensor *bias, const subq_tensor *seq_idx,
                               const subq_tensor *initial_states, const subq_causal_conv1d_options *options,
                               subq_tensor *out, subq_tensor *final_states);

/* ---- Dao's causal_conv1d_update (decoding) ---------------------------------------------------- */

typedef struct subq_causal_conv1d_update_options {
    subq_activation activation; /* NONE (default) or SILU */
} subq_causal_conv1d_update_options;

/* x (B, D) or (B, D, L) new tokens; conv_state (slots, D, S), S >= W-1, read and updated in place;
 * weight (D, W); bias (D) or NULL; out has x's shape.
 * cache_seqlens (B) i32 or NULL. NULL: linear buffer, out[t] uses the window cat(state, x) from
 * column S-(W-1) and the state keeps the last S columns. Given: circular buffer, the window's state
 * part starts at (cache_seqlens[b] - (W-1)) mod S and x is written from cache_seqlens[b] mod S (with
 * L > S the last tokens win).
 * conv_state_indices (B) i32 or NULL (row b uses slot b, so slots >= B): a negative index gives zeros and leaves
 * every slot untouched; so does an index >= slots, which cannot be reported from the GPU. Two rows
 * naming the same slot race on it, as in the original. */
subq_status subq_causal_conv1d_update(subq_stream *stream, const subq_tensor *x, subq_tensor *conv_state,
                                      const subq_tensor *weight, const subq_tensor *bias,
                                      const subq_tensor *cache_seqlens, const subq_tensor *conv_state_indices,
                                      const subq_causal_conv1d_update_options *options, subq_tensor *out);

#ifdef __cplusplus
}
#endif

#endif
