/* RMS, layer and L2 norms over the channel axis, alone or fused with a gate before or after.
 * Shaders: norm_subgroup.comp where the device has subgroup arithmetic in compute shaders, else
 * norm.comp (both from shaders/norm.glsl). */
#include <math.h>

#include "ops/axes.h"
#include "ops/norm.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define COLUMNS_WORKGROUP 256
#define COLUMN_ROWS 32 /* rows (positions) of a channels-first workgroup; norm.glsl's COLUMN_ROWS */
#define COLUMNS_MAX_CHANNELS 16384 /* longer rows go to a workgroup each: lavapipe ends a shader's
                                      loops after 65535 iterations in all */
#define ROWS_MAX_WORKGROUP 256
#define ROWS_MIN_PER_INVOCATION 4 /* values per invocation before a row gets more invocations */
#define ROWS_MAX_VALS 32          /* registers per invocation for a row kept on chip */

enum { HAS_GAMMA = 1, HAS_BETA = 2, GATE_BEFORE = 4, GATE_AFTER = 8 };

typedef struct norm_push {
    uint32_t a_first, b_first, gamma_first, beta_first, y_first;
    uint32_t channels;
    uint32_t rows;
    uint32_t size[4];
    uint32_t stride[3][5]; /* a, b, y: the row axes, then the channel axis */
    float eps;
    uint32_t kind;
    uint32_t activation;
    uint32_t flags;
} norm_push;

static subq_status check_options(const subq_norm_options *o, int rank)
{
    if (o->kind != SUBQ_NORM_RMS && o->kind != SUBQ_NORM_LAYER && o->kind != SUBQ_NORM_L2)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.kind: %d is not a subq_norm_kind", (int)o->kind);
    if (o->layout != SUBQ_CHANNELS_LAST && o->layout != SUBQ_CHANNELS_FIRST)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.layout: %d is not a subq_layout", (int)o->layout);
    if (o->layout == SUBQ_CHANNELS_FIRST && rank < 2)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.layout: channels-first needs rank >= 2 "
                                                      "([B, C, *S]); the input has rank %d", rank);
    if (!(o->eps >= 0.0f) || !isfinite(o->eps))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.eps: expected a finite value >= 0 (0: the "
                                                      "kind's default), got %g", (double)o->eps);
    if (o->gate_position != SUBQ_GATE_BEFORE && o->gate_position != SUBQ_GATE_AFTER)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.gate_position: %d is not a subq_gate_position",
                         (int)o->gate_position);
    return SUBQ_OK;
}

static subq_status check_affine(const subq_stream *s, const char *name, const subq_tensor *t, int64_t channels,
                                const subq_tensor *y)
{
    if (!t) return SUBQ_OK;
    SUBQ_TRY(subq_arg_float_tensor(name, t, s, 1, 1));
    SUBQ_TRY(subq_arg_shape(name, t, 1, &channels));
    SUBQ_TRY(subq_arg_dense(name, t));
    return subq_arg_disjoint("y", y, name, t);
}

static subq_status check_like(const subq_stream *s, const char *name, const subq_tensor *t, const subq_tensor *like)
{
    SUBQ_TRY(subq_arg_float_tensor(name, t, s, like->rank, like->rank));
    return subq_arg_shape(name, t, like->rank, like->shape);
}

/* gated: b is the gate (a and b are called a and b); else x alone is normalised. */
static subq_status check_args(const subq_stream *s, bool gated, const subq_tensor *a, const subq_tensor *b,
                              subq_activation activation, const subq_tensor *gamma, const subq_tensor *beta,
                              const subq_norm_options *o, const subq_tensor *y)
{
    const char *a_name = gated ? "a" : "x";
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_float_tensor(a_name, a, s, 1, SUBQ_MAX_RANK));
    if (gated) {
        SUBQ_TRY(check_like(s, "b", b, a));
        SUBQ_TRY(subq_arg_activation("activation", activation));
    }
    SUBQ_TRY(check_options(o, a->rank));
    int64_t channels = a->shape[o->layout == SUBQ_CHANNELS_FIRST ? 1 : a->rank - 1];
    SUBQ_TRY(check_like(s, "y", y, a));
    SUBQ_TRY(subq_arg_output("y", y));
    SUBQ_TRY(check_affine(s, "gamma", gamma, channels, y));
    SUBQ_TRY(check_affine(s, "beta", beta, channels, y));
    SUBQ_TRY(subq_arg_disjoint_or_same("y", y, a_name, a));
    return subq_arg_disjoint_or_same("y", y, "b", b);
}

float subq_norm_eps(const subq_norm_options *o)
{
    if (o->eps > 0) return o->eps;
    switch (o->kind) {
    case SUBQ_NORM_LAYER: return 1e-5f;
    case SUBQ_NORM_L2: return 1e-12f;
    case SUBQ_NORM_RMS: break;
    }
    return 1e-6f;
}

