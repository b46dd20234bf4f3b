/* Bad inputs to the causal conv1d family: each row breaks one argument of an otherwise valid
 * call and expects SUBQ_ERROR_INVALID_ARGUMENT with a message naming that argument. */
#include <stddef.h>
#include <stdlib.h>

#include "check.h"

/* Rows start from a valid call and override one field: later designated initialisers win. */
#pragma GCC diagnostic ignored "-Woverride-init"

enum { B = 2, D = 4, L = 6, W = 4, T = 10, R = 3 };

typedef struct fixture {
    subq_stream *stream;
    subq_tensor *x, *x_tokens, *x_i32, *weight, *weight_d5, *weight_w1, *weight_rank1, *bias, *bias_d5;
    subq_tensor *seq, *seq_long, *init, *init_wide, *out, *out_head, *final_states;
    subq_tensor *cu, *cu_short_end, *cu_decreasing, *cu_nonzero_start, *cu_f32, *cu_one;
    subq_tensor *states, *states_wide, *states_extra_request, *seq_idx, *seq_idx_short, *seq_start, *seq_start_short;
    subq_tensor *out_tokens, *out_tokens_short, *prev, *next, *prev_bad, *carry_storage, *carry_first, *carry_second;
    subq_tensor *x_step, *conv_state, *conv_state_narrow, *conv_state_d5, *conv_state_one_slot, *cache, *cache_long,
        *cache_f32, *indices, *indices_long, *out_step, *out_step_long;
} fixture;

static const int32_t CU[R + 1] = {0, 3, 3, T};

static subq_tensor *i32(checker *c, int rank, const int64_t *shape, const int32_t *values)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= shape[i];
    int32_t *zeros = calloc((size_t)n, sizeof *zeros);
    if (!zeros) exit(2);
    subq_tensor *t = check_upload_i32(c, "fixture", rank, shape, values ? values : zeros);
    free(zeros);
    return t;
}

#define SHAPE(...) (sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), ((int64_t[]){__VA_ARGS__})

static void make_fixture(checker *c, fixture *f)
{
    f->stream = c->stream;
    f->x = check_tensor_random(c, SHAPE(B, D, L));
    f->x_tokens = check_tensor_random(c, SHAPE(T, D));
    f->x_i32 = i32(c, SHAPE(B, D, L), NULL);
    f->weight = check_tensor_random(c, SHAPE(D, W));
    f->weight_d5 = check_tensor_random(c, SHAPE(D + 1, W));
    f->weight_w1 = check_tensor_random(c, SHAPE(D, 1));
    f->weight_rank1 = check_tensor_random(c, SHAPE(D * W));
    f->bias = check_tensor_random(c, SHAPE(D));
    f->bias_d5 = check_tensor_random(c, SHAPE(D + 1));
    f->seq = i32(c, SHAPE(B, L), NULL);
    f->seq_long = i32(c, SHAPE(B, L + 1), NULL);
    f->init = check_tensor_random(c, SHAPE(B, D, W - 1));
    f->init_wide = check_tensor_random(c, SHAPE(B, D, W));
    f->out = check_tensor_random(c, SHAPE(B, D, L));
    if (f->out)
        check_ok(c, "fixture", subq_tensor_view(f->out, 0, SHAPE(B, D, W - 1), (int64_t[]){D * L, L, 1}, &f->out_head));
    f->final_states = check_tensor_random(c, SHAPE(B, D, W - 1));
    f->cu = i32(c, SHAPE(R + 1), CU);
    f->cu_short_end = i32(c, SHAPE(R + 1), (int32_t[]){0, 3, 3, T - 1});
    f->cu_decreasing = i32(c, SHAPE(R + 1), (int32_t[]){0, 5, 3, T});
    f->cu_nonzero_start = i32(c, SHAPE(R + 1), (int32_t[]){1, 3, 3, T});
    f->cu_f32 = check_tensor_random(c, SHAPE(R + 1));
    f->cu_one = i32(c, SHAPE(1), NULL);
    f->states = check_tensor_random(c, SHAPE(R, D, W - 1));
    f->states_wide = check_tensor_random(c, SHAPE(R, D, W));
    f->states_extra_request = check_tensor_random(c, SHAPE(R + 1, D, W - 1));
    f->seq_idx = i32(c, SHAPE(T), NULL);
    f->seq_idx_short = i32(c, SHAPE(T - 1), NULL);
    f->seq_start = i32(c, SHAPE(T), NULL);
    f->seq_start_short = i32(c, SHAPE(T - 1), NULL);
    f->out_tokens = check_tensor_random(c, SHAPE(T, D));
    f->out_tokens_short = check_tensor_random(c, SHAPE(T - 1, D));
    f->prev = check_tensor_random(c, SHAPE(R, D, W));
    f->next = check_tensor_random(c, SHAPE(R, D, W));
    f->prev_bad = check_tensor_random(c, SHAPE(R, D + 1, W));
    /* Two (R, D, W) views one element apart: they overlap without being the same view. */
    f->carry_storage = check_tensor_random(c, SHAPE(R * D * W + 1));
    if (f->carry_storage) {
        check_ok(c, "fixture", subq_tensor_view(f->carry_storage, 0, SHAPE(R, D, W), NULL, &f->carry_first));
        check_ok(c, "fixture", subq_tensor_view(f->carry_storage, 1, SHAPE(R, D, W), NULL, &f->carry_second));
    }
    f->x_step = check_tensor_random(c, SHAPE(B, D));
    f->conv_state = check_tensor_random(c, SHAPE(B, D, W - 1));
    f->conv_state_narrow = check_tensor_random(c, SHAPE(B, D, W - 2));
    f->conv_state_d5 = check_tensor_random(c, SHAPE(B, D + 1, W - 1));
    f->conv_state_one_slot = check_tensor_random(c, SHAPE(1, D, W - 1));
    f->cache = i32(c, SHAPE(B), NULL);
    f->cache_long = i32(c, SHAPE(B + 1), NULL);
    f->cache_f32 = check_tensor_random(c, SHAPE(B));
    f->indices = i32(c, SHAPE(B), (int32_t[]){1, 0});
    f->indices_long = i32(c, SHAPE(B + 1), NULL);
    f->out_step = check_tensor_random(c, SHAPE(B, D));
    f->out_step_long = check_tensor_random(c, SHAPE(B, D, 2));
}

