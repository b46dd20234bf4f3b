/* The forward pass: embedding, the residual blocks, the final norm and the head. */
#include <stdlib.h>
#include <string.h>

#include "model/add.h"
#include "model/model.h"
#include "runtime/args.h"
#include "runtime/error.h"

void subq_model_scratch_free(model_scratch *s) {
    subq_tensor *all[] = {s->x, s->h, s->m, s->u, s->pooled_in, s->ones};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) subq_tensor_destroy(all[i]);
    model_s4_scratch_free(&s->s4);
    memset(s, 0, sizeof *s);
}

static subq_status create(subq_context *ctx, int rank, const int64_t *shape, int64_t last, subq_tensor **t) {
    int64_t full[SUBQ_MAX_RANK];
    memcpy(full, shape, (size_t)rank * sizeof *full);
    full[rank] = last;
    return subq_tensor_create(ctx, SUBQ_F32, rank + 1, full, t);
}

subq_status subq_model_scratch(subq_stream *stream, subq_model *m, model_scratch *s, int rank, const int64_t *shape) {
    if (s->x && s->rank == rank && memcmp(s->shape, shape, (size_t)rank * sizeof *shape) == 0) return SUBQ_OK;
    if (s->x && stream) {
        SUBQ_TRY(subq_stream_submit(stream));
        SUBQ_TRY(subq_stream_wait(stream));
    }
    subq_model_scratch_free(s);
    s->rank = rank;
    memcpy(s->shape, shape, (size_t)rank * sizeof *shape);
    const subq_model_info *info = &m->d.info;
    subq_status status = create(m->ctx, rank, shape, info->hidden_dim, &s->x);
    if (status == SUBQ_OK) status = create(m->ctx, rank, shape, info->hidden_dim, &s->h);
    if (status == SUBQ_OK) status = create(m->ctx, rank, shape, info->hidden_dim, &s->m);
    if (status == SUBQ_OK) status = create(m->ctx, rank, shape, info->mlp_hidden, &s->u);
    int64_t length = 1;
    for (int a = 1; a < rank; a++) length *= shape[a];
    if (status == SUBQ_OK && m->d.mixer == MODEL_MIXER_S4)
        status = model_s4_scratch_create(m->ctx, shape[0], length, info->hidden_dim, &s->s4);
    if (status == SUBQ_OK && info->task == SUBQ_MODEL_IMAGE && !info->per_pixel) {
        /* mean over pixels: [B, C, S] (a transposed copy of h) times ones / S [1, S] */
        int64_t pixels = 1;
        for (int a = 1; a < rank; a++) pixels *= shape[a];
        status = subq_tensor_create(m->ctx, SUBQ_F32, 3, (int64_t[]){shape[0], info->hidden_dim, pixels}, &s->pooled_in);
        if (status == SUBQ_OK) status = subq_tensor_create(m->ctx, SUBQ_F32, 2, (int64_t[]){1, pixels}, &s->ones);
        float *ones = status == SUBQ_OK ? malloc((size_t)pixels * sizeof *ones) : NULL;
        if (status == SUBQ_OK && !ones) status = subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "model: out of host memory");
        for (int64_t i = 0; ones && i < pixels; i++) ones[i] = 1.0f / (float)pixels;
        if (ones) status = subq_tensor_upload(s->ones, ones, (size_t)pixels * sizeof *ones);
        free(ones);
    }
    if (status != SUBQ_OK) subq_model_scratch_free(s);
    return status;
}

static subq_status rms(subq_stream *stream, const subq_model *m, const subq_tensor *x, const subq_tensor *gamma,
                       subq_tensor *y) {
    subq_norm_options options = {.kind = SUBQ_NORM_RMS, .layout = SUBQ_CHANNELS_LAST, .eps = (float)m->d.norm_eps};
    return subq_norm(stream, x, gamma, NULL, &options, y);
}

