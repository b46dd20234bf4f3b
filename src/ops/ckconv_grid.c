/* CKConv's coordinate grid (SPEC.md section 4, "Kernel generators"). Shader: shaders/ckconv_grid.comp. */
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256

typedef struct grid_push {
    uint32_t first;
    uint32_t dims;
    uint32_t points;
    uint32_t count[3];
    uint32_t centre[3];
    float step[3];
} grid_push;

/* g - 1 for one axis: the index of coordinate 0. */
static int64_t centre(const subq_ckconv_grid_options *o, int axis)
{
    int64_t n = o->size[axis];
    return (o->grid_type[axis] == SUBQ_CKCONV_GRID_SINGLE ? (n + 1) / 2 : n) - 1;
}

static subq_status check_axis(const subq_ckconv_grid_options *o, int axis)
{
    if (o->size[axis] < 1 || o->size[axis] > INT32_MAX)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.size[%d]: expected 1 .. 2^31 - 1, got %lld", axis,
                         (long long)o->size[axis]);
    if (o->cache_size[axis] < 2 || o->cache_size[axis] > INT32_MAX)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.cache_size[%d]: expected 2 .. 2^31 - 1 (the grid "
                                                      "step is 1 / (L_cache - 1)), got %lld", axis,
                         (long long)o->cache_size[axis]);
    if (o->grid_type[axis] != SUBQ_CKCONV_GRID_DOUBLE && o->grid_type[axis] != SUBQ_CKCONV_GRID_SINGLE)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.grid_type[%d]: %d is not a subq_ckconv_grid_type",
                         axis, (int)o->grid_type[axis]);
    return SUBQ_OK;
}

subq_status subq_ckconv_grid_points(const subq_ckconv_grid_options *o, int64_t *points)
{
    if (!o) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options: expected grid options, got NULL");
    if (!points) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "points: expected somewhere to write, got NULL");
    if (o->data_dim < 1 || o->data_dim > SUBQ_CKCONV_MAX_AXES)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.data_dim: expected 1, 2 or 3, got %d",
                         (int)o->data_dim);
    int64_t p = 1;
    for (int axis = 0; axis < o->data_dim; axis++) {
        SUBQ_TRY(check_axis(o, axis));
        p *= 2 * centre(o, axis) + 1;
        if (p > UINT32_MAX)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.size: the grid would have more than 2^32 - 1 "
                                                          "points");
    }
    *points = p;
    return SUBQ_OK;
}

subq_status subq_ckconv_grid(subq_stream *stream, const subq_ckconv_grid_options *o, subq_tensor *grid)
{
    SUBQ_TRY(subq_arg_stream(stream));
    int64_t points = 0;
    SUBQ_TRY(subq_ckconv_grid_points(o, &points));
    SUBQ_TRY(subq_arg_tensor("grid", grid, stream, SUBQ_F32, 2, 2));
    SUBQ_TRY(subq_arg_shape("grid", grid, 2, (int64_t[]){points, o->data_dim}));
    SUBQ_TRY(subq_arg_dense("grid", grid));
    SUBQ_TRY(subq_arg_output("grid", grid));
    grid_push p = {.first = subq_tensor_binding(grid).first_element, .dims = (uint32_t)o->data_dim,
                   .points = (uint32_t)points};
    for (int axis = 0; axis < o->data_dim; axis++) {
        p.centre[axis] = (uint32_t)centre(o, axis);
        p.count[axis] = 2 * p.centre[axis] + 1;
        p.step[axis] = (float)(1.0 / (double)(o->cache_size[axis] - 1));
    }
    subq_kernel kernel = {.shader = &subq_shader_ckconv_grid, .bindings = 1, .push_bytes = sizeof p,
                          .spec_count = 1, .spec = {WORKGROUP}};
    subq_arg args[1] = {{grid, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), (uint64_t)points * (uint64_t)o->data_dim, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &p, groups);
}
