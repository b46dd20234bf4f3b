/* Dao's causal_conv1d_fn, with seq_idx and states together and any width.
 * Shader: shaders/causal_conv1d.comp. */
#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256
#define TILE 8       /* outputs per invocation, channels innermost */
#define PER_THREAD 4 /* outputs per invocation, time innermost, WORKGROUP apart (as in depthwise_conv1d) */

typedef struct conv_push {
    uint32_t x_first, w_first, bias_first, seq_first, init_first, y_first, final_first;
    uint32_t batch, dim, len, flags;
    uint32_t x_stride[3], y_stride[3], w_stride[2], seq_stride[2], init_stride[3], final_stride[3];
    uint32_t bias_stride;
} conv_push;
_Static_assert(sizeof(conv_push) <= 128, "push constants: Vulkan guarantees only 128 bytes");

enum { HAS_BIAS = 1, HAS_INIT = 2, HAS_FINAL = 4, SILU = 8, CHANNELS_INNER = 16 };

typedef struct conv_args {
    const subq_tensor *x, *weight, *bias, *seq_idx, *initial_states;
    subq_tensor *out, *final_states;
} conv_args;

/* A (B, D, W-1) state; none exists for W = 1 (subq tensors have no empty axes). */
static subq_status check_state(const subq_stream *s, const char *name, const subq_tensor *state,
                               const int64_t *shape)
{
    if (!state) return SUBQ_OK;
    if (shape[2] == 0)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: weight width 1 keeps no state (W-1 = 0 columns); "
                                                      "pass NULL", name);
    SUBQ_TRY(subq_arg_float_tensor(name, state, s, 3, 3));
    return subq_arg_shape(name, state, 3, shape);
}

static subq_status check_outputs(const subq_stream *s, const conv_args *a, const int64_t *state_shape)
{
    SUBQ_TRY(subq_arg_float_tensor("out", a->out, s, 3, 3));
    SUBQ_TRY(subq_arg_shape("out", a->out, 3, a->x->shape));
    SUBQ_TRY(subq_arg_output("out", a->out));
    SUBQ_TRY(check_state(s, "final_states", a->final_states, state_shape));
    if (a->final_states) {
        SUBQ_TRY(subq_arg_output("final_states", a->final_states));
        SUBQ_TRY(subq_arg_disjoint("final_states", a->final_states, "out", a->out));
    }
    const char *names[] = {"x", "weight", "bias", "seq_idx", "initial_states"};
    const subq_tensor *inputs[] = {a->x, a->weight, a->bias, a->seq_idx, a->initial_states};
    for (int i = 0; i < 5; i++) {
        SUBQ_TRY(subq_arg_disjoint("out", a->out, names[i], inputs[i]));
        if (a->final_states) SUBQ_TRY(subq_arg_disjoint("final_states", a->final_states, names[i], inputs[i]));
    }
    return SUBQ_OK;
}

static subq_status check_args(const subq_stream *s, const conv_args *a, const subq_causal_conv1d_options *o)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_float_tensor("x", a->x, s, 3, 3));
    int64_t batch = a->x->shape[0], dim = a->x->shape[1], len = a->x->shape[2];
    SUBQ_TRY(subq_arg_channel_taps(s, a->weight, a->bias, dim));
    int64_t width = a->weight->shape[1];
    if (a->seq_idx) {
        SUBQ_TRY(subq_arg_tensor("seq_idx", a->seq_idx, s, SUBQ_I32, 2, 2));
        SUBQ_TRY(subq_arg_shape("seq_idx", a->seq_idx, 2, (int64_t[]){batch, len}));
    }
    int64_t state_shape[3] = {batch, dim, width - 1};
    SUBQ_TRY(check_state(s, "initial_states", a->initial_states, state_shape));
    SUBQ_TRY(subq_arg_activation("options.activation", o->activation));
    return check_outputs(s, a, state_shape);
}