/* Every field after the stream is a tensor. */
static void release_fixture(fixture *f)
{
    subq_tensor **all = (subq_tensor **)&f->x;
    size_t count = (sizeof *f - offsetof(fixture, x)) / sizeof(subq_tensor *);
    for (size_t i = 0; i < count; i++) subq_tensor_destroy(all[i]);
}

typedef struct conv_call {
    const char *label, *mentions;
    subq_stream *stream;
    const subq_tensor *x, *weight, *bias, *seq_idx, *init;
    subq_tensor *out, *final_states;
    subq_causal_conv1d_options options;
} conv_call;

#define CONV(...)                                                                                        \
    ((conv_call){.stream = f->stream, .x = f->x, .weight = f->weight, .bias = f->bias, .seq_idx = f->seq, \
                 .init = f->init, .out = f->out, .final_states = f->final_states, __VA_ARGS__})

static void conv_rows(checker *c, const fixture *f)
{
    const conv_call rows[] = {
        CONV(.label = "valid", .options.activation = SUBQ_ACTIVATION_SILU),
        CONV(.label = "no stream", .mentions = "stream", .stream = NULL),
        CONV(.label = "no x", .mentions = "x", .x = NULL),
        CONV(.label = "x rank 2", .mentions = "x", .x = f->x_tokens),
        CONV(.label = "x i32", .mentions = "x", .x = f->x_i32),
        CONV(.label = "no weight", .mentions = "weight", .weight = NULL),
        CONV(.label = "weight rank 1", .mentions = "weight", .weight = f->weight_rank1),
        CONV(.label = "weight D", .mentions = "weight", .weight = f->weight_d5),
        CONV(.label = "bias D", .mentions = "bias", .bias = f->bias_d5),
        CONV(.label = "seq_idx shape", .mentions = "seq_idx", .seq_idx = f->seq_long),
        CONV(.label = "seq_idx f32", .mentions = "seq_idx", .seq_idx = f->out),
        CONV(.label = "initial_states shape", .mentions = "initial_states", .init = f->init_wide),
        CONV(.label = "initial_states at W = 1", .mentions = "initial_states", .weight = f->weight_w1,
             .final_states = NULL),
        CONV(.label = "final_states at W = 1", .mentions = "final_states", .weight = f->weight_w1, .init = NULL),
        CONV(.label = "activation", .mentions = "options.activation", .options.activation = (subq_activation)7),
        CONV(.label = "no out", .mentions = "out", .out = NULL),
        CONV(.label = "out shape", .mentions = "out", .out = f->final_states, .final_states = NULL),
        CONV(.label = "out is x", .mentions = "out", .out = f->x),
        CONV(.label = "final_states overlaps out", .mentions = "final_states", .final_states = f->out_head),
        CONV(.label = "final_states is initial_states", .mentions = "final_states", .final_states = f->init),
        CONV(.label = "final_states shape", .mentions = "final_states", .final_states = f->init_wide),
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const conv_call *r = &rows[i];
        subq_status status = subq_causal_conv1d(r->stream, r->x, r->weight, r->bias, r->seq_idx, r->init,
                                                &r->options, r->out, r->final_states);
        check_error(c, r->label, status, r->mentions ? SUBQ_ERROR_INVALID_ARGUMENT : SUBQ_OK, r->mentions);
    }
}

