/* Hyena's insides, shared by hyena.c (construction, init, counts), hyena_forward.c and
 * hyena_state.c (incremental inference). */
#ifndef SUBQ_MODULES_HYENA_H
#define SUBQ_MODULES_HYENA_H

#include "modules/ckconv_module.h"

enum { HYENA_SCRATCH_X, HYENA_SCRATCH_Q, HYENA_SCRATCH_K, HYENA_SCRATCH_Z, HYENA_SCRATCH_H, HYENA_SCRATCH_SLOTS };

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
/* y = norm(a * act(b)) over the channel axis of a layout, or a * act(b) without a norm. */
subq_status subq_hyena_gated(subq_stream *stream, const hyena_norm *norm, subq_layout layout, const subq_tensor *a,
                             const subq_tensor *b, subq_activation activation, subq_tensor *y);
/* y = norm(x) in place or not; nothing when there is no norm and y is x. */
subq_status subq_hyena_normalize(subq_stream *stream, const hyena_norm *norm, subq_layout layout,
                                 const subq_tensor *x, subq_tensor *y);

#endif
