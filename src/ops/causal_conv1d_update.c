/* Dao's causal_conv1d_update: decoding steps against a linear or circular conv state, updated in
 * place. Shader: shaders/causal_conv1d_update.comp. */
#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256

typedef struct update_push {
    uint32_t x_first, w_first, bias_first, state_first, cache_first, index_first, y_first;
    uint32_t batch, dim, len, state_len, slots, flags;
    uint32_t x_stride[3], y_stride[3], w_stride[2], state_stride[3];
    uint32_t bias_stride, cache_stride, index_stride;
} update_push;
_Static_assert(sizeof(update_push) <= 128, "push constants: Vulkan guarantees only 128 bytes");

enum { HAS_BIAS = 1, CIRCULAR = 2, HAS_INDEX = 4, SILU = 8 };

typedef struct update_args {
    const subq_tensor *x;
    subq_tensor *conv_state;
    const subq_tensor *weight, *bias, *cache_seqlens, *conv_state_indices;
    subq_tensor *out;
} update_args;

/* (B) i32, one entry per batch row. */
static subq_status check_per_row(const subq_stream *s, const char *name, const subq_tensor *t, int64_t batch)
{
    if (!t) return SUBQ_OK;
    SUBQ_TRY(subq_arg_tensor(name, t, s, SUBQ_I32, 1, 1));
    return subq_arg_shape(name, t, 1, &batch);
}

static subq_status check_state(const subq_stream *s, const update_args *a, int64_t width)
{
    SUBQ_TRY(subq_arg_float_tensor("conv_state", a->conv_state, s, 3, 3));
    const int64_t *shape = a->conv_state->shape;
    if (shape[1] != a->x->shape[1] || shape[2] < width - 1) {
        char got[64];
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "conv_state: expected shape [slots, %lld, S >= %lld] "
                                                      "(D of x, W-1 of weight), got %s",
                         (long long)a->x->shape[1], (long long)width - 1, subq_format_shape(got, sizeof got, 3, shape));
    }
    if (a->conv_state_indices && shape[0] > INT32_MAX)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "conv_state: %lld slots; i32 indices reach 2^31 - 1",
                         (long long)shape[0]);
    if (!a->conv_state_indices && shape[0] < a->x->shape[0])
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "conv_state: %lld slots for %lld batch rows; without "
                                                      "conv_state_indices row b uses slot b", (long long)shape[0],
                         (long long)a->x->shape[0]);
    return subq_arg_output("conv_state", a->conv_state);
}

static subq_status check_args(const subq_stream *s, const update_args *a, const subq_causal_conv1d_update_options *o)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_float_tensor("x", a->x, s, 2, 3));
    int64_t batch = a->x->shape[0], dim = a->x->shape[1];
    SUBQ_TRY(subq_arg_channel_taps(s, a->weight, a->bias, dim));
    int64_t width = a->weight->shape[1];
    SUBQ_TRY(check_state(s, a, width));
    SUBQ_TRY(check_per_row(s, "cache_seqlens", a->cache_seqlens, batch));
    SUBQ_TRY(check_per_row(s, "conv_state_indices", a->conv_state_indices, batch));
    SUBQ_TRY(subq_arg_activation("options.activation", o->activation));
    SUBQ_TRY(subq_arg_float_tensor("out", a->out, s, a->x->rank, a->x->rank));
    SUBQ_TRY(subq_arg_shape("out", a->out, a->x->rank, a->x->shape));
    SUBQ_TRY(subq_arg_output("out", a->out));
    const char *names[] = {"x", "conv_state", "weight", "bias", "cache_seqlens", "conv_state_indices"};
    const subq_tensor *others[] = {a->x, a->conv_state, a->weight, a->bias, a->cache_seqlens,
                                   a->conv_state_indices};
    for (int i = 0; i < 6; i++) SUBQ_TRY(subq_arg_disjoint("out", a->out, names[i], others[i]));
    for (int i = 2; i < 6; i++) SUBQ_TRY(subq_arg_disjoint("conv_state", a->conv_state, names[i], others[i]));
    return subq_arg_disjoint("conv_state", a->conv_state, "x", a->x);
}

static update_push make_push(const update_args *a, const subq_causal_conv1d_update_options *o)
{
    update_push p = {
        .x_first = subq_push_first(a->x), .w_first = subq_push_first(a->weight),
        .bias_first = subq_push_first(a->bias), .state_first = subq_push_first(a->conv_state),
        .cache_first = subq_push_first(a->cache_seqlens), .index_first = subq_push_first(a->conv_state_indices),
        .y_first = subq_push_first(a->out),
        .batch = (uint32_t)a->x->shape[0], .dim = (uint32_t)a->x->shape[1],
        .len = a->x->rank == 3 ? (uint32_t)a->x->shape[2] : 1,
        .state_len = (uint32_t)a->conv_state->shape[2], .slots = (uint32_t)a->conv_state->shape[0],
        .flags = (a->bias ? HAS_BIAS : 0) | (a->cache_seqlens ? CIRCULAR : 0) |
                 (a->conv_state_indices ? HAS_INDEX : 0) | (o->activation == SUBQ_ACTIVATION_SILU ? SILU : 0),
    };
    subq_push_strides(p.x_stride, a->x); /* a (B, D) x leaves the time stride 0: one token */
    subq_push_strides(p.y_stride, a->out);
    subq_push_strides(p.w_stride, a->weight);
    subq_push_strides(p.state_stride, a->conv_state);
    subq_push_strides(&p.bias_stride, a->bias);
    subq_push_strides(&p.cache_stride, a->cache_seqlens);
    subq_push_strides(&p.index_stride, a->conv_state_indices);
    return p;
}

subq_status subq_causal_conv1d_update(subq_stream *stream, const subq_tensor *x, subq_tensor *conv_state,
                                      const subq_tensor *weight, const subq_tensor *bias,
                                      const subq_tensor *cache_seqlens, const subq_tensor *conv_state_indices,
                                      const subq_causal_conv1d_update_options *options, subq_tensor *out)
{
    subq_causal_conv1d_update_options defaults = {0};
    const subq_causal_conv1d_update_options *o = options ? options : &defaults;
    update_args a = {x, conv_state, weight, bias, cache_seqlens, conv_state_indices, out};
    SUBQ_TRY(check_args(stream, &a, o));
    update_push push = make_push(&a, o);
    const subq_tensor *floats[7] = {x, weight, bias, conv_state, NULL, NULL, out};
    subq_kernel kernel = {
        .shader = subq_shader_for_dtypes(&subq_shader_causal_conv1d_update, &subq_shader_causal_conv1d_update_16, 7,
                                         floats),
        .bindings = 7, .push_bytes = sizeof push, .spec_count = 3,
        .spec = {WORKGROUP, (uint32_t)weight->shape[1], subq_tensor_dtype_codes(7, floats)}};
    /* Absent optional tensors bind x in their place; the flags keep them unread. */
    subq_arg args[7] = {{x, false}, {weight, false}, {bias ? bias : x, false}, {conv_state, true},
                        {cache_seqlens ? cache_seqlens : x, false},
                        {conv_state_indices ? conv_state_indices : x, false}, {out, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), (uint64_t)(x->shape[0] * x->shape[1]), WORKGROUP,
                            groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}