subq_status subq_model_run_blocks(subq_stream *stream, subq_model *m, model_scratch *s, model_mix_fn mix, void *user) {
    for (int64_t i = 0; i < m->d.info.layers; i++) {
        model_block *b = &m->blocks[i];
        SUBQ_TRY(rms(stream, m, s->x, b->norm1, s->h));
        SUBQ_TRY(mix(stream, b, i, user, s->h, s->m));
        SUBQ_TRY(subq_model_add(stream, s->x, s->m, s->x));
        SUBQ_TRY(rms(stream, m, s->x, b->norm2, s->h));
        SUBQ_TRY(subq_linear(stream, s->h, b->fc1_weight, b->fc1_bias, s->u));
        SUBQ_TRY(subq_activation_apply(stream, s->u, SUBQ_ACTIVATION_GELU, s->u));
        SUBQ_TRY(subq_linear(stream, s->u, b->fc2_weight, b->fc2_bias, s->m));
        SUBQ_TRY(subq_model_add(stream, s->x, s->m, s->x));
    }
    return rms(stream, m, s->x, m->norm, s->h);
}

static subq_status mix_forward(subq_stream *stream, model_block *block, int64_t index, void *user,
                               const subq_tensor *x, subq_tensor *out) {
    (void)index;
    const model_scratch *s = user;
    if (block->s4.layer) return model_s4_forward(stream, &block->s4, x, NULL, NULL, &s->s4, out);
    return subq_qkv_mixer_forward(stream, block->mixer, x, NULL, out);
}

subq_status subq_model_embed_tokens(subq_stream *stream, subq_model *m, const int32_t *tokens, int64_t count,
                                    subq_tensor *x) {
    const subq_model_info *info = &m->d.info;
    int64_t c = info->hidden_dim, v = info->vocab_size;
    for (int64_t i = 0; i < count; i++)
        if (tokens[i] < 0 || tokens[i] >= v)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "tokens: [%lld] = %d is not in [0, %lld)", (long long)i,
                             tokens[i], (long long)v);
    uint64_t version = subq_parameters_version(m->parameters);
    if (!m->embedding_host || m->embedding_version != version) {
        float *table = realloc(m->embedding_host, (size_t)(v * c) * sizeof *table);
        if (!table) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "model: out of host memory");
        m->embedding_host = table;
        SUBQ_TRY(subq_parameters_read(m->parameters, "embedding.weight", table, v * c));
        m->embedding_version = version;
    }
    float *rows = malloc((size_t)(count * c) * sizeof *rows);
    if (!rows) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "model: out of host memory");
    for (int64_t i = 0; i < count; i++) memcpy(rows + i * c, m->embedding_host + tokens[i] * c, (size_t)c * sizeof *rows);
    /* x may still be read by work recorded earlier on this stream: let it finish first */
    subq_status status = subq_stream_submit(stream);
    if (status == SUBQ_OK) status = subq_stream_wait(stream);
    if (status == SUBQ_OK) status = subq_tensor_upload(x, rows, (size_t)(count * c) * sizeof *rows);
    free(rows);
    return status;
}

subq_status subq_model_position_view(const subq_tensor *t, int64_t position, subq_tensor **view) {
    int64_t strides[2] = {subq_tensor_stride(t, 0), 1};
    int64_t shape[2] = {subq_tensor_dim(t, 0), subq_tensor_dim(t, 2)};
    return subq_tensor_view(t, position * subq_tensor_stride(t, 1), 2, shape, strides, view);
}

subq_status subq_model_check_lm(subq_stream *stream, const subq_model *m, const int32_t *tokens, int64_t batch,
                            int64_t length) {
    SUBQ_TRY(subq_arg_stream(stream));
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model: must not be NULL");
    if (m->d.info.task != SUBQ_MODEL_CAUSAL_LM)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model: not a causal_lm (use subq_model_forward)");
    if (!tokens) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "tokens: must not be NULL");
    if (batch < 1 || length < 1 || batch > (1 << 20) || length > (1 << 24))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "batch, length: %lld x %lld tokens (each must be >= 1)",
                         (long long)batch, (long long)length);
    return SUBQ_OK;
}

subq_status subq_model_check_s4_length(const subq_model *m, int64_t length) {
    const subq_fftconv_s4_config *c = &m->d.s4;
    if (m->d.mixer != MODEL_MIXER_S4 || c->kernel_type != SUBQ_S4_KERNEL_S4 || c->l_max || length <= c->l_kernel)
        return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "length: a sequence of %lld exceeds the %lld its S4 (DPLR) kernel "
                     "was set up for (mixer.l_max null: the description's %s)", (long long)length,
                     (long long)c->l_kernel, m->d.info.task == SUBQ_MODEL_CAUSAL_LM ? "max_length" : "H * W");
}

