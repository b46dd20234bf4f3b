/* The Hyena mixer's pointwise and projection layers (SPEC.md sections 3 and 5): activations, gates,
 * norms over the channel axis, and linear projections. Included by subq.h.
 *
 * All tensors are f32. "Any strides" means any view subq_tensor_view can make (permuted, sliced,
 * broadcast inputs with stride 0). An output may be the very same view as an input of the same
 * shape where a function says so (in place); any other overlap between an output and an input is
 * refused. */
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

#ifdef __cplusplus
}
#endif

#endif
