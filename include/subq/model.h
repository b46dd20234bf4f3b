/* Models: a stack of pre-norm residual blocks,
 *     x = x + mixer(RMSNorm(x));  x = x + MLP(RMSNorm(x))   (MLP: Linear, GELU, Linear)
 * as python/subq_torch/model.py defines them, built from a JSON description and loaded from a
 * safetensors file that carries the description in __metadata__["subq_model"] (subq_torch.export).
 * The mixer (the description's "mixer", one type for every block):
 *   "hyena": QKVSequenceMixer(Hyena);
 *   "s4":    the S4 block of state-spaces/s4 around lrnnx's FFTConvS4 (kernel_type "s4d" or "s4"),
 *            y = FFTConvS4(x) + D * x, out = GLU(output_linear(GELU(y))), over the sequence (an
 *            image's pixels row-major).
 *
 * causal_lm: tokens [B, L] -> embedding -> blocks (1D causal) -> RMSNorm -> head -> logits [B, L, V];
 *            generation prefills once, then steps one token at a time on each block's state (Hyena:
 *            short-conv window and the long convolution as a direct sum against the cached kernel;
 *            S4: FFTConvS4's recurrence from the state its forward left).
 * image:     pixels [B, H, W, Cin] -> Linear -> blocks (2D Hyena, or S4 over the H * W pixels) ->
 *            RMSNorm -> head, per pixel [B, H, W, K] or on the mean over pixels [B, K].
 * Included by subq.h. */
#ifndef SUBQ_MODEL_H
#define SUBQ_MODEL_H

#include "subq/parameters.h"
#include "subq/safetensors.h"
#include "subq/subq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum subq_model_task {
    SUBQ_MODEL_CAUSAL_LM = 0,
    SUBQ_MODEL_IMAGE,
} subq_model_task;

typedef struct subq_model subq_model;
typedef struct subq_safetensors subq_safetensors; /* subq/safetensors.h */

typedef struct subq_model_info {
    subq_model_task task;
    int64_t hidden_dim, layers, mlp_hidden;
    int64_t vocab_size, max_length; /* causal_lm */
    int64_t in_channels, image_size[2], classes;
    int32_t per_pixel;              /* image: 1 = per-pixel head, 0 = mean-pooled classifier */
    int64_t parameter_count;
    const char *vocabulary;         /* causal_lm: token i's text is its i-th UTF-8 character; NULL if none */
    double validation_loss;         /* the description's metric.validation_loss; NaN if none */
    const char *mixer;              /* the blocks' token mixer: "hyena", "s4d" or "s4" (FFTConvS4 kernels) */
} subq_model_info;

/* A model from its JSON description, weights drawn by subq_model_init's defaults (seed 0). */
subq_status subq_model_create(subq_context *context, const char *description, subq_model **model);
/* A model from a subq model file: description from its metadata, every weight by name (each
 * parameter must be present with its exact shape, and the file must hold nothing else). */
subq_status subq_model_load(subq_context *context, const char *path, subq_model **model);
/* Weights from an open file, by name, as subq_model_load. */
subq_status subq_model_load_weights(subq_model *model, const subq_safetensors *file);
void subq_model_destroy(subq_model *model);
subq_status subq_model_get_info(const subq_model *model, subq_model_info *info);
/* Every weight, named as the PyTorch model's state_dict. */
subq_parameters *subq_model_parameters(subq_model *model);
subq_status subq_model_init(subq_model *model, uint64_t seed);

/* causal_lm: logits [B, L, V] for host tokens [B, L] (int32 in [0, V)). Waits for the stream's
 * earlier work first (the embedding is gathered on the host and uploaded), then records. */
subq_status subq_model_forward_tokens(subq_stream *stream, subq_model *model, const int32_t *tokens, int64_t batch,
                                      int64_t length, subq_tensor *logits);
/* image: pixels [B, H, W, Cin] (H, W any sizes the 2D Hyena takes), logits [B, K] or [B, H, W, K]. */
subq_status subq_model_forward(subq_stream *stream, subq_model *model, const subq_tensor *pixels,
                               subq_tensor *logits);

/* ---- generation (causal_lm) ----------------------------------------------------------------- */

typedef struct subq_model_state subq_model_state;

/* State for `batch` sequences of up to max_length tokens (prompt and generated together). S4 mixers:
 * max_length may not exceed the kernel's length (l_max, or a DPLR kernel's max_length), since the
 * recurrence would then no longer equal the forward's truncated convolution. */
subq_status subq_model_state_create(subq_model *model, int64_t batch, int64_t max_length, subq_model_state **state);
void subq_model_state_destroy(subq_model_state *state);
int64_t subq_model_state_length(const subq_model_state *state);
/* Start over with host tokens [B, T]; logits [B, V] of the last position. Waits as forward_tokens. */
subq_status subq_model_prefill(subq_stream *stream, subq_model *model, subq_model_state *state, const int32_t *tokens,
                               int64_t length, subq_tensor *logits);
/* One token per sequence (host tokens [B]); logits [B, V] of that position. O(t) per token (Hyena),
 * O(d_state) per channel (S4). */
subq_status subq_model_step(subq_stream *stream, subq_model *model, subq_model_state *state, const int32_t *tokens,
                            subq_tensor *logits);

typedef struct subq_generate_options {
    float temperature; /* 0: greedy (argmax); > 0: sample softmax(logits / temperature) */
    int32_t top_k;     /* > 0: sample among the k most likely tokens; 0: all */
    uint64_t seed;     /* sampling seed */
    /* Called after each new token (NULL: none); a non-zero return stops the generation early. */
    int (*on_token)(void *user, int64_t index, int32_t token);
    void *user;
} subq_generate_options;

/* One sequence: prefill prompt[0, prompt_length), then `count` tokens into out (the state must
 * hold prompt_length + count - 1 tokens). *generated says how many were made (count unless the
 * callback stopped early). Runs and waits. */
subq_status subq_model_generate(subq_stream *stream, subq_model *model, subq_model_state *state, const int32_t *prompt,
                                int64_t prompt_length, int64_t count, const subq_generate_options *options,
                                int32_t *out, int64_t *generated);

#ifdef __cplusplus
}
#endif
#endif
