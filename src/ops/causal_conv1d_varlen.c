/* Megatron's causal_conv1d_varlen_fn: packed requests, per-request initial states, fused SiLU.
 * Shader: shaders/causal_conv1d_varlen.comp. */
#include "ops/cu_seqlens.h"
#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256 /* channels per workgroup */
#define STEPS 8       /* tokens per workgroup, all of them per invocation; 16: 3% slower on the H100 */

typedef struct varlen_push {
    uint32_t x_first, w_first, bias_first, cu_first, idx_first, start_first, init_first, y_first;
    uint32_t tokens, dim, requests, flags;
    uint32_t x_stride[2], y_stride[2], w_stride[2], init_stride[3];
    uint32_t bias_stride, idx_stride, start_stride;
} varlen_push;
_Static_assert(sizeof(varlen_push) <= 128, "push constants: Vulkan guarantees only 128 bytes");

enum { HAS_BIAS = 1, HAS_INIT = 2, PRECOMPUTED = 4 };

typedef struct varlen_args {
    const subq_tensor *x, *weight, *bias, *cu_seqlens, *initial_states, *seq_idx, *seq_start;
    subq_tensor *out;
} varlen_args;

/* Both or neither; each covers at least the T tokens (padding may follow). */
static subq_status check_precomputed(const subq_stream *s, const varlen_args *a)
{
    if (!a->seq_idx != !a->seq_start)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: given without %s; pass both precomputed arrays or "
                                                      "neither", a->seq_idx ? "seq_idx" : "seq_start",
                         a->seq_idx ? "seq_start" : "seq_idx");
    const char *names[2] = {"seq_idx", "seq_start"};
    const subq_tensor *arrays[2] = {a->seq_idx, a->seq_start};
    for (int i = 0; i < 2 && a->seq_idx; i++) {
        SUBQ_TRY(subq_arg_tensor(names[i], arrays[i], s, SUBQ_I32, 1, 1));
        if (arrays[i]->shape[0] < a->x->shape[0])
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: %lld entries; expected at least T = %lld, one "
                                                          "per token of x", names[i],
                             (long long)arrays[i]->shape[0], (long long)a->x->shape[0]);
    }
    return SUBQ_OK;
}

static subq_status check_shapes(const subq_stream *s, const varlen_args *a)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_float_tensor("x", a->x, s, 2, 2));
    int64_t tokens = a->x->shape[0], dim = a->x->shape[1];
    SUBQ_TRY(subq_arg_channel_taps(s, a->weight, a->bias, dim));
    int64_t width = a->weight->shape[1];
    SUBQ_TRY(subq_arg_cu_seqlens(s, a->cu_seqlens));
    int64_t requests = a->cu_seqlens->shape[0] - 1;
    if (a->initial_states) {
        if (width == 1)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "initial_states: weight width 1 keeps no state "
                                                          "(W-1 = 0 columns); pass NULL");
        SUBQ_TRY(subq_arg_float_tensor("initial_states", a->initial_states, s, 3, 3));
        SUBQ_TRY(subq_arg_shape("initial_states", a->initial_states, 3, (int64_t[]){requests, dim, width - 1}));
    }
    SUBQ_TRY(check_precomputed(s, a));
    SUBQ_TRY(subq_arg_float_tensor("out", a->out, s, 2, 2));
    SUBQ_TRY(subq_arg_shape("out", a->out, 2, (int64_t[]){tokens, dim}));
    SUBQ_TRY(subq_arg_output("out", a->out));
    const char *names[] = {"x", "weight", "bias", "cu_seqlens", "initial_states", "seq_idx", "seq_start"};
    const subq_tensor *inputs[] = {a->x, a->weight, a->bias, a->cu_seqlens, a->initial_states, a->seq_idx,
                                   a->seq_start};
    for (int i = 0; i < 7; i++) SUBQ_TRY(subq_arg_disjoint("out", a->out, names[i], inputs[i]));
    return SUBQ_OK;
}

static varlen_push make_push(const varlen_args *a)
{
    varlen_push p = {
        .x_first = subq_push_first(a->x), .w_first = subq_push_first(a->weight),
        .bias_first = subq_push_first(a->bias), .cu_first = subq_push_first(a->cu_seqlens),
        .idx_first = subq_push_first(a->seq_idx), .start_first = subq_push_first(a->seq_start),
        .init_first = subq_push_first(a->initial_states), .y_first = subq_push_first(a->out),
        .tokens = (uint32_t)a->x->shape[0], .dim = (uint32_t)a->x->shape[1],
        .requests = (uint32_t)(a->cu_seqlens->shape[0] - 1),
        .flags = (a->bias ? HAS_BIAS : 0) | (a->initial_states ? HAS_INIT : 0) | (a->seq_idx ? PRECOMPUTED : 0),
    };
    subq_push_strides(p.x_stride, a->x);
    subq_push_strides(p.y_stride, a->out);
    subq_push_strides(p.w_stride, a->weight);
    subq_push_strides(p.init_stride, a->initial_states);
    subq_push_strides(&p.bias_stride, a->bias);
    subq_push_strides(&p.idx_stride, a->seq_idx);
    subq_push_strides(&p.start_stride, a->seq_start);
    return p;
}

subq_status subq_causal_conv1d_varlen(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                                      const subq_tensor *bias, const subq_tensor *cu_seqlens,
                                      const subq_tensor *initial_states, const subq_tensor *seq_idx,
                                      const subq_tensor *seq_start,
                                      const subq_causal_conv1d_varlen_options *options, subq_tensor *out)
{
    varlen_args a = {x, weight, bias, cu_seqlens, initial_states, seq_idx, seq_start, out};
    SUBQ_TRY(check_shapes(stream, &a));
    const int32_t *host = options ? options->host_cu_seqlens : NULL;
    if (host || !seq_idx) SUBQ_TRY(subq_check_cu_seqlens_values(stream, cu_seqlens, x->shape[0], host));

    varlen_push push = make_push(&a);
    const subq_tensor *floats[8] = {x, weight, bias, NULL, NULL, NULL, initial_states, out};
    subq_kernel kernel = {
        .shader = subq_shader_for_dtypes(&subq_shader_causal_conv1d_varlen, &subq_shader_causal_conv1d_varlen_16, 8,
                                         floats),
        .bindings = 8, .push_bytes = sizeof push, .spec_count = 4,
        .spec = {WORKGROUP, (uint32_t)weight->shape[1], STEPS, subq_tensor_dtype_codes(8, floats)}};
    /* Absent optional tensors bind x or cu_seqlens in their place; the flags keep them unread. */
    subq_arg args[8] = {{x, false}, {weight, false}, {bias ? bias : x, false}, {cu_seqlens, false},
                        {seq_idx ? seq_idx : cu_seqlens, false}, {seq_start ? seq_start : cu_seqlens, false},
                        {initial_states ? initial_states : x, false}, {out, true}};
    uint64_t tiles = ((uint64_t)x->shape[0] + STEPS - 1) / STEPS;
    uint64_t channel_groups = ((uint64_t)x->shape[1] + WORKGROUP - 1) / WORKGROUP;
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), tiles * channel_groups * WORKGROUP, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}
