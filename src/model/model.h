/* The model object shared by model.c (building, loading, forward) and generate.c (prefill, step). */
#ifndef SUBQ_MODEL_MODEL_H
#define SUBQ_MODEL_MODEL_H

#include "model/description.h"
#include "model/s4_mixer.h"
#include "modules/parameters.h"

typedef struct model_block {
    subq_tensor *norm1, *norm2;
    subq_hyena *hyena; /* mixer "hyena": owned by mixer */
    subq_qkv_mixer *mixer;
    model_s4 s4;       /* mixer "s4" */
    subq_tensor *fc1_weight, *fc1_bias, *fc2_weight, *fc2_bias;
} model_block;

/* Activations for one input shape [B, *S]: the residual stream x, the normed h, the block outputs m,
 * the MLP's hidden u; image pooling uses pooled_in [B, C, S] and ones [1, S]; S4 mixers share s4. */
typedef struct model_scratch {
    int rank; /* 1 + spatial axes */
    int64_t shape[4];
    subq_tensor *x, *h, *m, *u, *pooled_in, *ones;
    model_s4_scratch s4;
} model_scratch;

struct subq_model {
    subq_context *ctx;
    model_description d;
    subq_parameters *parameters;
    subq_tensor *embedding_weight, *embedding_bias; /* causal_lm: [V, C]; image: Linear(Cin, C) */
    float *embedding_host;                         /* causal_lm: the table, gathered on the host */
    uint64_t embedding_version;                    /* the parameter version embedding_host holds */
    model_block *blocks;
    subq_tensor *norm, *head_weight, *head_bias;
    model_scratch scratch;
};

/* s holds the activations for [B, *S] (rank 1 + spatial axes) after this; reallocated when the shape
 * changes, after the stream's recorded work finished (it may still use them, and the S4 mixers'
 * cached kernels of the old length). */
subq_status subq_model_scratch(subq_stream *stream, subq_model *m, model_scratch *s, int rank, const int64_t *shape);
void subq_model_scratch_free(model_scratch *s);
/* The blocks and the final norm on s->x in place, through `mix` for the token mixer (forward, or
 * the Hyena prefill / step); the final normed stream ends in s->h. */
typedef subq_status (*model_mix_fn)(subq_stream *stream, model_block *block, int64_t index, void *user,
                                    const subq_tensor *x, subq_tensor *out);
subq_status subq_model_run_blocks(subq_stream *stream, subq_model *m, model_scratch *s, model_mix_fn mix, void *user);
/* Upload the embedding rows of host tokens [B, T] into x [B, T, C] (waits for the stream first). */
subq_status subq_model_embed_tokens(subq_stream *stream, subq_model *m, const int32_t *tokens, int64_t count,
                                    subq_tensor *x);
/* The checks of a causal_lm call on host tokens [batch, length]. */
subq_status subq_model_check_lm(subq_stream *stream, const subq_model *m, const int32_t *tokens, int64_t batch,
                                int64_t length);
/* A sequence of `length` (image: H * W) is refused for an S4 (DPLR) kernel set up for less. */
subq_status subq_model_check_s4_length(const subq_model *m, int64_t length);
/* A view of t [B, T, C] at position `position`: [B, C] with t's strides. */
subq_status subq_model_position_view(const subq_tensor *t, int64_t position, subq_tensor **view);

#endif