typedef struct varlen_call {
    const char *label, *mentions;
    const subq_tensor *x, *weight, *bias, *cu, *init, *seq_idx, *seq_start;
    subq_tensor *out;
    const int32_t *host;
} varlen_call;

#define VARLEN(...)                                                                                          \
    ((varlen_call){.x = f->x_tokens, .weight = f->weight, .bias = f->bias, .cu = f->cu, .init = f->states, \
                   .out = f->out_tokens, __VA_ARGS__})

static void varlen_rows(checker *c, const fixture *f)
{
    const varlen_call rows[] = {
        VARLEN(.label = "valid, downloaded cu_seqlens"),
        VARLEN(.label = "valid, host cu_seqlens", .host = CU),
        VARLEN(.label = "valid, precomputed (cu_seqlens not read)", .cu = f->cu_short_end, .seq_idx = f->seq_idx,
               .seq_start = f->seq_start),
        VARLEN(.label = "varlen x rank 3", .mentions = "x", .x = f->x),
        VARLEN(.label = "varlen weight D", .mentions = "weight", .weight = f->weight_d5),
        VARLEN(.label = "varlen bias D", .mentions = "bias", .bias = f->bias_d5),
        VARLEN(.label = "no cu_seqlens", .mentions = "cu_seqlens", .cu = NULL),
        VARLEN(.label = "cu_seqlens f32", .mentions = "cu_seqlens", .cu = f->cu_f32),
        VARLEN(.label = "cu_seqlens of one offset", .mentions = "cu_seqlens", .cu = f->cu_one),
        VARLEN(.label = "cu_seqlens[-1] != T", .mentions = "cu_seqlens", .cu = f->cu_short_end),
        VARLEN(.label = "host cu_seqlens[-1] != T", .mentions = "cu_seqlens", .host = (int32_t[]){0, 3, 3, T + 1}),
        VARLEN(.label = "cu_seqlens decreasing", .mentions = "cu_seqlens", .cu = f->cu_decreasing),
        VARLEN(.label = "cu_seqlens[0] != 0", .mentions = "cu_seqlens", .cu = f->cu_nonzero_start),
        VARLEN(.label = "varlen initial_states width", .mentions = "initial_states", .init = f->states_wide),
        VARLEN(.label = "varlen initial_states requests", .mentions = "initial_states",
               .init = f->states_extra_request),
        VARLEN(.label = "varlen initial_states at W = 1", .mentions = "initial_states", .weight = f->weight_w1),
        VARLEN(.label = "seq_idx without seq_start", .mentions = "seq_start", .seq_idx = f->seq_idx),
        VARLEN(.label = "seq_idx short", .mentions = "seq_idx", .seq_idx = f->seq_idx_short, .seq_start = f->seq_start),
        VARLEN(.label = "seq_start short", .mentions = "seq_start", .seq_idx = f->seq_idx,
               .seq_start = f->seq_start_short),
        VARLEN(.label = "seq_idx f32", .mentions = "seq_idx", .seq_idx = f->cu_f32, .seq_start = f->seq_start),
        VARLEN(.label = "varlen out shape", .mentions = "out", .out = f->out_tokens_short),
        VARLEN(.label = "varlen out is x", .mentions = "out", .out = f->x_tokens),
        VARLEN(.label = "varlen no out", .mentions = "out", .out = NULL),
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const varlen_call *r = &rows[i];
        subq_causal_conv1d_varlen_options options = {.host_cu_seqlens = r->host};
        subq_status status = subq_causal_conv1d_varlen(f->stream, r->x, r->weight, r->bias, r->cu, r->init,
                                                       r->seq_idx, r->seq_start, &options, r->out);
        check_error(c, r->label, status, r->mentions ? SUBQ_ERROR_INVALID_ARGUMENT : SUBQ_OK, r->mentions);
    }
}