static norm_push make_push(const subq_tensor *a, const subq_tensor *b, subq_activation activation,
                           const subq_tensor *gamma, const subq_tensor *beta, const subq_norm_options *o,
                           const subq_tensor *y, int axis, const subq_axes *rows)
{
    norm_push p = {
        .a_first = subq_tensor_binding(a).first_element,
        .b_first = subq_tensor_binding(b ? b : a).first_element,
        .gamma_first = gamma ? subq_tensor_binding(gamma).first_element : 0,
        .beta_first = beta ? subq_tensor_binding(beta).first_element : 0,
        .y_first = subq_tensor_binding(y).first_element,
        .channels = (uint32_t)a->shape[axis],
        .rows = 1,
        .eps = subq_norm_eps(o),
        .kind = (uint32_t)o->kind,
        .activation = (uint32_t)activation,
        .flags = (gamma ? HAS_GAMMA : 0) | (beta ? HAS_BETA : 0) |
                 (b ? (o->gate_position == SUBQ_GATE_AFTER ? GATE_AFTER : GATE_BEFORE) : 0),
    };
    const subq_tensor *tensors[3] = {a, b ? b : a, y};
    for (int i = 0; i < 4; i++) {
        p.size[i] = (uint32_t)rows->shape[i];
        p.rows *= p.size[i];
        for (int t = 0; t < 3; t++) p.stride[t][i] = (uint32_t)rows->strides[t][i];
    }
    for (int t = 0; t < 3; t++) p.stride[t][4] = (uint32_t)tensors[t]->strides[axis];
    return p;
}

/* A row in the registers of one workgroup: enough invocations for ROWS_MIN_PER_INVOCATION values
 * each (a power of two, for the shared-memory reduction), VALS rounded up to a power of two to
 * bound the number of pipelines; 0 streams rows too long for registers. */
static void rows_config(const subq_context *ctx, uint32_t channels, uint32_t *workgroup, uint32_t *vals)
{
    uint32_t max = ROWS_MAX_WORKGROUP;
    while (max > ctx->info.max_workgroup_invocations) max /= 2;
    uint32_t wg = 32 < max ? 32 : max;
    while (wg < max && wg * ROWS_MIN_PER_INVOCATION < channels) wg *= 2;
    uint32_t per = (channels + wg - 1) / wg, v = 1;
    while (v < per) v *= 2;
    *workgroup = wg;
    *vals = v <= ROWS_MAX_VALS ? v : 0;
}

/* Rows walk channels across a workgroup when the channel axis is a's densest (or the rows are very
 * long); else one invocation per row walks them, neighbours on neighbouring rows. */
static bool channels_densest(const subq_tensor *a, int axis)
{
    for (int i = 0; i < a->rank; i++)
        if (i != axis && a->shape[i] > 1 && a->strides[i] < a->strides[axis]) return false;
    return true;
}

static subq_status record(subq_stream *stream, const subq_tensor *a, const subq_tensor *b,
                          subq_activation activation, const subq_tensor *gamma, const subq_tensor *beta,
                          const subq_norm_options *o, subq_tensor *y)
{
    subq_context *ctx = subq_stream_context(stream);
    int axis = o->layout == SUBQ_CHANNELS_FIRST ? 1 : a->rank - 1;
    subq_axes rows;
    subq_axes_init(&rows, a->rank, a->shape, axis, (const subq_tensor *[]){a, b ? b : a, y});
    subq_axes_collapse(&rows);
    subq_axes_pad(&rows, 4);
    norm_push p = make_push(a, b, activation, gamma, beta, o, y, axis, &rows);
    bool columns = !channels_densest(a, axis) && p.channels <= COLUMNS_MAX_CHANNELS;
    uint32_t workgroup = COLUMNS_WORKGROUP, vals = 0;
    if (!columns) rows_config(ctx, p.channels, &workgroup, &vals);
    const subq_tensor *tensors[5] = {a, b, gamma, beta, y};
    const subq_shader *shader =
        ctx->info.has_subgroup_arithmetic
            ? subq_shader_for_dtypes(&subq_shader_norm_subgroup, &subq_shader_norm_subgroup_16, 5, tensors)
            : subq_shader_for_dtypes(&subq_shader_norm, &subq_shader_norm_16, 5, tensors);
    subq_kernel kernel = {.shader = shader, .bindings = 5, .push_bytes = sizeof p, .spec_count = 4,
                          .spec = {workgroup, vals, columns, subq_tensor_dtype_codes(5, tensors)}};
    subq_arg args[5] = {{a, false}, {b ? b : a, false}, {gamma ? gamma : a, false}, {beta ? beta : a, false},
                        {y, true}};
    uint32_t groups[3];
    uint64_t invocations = columns ? (p.rows + COLUMN_ROWS - 1) / COLUMN_ROWS * workgroup
                                   : (uint64_t)p.rows * workgroup;
    SUBQ_TRY(subq_groups_1d(ctx, invocations, workgroup, groups));
    return subq_stream_dispatch(stream, &kernel, args, &p, groups);
}

subq_status subq_norm(subq_stream *stream, const subq_tensor *x, const subq_tensor *gamma,
                      const subq_tensor *beta, const subq_norm_options *options, subq_tensor *y)
{
    subq_norm_options defaults = {0};
    const subq_norm_options *o = options ? options : &defaults;
    SUBQ_TRY(check_args(stream, false, x, NULL, SUBQ_ACTIVATION_NONE, gamma, beta, o, y));
    return record(stream, x, NULL, SUBQ_ACTIVATION_NONE, gamma, beta, o, y);
}

subq_status subq_gated_norm(subq_stream *stream, const subq_tensor *a, const subq_tensor *b,
                            subq_activation activation, const subq_tensor *gamma, const subq_tensor *beta,
                            const subq_norm_options *options, subq_tensor *y)
{
    subq_norm_options defaults = {0};
    const subq_norm_options *o = options ? options : &defaults;
    SUBQ_TRY(check_args(stream, true, a, b, activation, gamma, beta, o, y));
    return record(stream, a, b, activation, gamma, beta, o, y);
}
