/* A model block's S4 mixer (mixer "s4" of a description; python/subq_torch/model.py's S4Mixer), the
 * S4 block of state-spaces/s4 with lrnnx's FFTConvS4 inside:
 *     y = FFTConvS4(x) + D * x;  out = GLU(output_linear(GELU(y)))
 * x [B, L, C] channels-last (FFTConvS4 not transposed, channels = 1), D [1, C], output_linear
 * Linear(C, 2C), GLU(z) = z[..., :C] * sigmoid(z[..., C:]). Parameters: "D", "output_linear.weight",
 * "output_linear.bias" and FFTConvS4's under "layer" ("layer.kernel.C", ...). */
#ifndef SUBQ_MODEL_S4_MIXER_H
#define SUBQ_MODEL_S4_MIXER_H

#include "subq/s4.h"

typedef struct model_s4 {
    subq_fftconv_s4 *layer;
    subq_parameters *parameters; /* the mixer's own and layer's, attached */
    subq_tensor *d, *out_weight, *out_bias;
} model_s4;

/* Scratch of one input shape: conv [B, 1, C, L] (FFTConvS4's output), glu [B, L, 2C]. */
typedef struct model_s4_scratch {
    subq_tensor *conv, *glu;
} model_s4_scratch;

subq_status model_s4_create(subq_context *ctx, const subq_fftconv_s4_config *config, model_s4 *s4);
void model_s4_destroy(model_s4 *s4);
/* FFTConvS4's init, D ~ N(0, 1) (lrnnx's randn), output_linear as nn.Linear's U(+-1/sqrt(C)). */
subq_status model_s4_init(model_s4 *s4, uint64_t seed);

subq_status model_s4_scratch_create(subq_context *ctx, int64_t batch, int64_t length, int64_t channels,
                                    model_s4_scratch *scratch);
void model_s4_scratch_free(model_s4_scratch *scratch);

/* x [B, *S, C] -> out [B, *S, C], the sequence being S flattened row-major (L = prod S). With a state
 * [B, C, N2, 2] the FFTConvS4 runs from it and writes its state after x into next_state (prefill). */
subq_status model_s4_forward(subq_stream *stream, model_s4 *s4, const subq_tensor *x, const subq_tensor *state,
                             subq_tensor *next_state, const model_s4_scratch *scratch, subq_tensor *out);
/* One position: x [B, 1, C] -> out [B, 1, C], the state [B, C, N2, 2] advanced in place
 * (subq_fftconv_s4_setup_step first). */
subq_status model_s4_step(subq_stream *stream, model_s4 *s4, const subq_tensor *x, subq_tensor *state,
                          const model_s4_scratch *scratch, subq_tensor *out);

#endif
