/* The conv state each packed request leaves behind: Megatron's companion of
 * causal_conv1d_varlen_fn. Shader: shaders/causal_conv1d_varlen_carry.comp. */
#include <string.h>

#include "ops/cu_seqlens.h"
#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256

typedef struct carry_push {
    uint32_t x_first, cu_first, prev_first, next_first;
    uint32_t tokens, dim, requests, width, flags;
    uint32_t x_stride[2], prev_stride[3], next_stride[3];
} carry_push;
_Static_assert(sizeof(carry_push) <= 128, "push constants: Vulkan guarantees only 128 bytes");

enum { IN_PLACE = 1 };

/* The same elements in the same order: the update may then run in place. */
static bool same_view(const subq_tensor *a, const subq_tensor *b)
{
    return a->storage == b->storage && a->offset == b->offset && a->rank == b->rank &&
           memcmp(a->shape, b->shape, sizeof a->shape[0] * (size_t)a->rank) == 0 &&
           memcmp(a->strides, b->strides, sizeof a->strides[0] * (size_t)a->rank) == 0;
}

static subq_status check_args(const subq_stream *s, const subq_tensor *x, const subq_tensor *cu_seqlens,
                              const subq_tensor *prev, const subq_tensor *next)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_float_tensor("x", x, s, 2, 2));
    SUBQ_TRY(subq_arg_cu_seqlens(s, cu_seqlens));
    SUBQ_TRY(subq_arg_float_tensor("prev", prev, s, 3, 3));
    int64_t shape[3] = {cu_seqlens->shape[0] - 1, x->shape[1], prev->shape[2]};
    SUBQ_TRY(subq_arg_shape("prev", prev, 3, shape));
    SUBQ_TRY(subq_arg_float_tensor("next", next, s, 3, 3));
    SUBQ_TRY(subq_arg_shape("next", next, 3, shape));
    SUBQ_TRY(subq_arg_output("next", next));
    SUBQ_TRY(subq_arg_disjoint("next", next, "x", x));
    SUBQ_TRY(subq_arg_disjoint("next", next, "cu_seqlens", cu_seqlens));
    return same_view(next, prev) ? SUBQ_OK : subq_arg_disjoint("next", next, "prev", prev);
}

static carry_push make_push(const subq_tensor *x, const subq_tensor *cu_seqlens, const subq_tensor *prev,
                            const subq_tensor *next)
{
    carry_push p = {
        .x_first = subq_push_first(x), .cu_first = subq_push_first(cu_seqlens),
        .prev_first = subq_push_first(prev), .next_first = subq_push_first(next),
        .tokens = (uint32_t)x->shape[0], .dim = (uint32_t)x->shape[1],
        .requests = (uint32_t)next->shape[0], .width = (uint32_t)next->shape[2],
        .flags = same_view(next, prev) ? IN_PLACE : 0,
    };
    subq_push_strides(p.x_stride, x);
    subq_push_strides(p.prev_stride, prev);
    subq_push_strides(p.next_stride, next);
    return p;
}

subq_status subq_causal_conv1d_varlen_carry_states(subq_stream *stream, const subq_tensor *x,
                                                   const subq_tensor *cu_seqlens, const subq_tensor *prev,
                                                   const subq_causal_conv1d_varlen_options *options,
                                                   subq_tensor *next)
{
    SUBQ_TRY(check_args(stream, x, cu_seqlens, prev, next));
    SUBQ_TRY(subq_check_cu_seqlens_values(stream, cu_seqlens, x->shape[0],
                                          options ? options->host_cu_seqlens : NULL));
    carry_push push = make_push(x, cu_seqlens, prev, next);
    const subq_tensor *floats[4] = {x, NULL, prev, next};
    subq_kernel kernel = {.shader = subq_shader_for_dtypes(&subq_shader_causal_conv1d_varlen_carry,
                                                           &subq_shader_causal_conv1d_varlen_carry_16, 4, floats),
                          .bindings = 4, .push_bytes = sizeof push, .spec_count = 2,
                          .spec = {WORKGROUP, subq_tensor_dtype_codes(4, floats)}};
    /* In place, the shader reads the old state through next's binding and x stands in for prev. */
    subq_arg args[4] = {{x, false}, {cu_seqlens, false}, {push.flags & IN_PLACE ? x : prev, false},
                        {next, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), (uint64_t)next->shape[0] * (uint64_t)next->shape[1],
                            WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}
