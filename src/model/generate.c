/* Incremental generation: one Hyena or S4 state per block; prefill runs the prompt once, each step
 * runs one token through the blocks (Hyena: short-conv window and long-conv direct sum against the
 * cached kernel; S4: FFTConvS4's recurrence, O(d_state) per channel). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "runtime/args.h"
#include "runtime/error.h"

struct subq_model_state {
    subq_model *model;
    int64_t batch, max_length, length;
    subq_hyena_state **hyena; /* one per block (mixer "hyena") */
    subq_tensor **s4;         /* one FFTConvS4 state [B, C, N2, 2] per block (mixer "s4") */
    subq_tensor *s4_zero;     /* the state a prefill starts from */
    model_scratch step;       /* activations of one position [B, 1] */
};

void subq_model_state_destroy(subq_model_state *state) {
    if (!state) return;
    for (int64_t i = 0; i < state->model->d.info.layers; i++) {
        if (state->hyena) subq_hyena_state_destroy(state->hyena[i]);
        if (state->s4) subq_tensor_destroy(state->s4[i]);
    }
    free(state->hyena);
    free(state->s4);
    subq_tensor_destroy(state->s4_zero);
    subq_model_scratch_free(&state->step);
    free(state);
}

/* The recurrence has no truncation, so an S4 state may not outgrow the kernel the full forward uses:
 * l_max when given, else (DPLR) the length its C~ was set up for. */
static subq_status check_s4_reach(const subq_model *model, int64_t max_length) {
    const subq_fftconv_s4_config *c = &model->d.s4;
    int64_t reach = c->l_max ? c->l_max : c->kernel_type == SUBQ_S4_KERNEL_S4 ? c->l_kernel : 0;
    if (model->d.mixer != MODEL_MIXER_S4 || !reach || max_length <= reach) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "max_length: %lld tokens exceed the S4 mixer's kernel length %lld "
                     "(%s); the recurrence would no longer equal the model's forward", (long long)max_length,
                     (long long)reach, c->l_max ? "mixer.l_max" : "max_length, for the DPLR kernel");
}

static subq_status create_hyena_states(subq_model_state *s) {
    subq_model *model = s->model;
    s->hyena = calloc((size_t)model->d.info.layers, sizeof *s->hyena);
    if (!s->hyena) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "state: out of host memory");
    for (int64_t i = 0; i < model->d.info.layers; i++)
        SUBQ_TRY(subq_hyena_state_create(model->blocks[i].hyena, s->batch, s->max_length, &s->hyena[i]));
    return SUBQ_OK;
}

static subq_status create_s4_states(subq_model_state *s) {
    subq_model *model = s->model;
    int64_t shape[4];
    SUBQ_TRY(subq_fftconv_s4_state_shape(model->blocks[0].s4.layer, s->batch, shape));
    s->s4 = calloc((size_t)model->d.info.layers, sizeof *s->s4);
    if (!s->s4) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "state: out of host memory");
    for (int64_t i = 0; i < model->d.info.layers; i++)
        SUBQ_TRY(subq_tensor_create(model->ctx, SUBQ_F32, 4, shape, &s->s4[i]));
    SUBQ_TRY(subq_tensor_create(model->ctx, SUBQ_F32, 4, shape, &s->s4_zero));
    return subq_fftconv_s4_default_state(model->blocks[0].s4.layer, s->s4_zero);
}

subq_status subq_model_state_create(subq_model *model, int64_t batch, int64_t max_length, subq_model_state **state) {
    if (!state) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: must not be NULL");
    *state = NULL;
    if (!model || model->d.info.task != SUBQ_MODEL_CAUSAL_LM)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "model: generation needs a causal_lm model");
    if (batch < 1 || max_length < 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "batch, max_length: must be >= 1, got %lld and %lld",
                         (long long)batch, (long long)max_length);
    SUBQ_TRY(check_s4_reach(model, max_length));
    subq_model_state *s = calloc(1, sizeof *s);
    if (!s) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "state: out of host memory");
    *s = (subq_model_state){.model = model, .batch = batch, .max_length = max_length};
    subq_status status = model->d.mixer == MODEL_MIXER_S4 ? create_s4_states(s) : create_hyena_states(s);
    if (status == SUBQ_OK) status = subq_model_scratch(NULL, model, &s->step, 2, (int64_t[]){batch, 1});
    if (status != SUBQ_OK) {
        subq_model_state_destroy(s);
        return status;
    }
    *state = s;
    return SUBQ_OK;
}

