/* The Hyena mixer's pointwise and projection layers (SPEC.md sections 3 and 5): activations, gates,
 * norms over the channel axis, and linear projections. Included by subq.h.
 *
 * Every tensor may be f32, f16 or bf16 (16-bit ones where the device has 16-bit storage), mixed
 * freely; the math is fp32. "Any strides" means any view subq_tensor_view can make (permuted, sliced,
 * broadcast inputs with stride 0). Where a function says "in place", its output may be the very
 * same view as that input, or interleaved with it without sharing an element (q written while k
 * is read, both column blocks of one [M, 3C] projection); any other overlap is refused. */
#ifndef SUBQ_NN_H
#define SUBQ_NN_H

#include "subq/subq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = act(x), elementwise. x and y: one shape (rank 1..5), any strides. In place: y may be x. */
subq_status subq_activation_apply(subq_stream *stream, const subq_tensor *x, subq_activation activation,
                                  subq_tensor *y);

/* y = a * act(b), elementwise: Hyena's z = q * sigma1(k) and y = h * sigma2(v). a, b and y: one
 * shape (rank 1..5), any strides. In place: y may be a or b. */
subq_status subq_gate(subq_stream *stream, const subq_tensor *a, const subq_tensor *b,
                      subq_activation activation, subq_tensor *y);

typedef enum subq_norm_kind {
    SUBQ_NORM_RMS = 0, /* x * rsqrt(mean(x^2) + eps); eps default 1e-6 */
    SUBQ_NORM_LAYER,   /* (x - mean) * rsqrt(var + eps), biased var; eps default 1e-5 */
    SUBQ_NORM_L2,      /* x / max(||x||_2, eps) (F.normalize); eps default 1e-12 */
} subq_norm_kind;

typedef enum subq_layout {
    SUBQ_CHANNELS_LAST = 0, /* [..., C]: the norm runs over the last axis */
    SUBQ_CHANNELS_FIRST,    /* [B, C, *S]: the norm runs over axis 1 */
} subq_layout;

typedef enum subq_gate_position {
    SUBQ_GATE_BEFORE = 0, /* y = norm(a * act(b)): Hyena's PixelHyena and output norms follow its gates */
    SUBQ_GATE_AFTER,      /* y = norm(a) * act(b): a gated RMSNorm, as in Mamba-2 */
} subq_gate_position;

typedef struct subq_norm_options {
    subq_norm_kind kind;
    subq_layout layout;
    float eps;                        /* 0: the kind's default; negative is an error */
    subq_gate_position gate_position; /* read by subq_gated_norm only */
} subq_norm_options;

/* y = norm(x) * gamma + beta over the channel axis, statistics in fp32; gamma [C] and beta [C]
 * dense or NULL (absent: 1 and 0), for every kind. x and y: one shape (rank 1..5; channels-first
 * needs rank >= 2), any strides; channels-first data read through a channels-first view of
 * channels-last storage runs as fast as channels-last. In place: y may be x. */
subq_status subq_norm(subq_stream *stream, const subq_tensor *x, const subq_tensor *gamma,
                      const subq_tensor *beta, const subq_norm_options *options, subq_tensor *y);

/* subq_norm fused with a gate in one pass: options->gate_position says whether the norm reads
 * a * act(b) or its output is multiplied by act(b). a, b and y: one shape, any strides.
 * In place: y may be a or b. */
subq_status subq_gated_norm(subq_stream *stream, const subq_tensor *a, const subq_tensor *b,
                            subq_activation activation, const subq_tensor *gamma, const subq_tensor *beta,
                            const subq_norm_options *options, subq_tensor *y);

/* y = x W^T + b (F.linear), fp32 accumulation. x [..., K] (rank 1..5): the leading axes are M rows
 * with any strides, the K axis contiguous; or (channels-first activations seen channels-last, a
 * pointwise convolution) the axis before K contiguous and K any stride; weight [N, K] in PyTorch's
 * layout, K contiguous, rows any stride; bias [N] dense or NULL; y [..., N] with x's leading shape,
 * N contiguous, rows any strides. y must not overlap x, weight or bias. */
subq_status subq_linear(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                        const subq_tensor *bias, subq_tensor *y);

#ifdef __cplusplus
}
#endif

#endif