typedef struct carry_call {
    const char *label, *mentions;
    const subq_tensor *x, *cu, *prev;
    subq_tensor *next;
} carry_call;

#define CARRY(...) ((carry_call){.x = f->x_tokens, .cu = f->cu, .prev = f->prev, .next = f->next, __VA_ARGS__})

static void carry_rows(checker *c, const fixture *f)
{
    const carry_call rows[] = {
        CARRY(.label = "carry valid"),
        CARRY(.label = "carry valid in place", .next = f->prev),
        CARRY(.label = "carry x rank 3", .mentions = "x", .x = f->x),
        CARRY(.label = "carry cu_seqlens[-1] != T", .mentions = "cu_seqlens", .cu = f->cu_short_end),
        CARRY(.label = "carry prev shape", .mentions = "prev", .prev = f->prev_bad),
        CARRY(.label = "carry next shape", .mentions = "next", .next = f->states),
        CARRY(.label = "carry next overlaps prev", .mentions = "next", .prev = f->carry_first,
              .next = f->carry_second),
        CARRY(.label = "carry no next", .mentions = "next", .next = NULL),
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const carry_call *r = &rows[i];
        subq_status status = subq_causal_conv1d_varlen_carry_states(f->stream, r->x, r->cu, r->prev, NULL, r->next);
        check_error(c, r->label, status, r->mentions ? SUBQ_ERROR_INVALID_ARGUMENT : SUBQ_OK, r->mentions);
    }
}

typedef struct update_call {
    const char *label, *mentions;
    const subq_tensor *x, *weight, *bias, *cache, *indices;
    subq_tensor *state, *out;
    subq_causal_conv1d_update_options options;
} update_call;

#define UPDATE(...)                                                                                          \
    ((update_call){.x = f->x_step, .state = f->conv_state, .weight = f->weight, .bias = f->bias,           \
                   .cache = f->cache, .indices = f->indices, .out = f->out_step, __VA_ARGS__})

static void update_rows(checker *c, const fixture *f)
{
    const update_call rows[] = {
        UPDATE(.label = "update valid"),
        UPDATE(.label = "update valid, linear, no indices", .cache = NULL, .indices = NULL),
        UPDATE(.label = "update x rank 1", .mentions = "x", .x = f->bias),
        UPDATE(.label = "update weight D", .mentions = "weight", .weight = f->weight_d5),
        UPDATE(.label = "update bias D", .mentions = "bias", .bias = f->bias_d5),
        UPDATE(.label = "no conv_state", .mentions = "conv_state", .state = NULL),
        UPDATE(.label = "conv_state S < W-1", .mentions = "conv_state", .state = f->conv_state_narrow),
        UPDATE(.label = "conv_state D", .mentions = "conv_state", .state = f->conv_state_d5),
        UPDATE(.label = "conv_state slots < B without indices", .mentions = "conv_state",
               .state = f->conv_state_one_slot, .indices = NULL),
        UPDATE(.label = "cache_seqlens length", .mentions = "cache_seqlens", .cache = f->cache_long),
        UPDATE(.label = "cache_seqlens f32", .mentions = "cache_seqlens", .cache = f->cache_f32),
        UPDATE(.label = "conv_state_indices length", .mentions = "conv_state_indices", .indices = f->indices_long),
        UPDATE(.label = "update activation", .mentions = "options.activation",
               .options.activation = (subq_activation)-1),
        UPDATE(.label = "update out shape", .mentions = "out", .out = f->out_step_long),
        UPDATE(.label = "update out is x", .mentions = "out", .out = f->x_step),
        UPDATE(.label = "update out is conv_state", .mentions = "out", .x = f->init, .out = f->conv_state),
        UPDATE(.label = "conv_state is x", .mentions = "conv_state", .x = f->conv_state, .out = f->final_states),
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const update_call *r = &rows[i];
        subq_status status = subq_causal_conv1d_update(f->stream, r->x, r->state, r->weight, r->bias, r->cache,
                                                       r->indices, &r->options, r->out);
        check_error(c, r->label, status, r->mentions ? SUBQ_ERROR_INVALID_ARGUMENT : SUBQ_OK, r->mentions);
    }
}

void check_causal_conv1d_errors(checker *c)
{
    fixture f = {0};
    make_fixture(c, &f);
    if (!c->failed) {
        conv_rows(c, &f);
        varlen_rows(c, &f);
        carry_rows(c, &f);
        update_rows(c, &f);
        check_ok(c, "valid calls run", subq_stream_wait(c->stream));
    }
    release_fixture(&f);
}