static conv_push make_push(const conv_args *a, const subq_causal_conv1d_options *o)
{
    conv_push p = {
        .x_first = subq_push_first(a->x), .w_first = subq_push_first(a->weight),
        .bias_first = subq_push_first(a->bias), .seq_first = subq_push_first(a->seq_idx),
        .init_first = subq_push_first(a->initial_states), .y_first = subq_push_first(a->out),
        .final_first = subq_push_first(a->final_states),
        .batch = (uint32_t)a->x->shape[0], .dim = (uint32_t)a->x->shape[1], .len = (uint32_t)a->x->shape[2],
        .flags = (a->bias ? HAS_BIAS : 0) | (a->initial_states ? HAS_INIT : 0) | (a->final_states ? HAS_FINAL : 0) |
                 (o->activation == SUBQ_ACTIVATION_SILU ? SILU : 0),
    };
    /* Coalesce along whichever of channels and time is contiguous in x. */
    if (a->x->strides[1] == 1 && a->x->shape[1] > 1) p.flags |= CHANNELS_INNER;
    subq_push_strides(p.x_stride, a->x);
    subq_push_strides(p.y_stride, a->out);
    subq_push_strides(p.w_stride, a->weight);
    subq_push_strides(p.seq_stride, a->seq_idx);
    subq_push_strides(p.init_stride, a->initial_states);
    subq_push_strides(p.final_stride, a->final_states);
    subq_push_strides(&p.bias_stride, a->bias);
    return p;
}

/* Time innermost, a workgroup takes WORKGROUP * PER_THREAD / rows outputs of each of `rows` rows:
 * rows shorter than a full tile share one, halving each row's part while it still covers the row
 * and the width (so that the W-1 staged before each part never outgrow the part). */
static uint32_t rows_per_workgroup(const subq_tensor *x, int64_t width, uint32_t flags)
{
    int64_t cover = x->shape[2] > width ? x->shape[2] : width;
    uint32_t rows = 1;
    while (!(flags & CHANNELS_INNER) && rows < WORKGROUP * PER_THREAD &&
           WORKGROUP * PER_THREAD / (rows * 2) >= cover)
        rows *= 2;
    return rows;
}

/* Channels innermost: one invocation per TILE outputs of a row. Time innermost: a workgroup per
 * `rows` rows and WORKGROUP * PER_THREAD / rows outputs of each. */
static uint64_t invocations(const subq_tensor *x, uint32_t flags, uint32_t rows)
{
    uint64_t all_rows = (uint64_t)(x->shape[0] * x->shape[1]), len = (uint64_t)x->shape[2];
    if (flags & CHANNELS_INNER) return all_rows * ((len + TILE - 1) / TILE);
    uint64_t row_tile = (uint64_t)WORKGROUP * PER_THREAD / rows;
    return (all_rows + rows - 1) / rows * ((len + row_tile - 1) / row_tile) * WORKGROUP;
}

subq_status subq_causal_conv1d(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                               const subq_tensor *bias, const subq_tensor *seq_idx,
                               const subq_tensor *initial_states, const subq_causal_conv1d_options *options,
                               subq_tensor *out, subq_tensor *final_states)
{
    subq_causal_conv1d_options defaults = {0};
    const subq_causal_conv1d_options *o = options ? options : &defaults;
    conv_args a = {x, weight, bias, seq_idx, initial_states, out, final_states};
    SUBQ_TRY(check_args(stream, &a, o));
    conv_push push = make_push(&a, o);
    uint32_t rows = rows_per_workgroup(x, weight->shape[1], push.flags);
    const subq_tensor *floats[7] = {x, weight, bias, NULL, initial_states, out, final_states};
    subq_kernel kernel = {
        .shader = subq_shader_for_dtypes(&subq_shader_causal_conv1d, &subq_shader_causal_conv1d_16, 7, floats),
        .bindings = 7, .push_bytes = sizeof push, .spec_count = 7,
        .spec = {WORKGROUP, (uint32_t)weight->shape[1], TILE, PER_THREAD, seq_idx != NULL, rows,
                 subq_tensor_dtype_codes(7, floats)}};
    /* Absent optional tensors bind x or out in their place; the flags keep them untouched. */
    subq_arg args[7] = {{x, false}, {weight, false}, {bias ? bias : x, false}, {seq_idx ? seq_idx : x, false},
                        {initial_states ? initial_states : x, false}, {out, true},
                        {final_states ? final_states : out, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), invocations(x, push.flags, rows), WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}
