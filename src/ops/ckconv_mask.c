/* CKConv's Gaussian and exponential masks (SPEC.md section 4, "Masks"), in place on a kernel.
 * Shader: shaders/ckconv_mask.comp. */
#include <math.h>

#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256

typedef struct mask_push {
    uint32_t grid_first, params_first, kernel_first;
    uint32_t dims, points, channels, elements;
    float min_std, max_std;
} mask_push;

static subq_status check_options(const subq_ckconv_mask_options *o)
{
    if (!o) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options: expected mask options, got NULL");
    if (o->kind != SUBQ_CKCONV_MASK_GAUSSIAN && o->kind != SUBQ_CKCONV_MASK_EXPONENTIAL)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.kind: %d is not a subq_ckconv_mask_kind", (int)o->kind);
    if (o->kind == SUBQ_CKCONV_MASK_GAUSSIAN &&
        !(o->min_std > 0.0f && o->min_std <= o->max_std && isfinite(o->max_std)))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.min_std, options.max_std: expected finite "
                                                      "0 < min_std <= max_std, got %g and %g",
                         (double)o->min_std, (double)o->max_std);
    return SUBQ_OK;
}

static subq_status check_args(const subq_stream *s, const subq_tensor *grid, const subq_tensor *params,
                              const subq_ckconv_mask_options *o, const subq_tensor *kernel)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(check_options(o));
    SUBQ_TRY(subq_arg_tensor("grid", grid, s, SUBQ_F32, 2, 2));
    SUBQ_TRY(subq_arg_dense("grid", grid));
    SUBQ_TRY(subq_arg_tensor("kernel", kernel, s, SUBQ_F32, 3, 3));
    int64_t d = grid->shape[1], c = kernel->shape[2];
    SUBQ_TRY(subq_arg_shape("kernel", kernel, 3, (int64_t[]){kernel->shape[0], grid->shape[0], c}));
    SUBQ_TRY(subq_arg_dense("kernel", kernel));
    SUBQ_TRY(subq_arg_output("kernel", kernel));
    SUBQ_TRY(subq_arg_tensor("params", params, s, SUBQ_F32, 2, 2));
    SUBQ_TRY(subq_arg_shape("params", params, 2, (int64_t[]){d, c}));
    SUBQ_TRY(subq_arg_dense("params", params));
    SUBQ_TRY(subq_arg_disjoint("kernel", kernel, "grid", grid));
    return subq_arg_disjoint("kernel", kernel, "params", params);
}

subq_status subq_ckconv_mask(subq_stream *stream, const subq_tensor *grid, const subq_tensor *params,
                             const subq_ckconv_mask_options *options, subq_tensor *kernel)
{
    SUBQ_TRY(check_args(stream, grid, params, options, kernel));
    mask_push p = {.grid_first = subq_push_first(grid), .params_first = subq_push_first(params),
                   .kernel_first = subq_push_first(kernel), .dims = (uint32_t)grid->shape[1],
                   .points = (uint32_t)grid->shape[0], .channels = (uint32_t)kernel->shape[2],
                   .elements = (uint32_t)subq_tensor_numel(kernel), .min_std = options->min_std,
                   .max_std = options->max_std};
    bool gaussian = options->kind == SUBQ_CKCONV_MASK_GAUSSIAN;
    subq_kernel k = {.shader = &subq_shader_ckconv_mask, .bindings = 3, .push_bytes = sizeof p, .spec_count = 2,
                     .spec = {WORKGROUP, gaussian}};
    subq_arg args[3] = {{grid, false}, {params, false}, {kernel, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), p.elements, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &k, args, &p, groups);
}