int64_t subq_model_state_length(const subq_model_state *state) { return state ? state->length : 0; }

/* S4: the prompt from the zero state (subq_model_prefill set up the steps first). */
static subq_status mix_prefill(subq_stream *stream, model_block *block, int64_t index, void *user,
                               const subq_tensor *x, subq_tensor *out) {
    subq_model_state *state = user;
    if (!block->s4.layer) return subq_qkv_mixer_prefill(stream, block->mixer, state->hyena[index], x, NULL, out);
    return model_s4_forward(stream, &block->s4, x, state->s4_zero, state->s4[index], &state->model->scratch.s4, out);
}

static subq_status mix_step(subq_stream *stream, model_block *block, int64_t index, void *user, const subq_tensor *x,
                            subq_tensor *out) {
    subq_model_state *state = user;
    if (block->s4.layer) return model_s4_step(stream, &block->s4, x, state->s4[index], &state->step.s4, out);
    return subq_qkv_mixer_step(stream, block->mixer, state->hyena[index], x, out);
}

static subq_status check_state(subq_stream *stream, const subq_model *model, const subq_model_state *state,
                               const int32_t *tokens, int64_t length, const subq_tensor *logits) {
    SUBQ_TRY(subq_model_check_lm(stream, model, tokens, state ? state->batch : 1, length));
    if (!state || state->model != model)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: must be a state this model created");
    SUBQ_TRY(subq_arg_tensor("logits", logits, stream, SUBQ_F32, 2, 2));
    return subq_arg_shape("logits", logits, 2, (int64_t[]){state->batch, model->d.info.vocab_size});
}

/* The head on position `position` of the final normed stream h [B, T, C]. */
static subq_status head_at(subq_stream *stream, subq_model *m, const subq_tensor *h, int64_t position,
                           subq_tensor *logits) {
    subq_tensor *row;
    SUBQ_TRY(subq_model_position_view(h, position, &row));
    subq_status status = subq_linear(stream, row, m->head_weight, m->head_bias, logits);
    subq_tensor_destroy(row);
    return status;
}

subq_status subq_model_prefill(subq_stream *stream, subq_model *model, subq_model_state *state, const int32_t *tokens,
                               int64_t length, subq_tensor *logits) {
    SUBQ_TRY(check_state(stream, model, state, tokens, length, logits));
    if (length > state->max_length)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "length: %lld tokens exceed the state's max_length %lld",
                         (long long)length, (long long)state->max_length);
    /* S4: the recurrence's coefficients for the current weights, before anything else is recorded, so
     * that a kernel without a step (UNSUPPORTED) leaves the stream as it was */
    for (int64_t i = 0; state->s4 && i < model->d.info.layers; i++)
        SUBQ_TRY(subq_fftconv_s4_setup_step(stream, model->blocks[i].s4.layer));
    model_scratch *s = &model->scratch;
    SUBQ_TRY(subq_model_scratch(stream, model, s, 2, (int64_t[]){state->batch, length}));
    SUBQ_TRY(subq_model_embed_tokens(stream, model, tokens, state->batch * length, s->x));
    state->length = 0;
    SUBQ_TRY(subq_model_run_blocks(stream, model, s, mix_prefill, state));
    SUBQ_TRY(head_at(stream, model, s->h, length - 1, logits));
    state->length = length;
    return SUBQ_OK;
}