subq_status subq_model_forward_tokens(subq_stream *stream, subq_model *model, const int32_t *tokens, int64_t batch,
                                      int64_t length, subq_tensor *logits) {
    SUBQ_TRY(subq_model_check_lm(stream, model, tokens, batch, length));
    SUBQ_TRY(subq_arg_tensor("logits", logits, stream, SUBQ_F32, 3, 3));
    SUBQ_TRY(subq_arg_shape("logits", logits, 3, (int64_t[]){batch, length, model->d.info.vocab_size}));
    model_scratch *s = &model->scratch;
    SUBQ_TRY(subq_model_check_s4_length(model, length));
    SUBQ_TRY(subq_model_scratch(stream, model, s, 2, (int64_t[]){batch, length}));
    SUBQ_TRY(subq_model_embed_tokens(stream, model, tokens, batch * length, s->x));
    SUBQ_TRY(subq_model_run_blocks(stream, model, s, mix_forward, s));
    return subq_linear(stream, s->h, model->head_weight, model->head_bias, logits);
}

static subq_status check_image(subq_stream *stream, const subq_model *m, const subq_tensor *pixels,
                               const subq_tensor *logits) {
    SUBQ_TRY(subq_arg_stream(stream));
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model: must not be NULL");
    const subq_model_info *info = &m->d.info;
    if (info->task != SUBQ_MODEL_IMAGE)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model: not an image model (use subq_model_forward_tokens)");
    SUBQ_TRY(subq_arg_tensor("pixels", pixels, stream, SUBQ_F32, 4, 4));
    if (subq_tensor_dim(pixels, 3) != info->in_channels)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "pixels: [B, H, W, Cin] with Cin = %lld, got %lld",
                         (long long)info->in_channels, (long long)subq_tensor_dim(pixels, 3));
    int64_t b = subq_tensor_dim(pixels, 0), h = subq_tensor_dim(pixels, 1), w = subq_tensor_dim(pixels, 2);
    SUBQ_TRY(subq_arg_tensor("logits", logits, stream, SUBQ_F32, info->per_pixel ? 4 : 2, info->per_pixel ? 4 : 2));
    if (info->per_pixel) return subq_arg_shape("logits", logits, 4, (int64_t[]){b, h, w, info->classes});
    return subq_arg_shape("logits", logits, 2, (int64_t[]){b, info->classes});
}

subq_status subq_model_forward(subq_stream *stream, subq_model *model, const subq_tensor *pixels,
                               subq_tensor *logits) {
    SUBQ_TRY(check_image(stream, model, pixels, logits));
    int64_t b = subq_tensor_dim(pixels, 0), h = subq_tensor_dim(pixels, 1), w = subq_tensor_dim(pixels, 2);
    int64_t c = model->d.info.hidden_dim;
    model_scratch *s = &model->scratch;
    SUBQ_TRY(subq_model_check_s4_length(model, h * w));
    SUBQ_TRY(subq_model_scratch(stream, model, s, 3, (int64_t[]){b, h, w}));
    SUBQ_TRY(subq_linear(stream, pixels, model->embedding_weight, model->embedding_bias, s->x));
    SUBQ_TRY(subq_model_run_blocks(stream, model, s, mix_forward, s));
    if (model->d.info.per_pixel) return subq_linear(stream, s->h, model->head_weight, model->head_bias, logits);
    /* mean over pixels: h [B, HW, C] read as [B, C, HW], copied dense, times ones / HW */
    subq_tensor *transposed = NULL, *pooled = NULL;
    subq_status status = subq_tensor_view(s->h, 0, 3, (int64_t[]){b, c, h * w}, (int64_t[]){h * w * c, 1, c},
                                          &transposed);
    if (status == SUBQ_OK) status = subq_tensor_copy(stream, transposed, s->pooled_in);
    if (status == SUBQ_OK) status = subq_tensor_view(s->m, 0, 3, (int64_t[]){b, c, 1}, NULL, &pooled);
    if (status == SUBQ_OK) status = subq_linear(stream, s->pooled_in, s->ones, NULL, pooled);
    subq_tensor_destroy(transposed);
    subq_tensor *flat = NULL;
    if (status == SUBQ_OK) status = subq_tensor_view(pooled, 0, 2, (int64_t[]){b, c}, NULL, &flat);
    if (status == SUBQ_OK) status = subq_linear(stream, flat, model->head_weight, model->head_bias, logits);
    subq_tensor_destroy(flat);
    subq_tensor_destroy(pooled);
    return status;
}
