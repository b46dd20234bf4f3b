#include "model/add.h"

#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256

subq_status subq_model_add(subq_stream *stream, const subq_tensor *a, const subq_tensor *b, subq_tensor *y) {
    SUBQ_TRY(subq_arg_stream(stream));
    SUBQ_TRY(subq_arg_tensor("a", a, stream, SUBQ_F32, 1, SUBQ_MAX_RANK));
    SUBQ_TRY(subq_arg_dense("a", a));
    SUBQ_TRY(subq_arg_tensor("b", b, stream, SUBQ_F32, a->rank, a->rank));
    SUBQ_TRY(subq_arg_shape("b", b, a->rank, a->shape));
    SUBQ_TRY(subq_arg_dense("b", b));
    SUBQ_TRY(subq_arg_tensor("y", y, stream, SUBQ_F32, a->rank, a->rank));
    SUBQ_TRY(subq_arg_shape("y", y, a->rank, a->shape));
    SUBQ_TRY(subq_arg_dense("y", y));
    SUBQ_TRY(subq_arg_output("y", y));
    SUBQ_TRY(subq_arg_disjoint_or_same("y", y, "a", a));
    SUBQ_TRY(subq_arg_disjoint("y", y, "b", b));
    struct {
        uint32_t a_first, b_first, y_first, n;
    } push = {subq_tensor_binding(a).first_element, subq_tensor_binding(b).first_element,
              subq_tensor_binding(y).first_element, (uint32_t)subq_tensor_numel(y)};
    subq_kernel kernel = {.shader = &subq_shader_model_add, .bindings = 3, .push_bytes = sizeof push,
                          .spec_count = 1, .spec = {WORKGROUP}};
    subq_arg args[3] = {{a, false}, {b, false}, {y, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), push.n, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}
