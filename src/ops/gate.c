/* Elementwise activation and gate: y = act(x) and y = a * act(b), any strides, in place allowed;
 * each tensor f32, f16 or bf16, computed in fp32.
 * Shader: shaders/gate.comp (activations from shaders/activation.glsl). */
#include "ops/axes.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256
#define TILE 32 /* gate.comp's TRANSPOSE tile, per side */

typedef struct gate_push {
    uint32_t a_first, b_first, y_first;
    uint32_t activation;
    uint32_t size[5];
    uint32_t stride[3][5]; /* a, b, y */
    uint32_t tile_axis;
} gate_push;

static subq_status check_like(const subq_stream *s, const char *name, const subq_tensor *t,
                              const subq_tensor *like)
{
    SUBQ_TRY(subq_arg_float_tensor(name, t, s, like->rank, like->rank));
    return subq_arg_shape(name, t, like->rank, like->shape);
}

static subq_status check_output(const subq_stream *s, const subq_tensor *y, const subq_tensor *like)
{
    SUBQ_TRY(check_like(s, "y", y, like));
    return subq_arg_output("y", y);
}

/* Four neighbours per invocation when the last axis is contiguous everywhere and 16-byte aligned. */
static bool fits_vec4(const subq_axes *axes, const gate_push *p)
{
    if (axes->shape[4] % 4 || p->a_first % 4 || p->b_first % 4 || p->y_first % 4) return false;
    for (int t = 0; t < 3; t++) {
        if (axes->strides[t][4] != 1) return false;
        for (int i = 0; i < 4; i++)
            if (axes->strides[t][i] % 4) return false;
    }
    return true;
}

/* a and b contiguous along the last axis, y along another (gate.comp's TRANSPOSE): that axis, or -1. */
static int transpose_axis(const subq_axes *axes)
{
    if (axes->shape[4] < 2 || axes->strides[0][4] != 1 || axes->strides[1][4] != 1 || axes->strides[2][4] == 1)
        return -1;
    for (int i = 0; i < 4; i++)
        if (axes->shape[i] > 1 && axes->strides[2][i] == 1) return i;
    return -1;
}

/* a == NULL: y = act(b). */
static subq_status record(subq_stream *stream, const subq_tensor *a, const subq_tensor *b,
                          subq_activation activation, subq_tensor *y)
{
    const subq_tensor *input = a ? a : b;
    subq_axes axes;
    subq_axes_init(&axes, y->rank, y->shape, -1, (const subq_tensor *[]){input, b, y});
    subq_axes_collapse(&axes);
    subq_axes_pad(&axes, 5);
    gate_push p = {.a_first = subq_tensor_binding(input).first_element,
                   .b_first = subq_tensor_binding(b).first_element,
                   .y_first = subq_tensor_binding(y).first_element,
                   .activation = (uint32_t)activation};
    for (int i = 0; i < 5; i++) {
        p.size[i] = (uint32_t)axes.shape[i];
        for (int t = 0; t < 3; t++) p.stride[t][i] = (uint32_t)axes.strides[t][i];
    }
    const subq_tensor *tensors[3] = {input, b, y};
    const subq_shader *shader = subq_shader_for_dtypes(&subq_shader_gate, &subq_shader_gate_16, 3, tensors);
    bool vec4 = shader == &subq_shader_gate && fits_vec4(&axes, &p);
    int tile_axis = transpose_axis(&axes);
    subq_kernel kernel = {.shader = shader, .bindings = 3, .push_bytes = sizeof p, .spec_count = 5,
                          .spec = {WORKGROUP, vec4, a != NULL, subq_tensor_dtype_codes(3, tensors), tile_axis >= 0}};
    subq_arg args[3] = {{input, false}, {b, false}, {y, true}};
    uint64_t n = (uint64_t)subq_tensor_numel(y), invocations = vec4 ? n / 4 : n;
    if (tile_axis >= 0) { /* a workgroup per 32 x 32 tile of (tile axis, last axis) */
        uint64_t across = (uint64_t)axes.shape[tile_axis], along = (uint64_t)axes.shape[4];
        p.tile_axis = (uint32_t)tile_axis;
        invocations = n / (across * along) * ((across + TILE - 1) / TILE) * ((along + TILE - 1) / TILE) * WORKGROUP;
    }
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), invocations, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &p, groups);
}

subq_status subq_activation_apply(subq_stream *stream, const subq_tensor *x, subq_activation activation,
                                  subq_tensor *y)
{
    SUBQ_TRY(subq_arg_stream(stream));
    SUBQ_TRY(subq_arg_float_tensor("x", x, stream, 1, SUBQ_MAX_RANK));
    SUBQ_TRY(subq_arg_activation("activation", activation));
    SUBQ_TRY(check_output(stream, y, x));
    SUBQ_TRY(subq_arg_disjoint_or_same("y", y, "x", x));
    return record(stream, NULL, x, activation, y);
}

subq_status subq_gate(subq_stream *stream, const subq_tensor *a, const subq_tensor *b,
                      subq_activation activation, subq_tensor *y)
{
    SUBQ_TRY(subq_arg_stream(stream));
    SUBQ_TRY(subq_arg_float_tensor("a", a, stream, 1, SUBQ_MAX_RANK));
    SUBQ_TRY(check_like(stream, "b", b, a));
    SUBQ_TRY(subq_arg_activation("activation", activation));
    SUBQ_TRY(check_output(stream, y, a));
    SUBQ_TRY(subq_arg_disjoint_or_same("y", y, "a", a));
    SUBQ_TRY(subq_arg_disjoint_or_same("y", y, "b", b));
    return record(stream, a, b, activation, y);
}
