#version 450
// y = a * act(b) (HAS_A = 1) or y = act(b) (HAS_A = 0) over tensors of one shape and any strides
// (rank <= 5, padded with leading size-1 axes). VEC4 = 1: the last axis is contiguous in every
// tensor, its size and every other stride and first element are multiples of 4 (checked by the
// host), so each invocation moves four neighbours as one 16-byte access; f32 tensors only.
#extension GL_GOOGLE_include_directive : require
#include "activation.glsl"
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint VEC4 = 0u;
layout(constant_id = 2) const uint HAS_A = 1u;
layout(constant_id = 3) const uint DTYPES = 0u; // dtype.glsl

SUBQ_FLOAT_BUFFER(0, readonly, a)
SUBQ_FLOAT_BUFFER(1, readonly, b)
SUBQ_FLOAT_BUFFER(2, writeonly, y)
layout(std430, binding = 0) readonly buffer A4 { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer B4 { vec4 b4[]; };
layout(std430, binding = 2) writeonly buffer Y4 { vec4 y4[]; };

layout(push_constant) uniform Params {
    uint a_first, b_first, y_first;
    uint activation;
    uint size[5];
    uint a_stride[5];
    uint b_stride[5];
    uint y_stride[5];
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint inner = VEC4 != 0u ? p.size[4] / 4u : p.size[4];
    if (id >= p.size[0] * p.size[1] * p.size[2] * p.size[3] * inner) return;
    uint ai = p.a_first, bi = p.b_first, yi = p.y_first;
    uint i = id % inner, rest = id / inner;
    if (VEC4 != 0u) i *= 4u;
    ai += i * p.a_stride[4];
    bi += i * p.b_stride[4];
    yi += i * p.y_stride[4];
    for (int axis = 3; axis >= 0 && rest != 0u; axis--) { // leading indices of 0 add nothing
        i = rest % p.size[axis];
        rest /= p.size[axis];
        ai += i * p.a_stride[axis];
        bi += i * p.b_stride[axis];
        yi += i * p.y_stride[axis];
    }
    if (VEC4 != 0u) {
        vec4 v = b4[bi / 4u];
        for (uint k = 0u; k < 4u; k++) v[k] = subq_activate(v[k], p.activation);
        y4[yi / 4u] = HAS_A != 0u ? a4[ai / 4u] * v : v;
    } else {
        float v = subq_activate(SUBQ_LOAD(b, 1, bi), p.activation);
        SUBQ_STORE(y, 2, yi, HAS_A != 0u ? SUBQ_LOAD(a, 0, ai) * v : v);
    }
}
