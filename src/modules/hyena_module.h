/* Hyena's insides, shared by hyena.c (construction, init, counts), hyena_forward.c, hyena_cp.c
 * (the context-parallel forward) and hyena_state.c (incremental inference). */
#ifndef SUBQ_MODULES_HYENA_H
#define SUBQ_MODULES_HYENA_H

#include "modules/ckconv_module.h"

/* CAT, FULL_A and FULL_B serve the context-parallel forward only (hyena_cp.c). */
enum { HYENA_SCRATCH_X, HYENA_SCRATCH_Q, HYENA_SCRATCH_K, HYENA_SCRATCH_Z, HYENA_SCRATCH_H, HYENA_SCRATCH_CAT,
       HYENA_SCRATCH_FULL_A, HYENA_SCRATCH_FULL_B, HYENA_SCRATCH_SLOTS };

typedef struct hyena_norm {
    subq_hyena_norm kind;
    subq_tensor *weight, *bias; /* NULL where the kind has none */
} hyena_norm;

struct subq_hyena {
    subq_context *ctx;
    subq_hyena_config cfg;
    subq_activation gate_2; /* resolved: gate when has_gate_2 is 0 */
    int64_t channels;
    subq_ckconv *conv;
    subq_parameters *parameters;
    subq_tensor *short_weight, *short_bias;
    int64_t short_groups;
    hyena_norm q_norm, k_norm, pixelhyena_norm, output_norm; /* k_norm.kind NONE unless gate is Identity */
    subq_scratch scratch;
};

/* The forward on checked arguments; z (optional, [B, C, *S], any strides) receives the long
 * convolution's input. */
subq_status subq_hyena_run(subq_stream *stream, subq_hyena *h, const subq_tensor *q, const subq_tensor *k,
                           const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out, subq_tensor *z);
/* q, k, v and out [B, *S, C] (rank D + 2) of one shape, out disjoint from the inputs. */
subq_status subq_hyena_check_io(const subq_stream *stream, const subq_hyena *h, const subq_tensor *q,
                                const subq_tensor *k, const subq_tensor *v, const subq_tensor *out);
/* The forward's steps, shared by subq_hyena_run and the context-parallel forward. */
/* y = the short conv of channel block `block` of `blocks` equal blocks of cat(q, k, v)'s 3C channels
 * (x holds those channels), with that block's filters. */
subq_status subq_hyena_short_conv_block(subq_stream *stream, const subq_hyena *h, const subq_tensor *x, int block,
                                        int blocks, subq_tensor *y);
/* x [B, 3 channels, *S] dense seen as its three channel blocks (q, k and v when channels is C). */
void subq_hyena_split_qkv(const subq_tensor *x, int64_t channels, subq_tensor blocks[3]);
/* QK norm of *qc and *kc ([B, C, *S]): in place in blocks[0], blocks[1] when blocks (the module's
 * scratch after the short conv) is given, else into scratch; *qc, *kc then point at the result. */
subq_status subq_hyena_qk_norm(subq_stream *stream, subq_hyena *h, subq_tensor *blocks, const subq_tensor **qc,
                               const subq_tensor **kc);
/* *z (scratch, [B, C, *S]) = pixelhyena_norm(q * gate(k)). */
subq_status subq_hyena_gate_1(subq_stream *stream, subq_hyena *h, const subq_tensor *qc, const subq_tensor *kc,
                              subq_tensor **z);
/* out [B, *S, C] = output_norm(hidden * gate_2(v)), hidden and vc [B, C, *S]. */
subq_status subq_hyena_gate_2(subq_stream *stream, const subq_hyena *h, const subq_tensor *hidden,
                              const subq_tensor *vc, subq_tensor *out);
/* The options of a Hyena norm on a layout (eps the kind's default, as hyena.h states). */
subq_norm_options subq_hyena_norm_options(subq_hyena_norm kind, subq_layout layout);
/* Whether subq_hyena_conv_gate_norm takes these inputs: 1D, a short conv of up to 16 taps, a
 * PixelHyena norm and no QK norm, q, k and v ([B, C, L] views) with one set of strides, and C
 * that one workgroup holds. */
bool subq_hyena_conv_gate_norm_fits(const subq_hyena *h, const subq_tensor *qc, const subq_tensor *kc,
                                    const subq_tensor *vc);
/* z = pixelhyena_norm(conv(q) * gate(conv(k))) and v_out = conv(v) ([B, C, L], dense positions) in
 * one pass, conv being the short conv. */
subq_status subq_hyena_conv_gate_norm(subq_stream *stream, const subq_hyena *h, const subq_tensor *qc,
                                      const subq_tensor *kc, const subq_tensor *vc, subq_tensor *z,
                                      subq_tensor *v_out);
/* y = norm(a * act(b)) over the channel axis of a layout, or a * act(b) without a norm. */
subq_status subq_hyena_gated(subq_stream *stream, const hyena_norm *norm, subq_layout layout, const subq_tensor *a,
                             const subq_tensor *b, subq_activation activation, subq_tensor *y);
/* y = norm(x) in place or not; nothing when there is no norm and y is x. */
subq_status subq_hyena_normalize(subq_stream *stream, const hyena_norm *norm, subq_layout layout,
                                 const subq_tensor *x, subq_tensor *y);

#endif