subq_status subq_model_step(subq_stream *stream, subq_model *model, subq_model_state *state, const int32_t *tokens,
                            subq_tensor *logits) {
    SUBQ_TRY(check_state(stream, model, state, tokens, 1, logits));
    if (state->length >= state->max_length)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: full (max_length %lld tokens)", (long long)state->max_length);
    if (state->s4 && state->length == 0)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: empty; an S4 model's recurrence starts with "
                                                      "subq_model_prefill");
    SUBQ_TRY(subq_model_embed_tokens(stream, model, tokens, state->batch, state->step.x));
    SUBQ_TRY(subq_model_run_blocks(stream, model, &state->step, mix_step, state));
    SUBQ_TRY(head_at(stream, model, state->step.h, 0, logits));
    state->length++;
    return SUBQ_OK;
}

static int descending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Greedy, or a draw from softmax(logits / temperature) over the top_k most likely tokens. */
static int32_t sample(const float *logits, int64_t v, const subq_generate_options *o, subq_random *random,
                      double *weights) {
    int64_t best = 0;
    for (int64_t i = 1; i < v; i++)
        if (logits[i] > logits[best]) best = i;
    if (o->temperature <= 0.0f) return (int32_t)best;
    double threshold = -INFINITY;
    if (o->top_k > 0 && o->top_k < v) { /* the k-th largest logit */
        for (int64_t i = 0; i < v; i++) weights[i] = logits[i];
        qsort(weights, (size_t)v, sizeof *weights, descending);
        threshold = weights[o->top_k - 1];
    }
    double total = 0.0;
    for (int64_t i = 0; i < v; i++) {
        weights[i] = logits[i] >= threshold ? exp((logits[i] - logits[best]) / o->temperature) : 0.0;
        total += weights[i];
    }
    double r = subq_random_uniform(random) * total;
    for (int64_t i = 0; i < v; i++) {
        r -= weights[i];
        if (r < 0.0 && weights[i] > 0.0) return (int32_t)i;
    }
    return (int32_t)best;
}

subq_status subq_model_generate(subq_stream *stream, subq_model *model, subq_model_state *state, const int32_t *prompt,
                                int64_t prompt_length, int64_t count, const subq_generate_options *options,
                                int32_t *out, int64_t *generated) {
    subq_generate_options o = options ? *options : (subq_generate_options){0};
    if (!out || !generated || count < 1) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "out, generated, count: "
                                                          "count >= 1 tokens into a non-NULL out");
    *generated = 0;
    if (state && state->batch != 1) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: generate takes batch 1");
    if (state && prompt_length + count - 1 > state->max_length)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "count: prompt %lld + %lld tokens exceed the state's max_length "
                         "%lld", (long long)prompt_length, (long long)count, (long long)state->max_length);
    if (!(o.temperature >= 0.0f) || o.top_k < 0)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options: temperature and top_k must be >= 0");
    int64_t v = model ? model->d.info.vocab_size : 1;
    subq_tensor *logits = NULL;
    float *host = malloc((size_t)v * sizeof *host);
    double *weights = malloc((size_t)v * sizeof *weights);
    subq_random random = subq_random_seeded(o.seed);
    subq_status status = host && weights ? SUBQ_OK : subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "generate: out of host memory");
    if (status == SUBQ_OK && model) status = subq_tensor_create(model->ctx, SUBQ_F32, 2, (int64_t[]){1, v}, &logits);
    if (status == SUBQ_OK) status = subq_model_prefill(stream, model, state, prompt, prompt_length, logits);
    for (int64_t i = 0; status == SUBQ_OK && i < count; i++) {
        if (i > 0) status = subq_model_step(stream, model, state, &out[i - 1], logits);
        if (status == SUBQ_OK) status = subq_stream_submit(stream);
        if (status == SUBQ_OK) status = subq_stream_wait(stream);
        if (status == SUBQ_OK) status = subq_tensor_download(logits, host, (size_t)v * sizeof *host);
        if (status != SUBQ_OK) break;
        out[i] = sample(host, v, &o, &random, weights);
        *generated = i + 1;
        if (o.on_token && o.on_token(o.user, i, out[i])) break;
    }
    subq_tensor_destroy(logits);
    free(host);
    free(weights);
    return status;
}
