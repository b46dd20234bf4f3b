#version 450
// The inverse's real rows back to a strided destination, times scale: rows come in groups of P
// parts (re, and im when P = 2) per signal g = pair0 + r2 = a * I + i; point t < length goes to
// dst[first + a da + i di + t dt] (re), and + 1 (im, 0 when P = 1) when the destination is complex.
// dst may be f32, f16 or bf16.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"
layout(local_size_x_id = 0) in;
layout(constant_id = 2) const uint DTYPES = 0u; // dtype.glsl

layout(std430, binding = 0) readonly buffer Real { float real[]; };
SUBQ_FLOAT_BUFFER(1, writeonly, dst)

layout(push_constant) uniform Push {
    uint signals, signal0, inner, parts, len, real_row;
    uint first, stride_a, stride_i, stride_t, complex_out;
    float scale;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.signals * p.len) return;
    uint r2 = id / p.len, t = id % p.len, g = p.signal0 + r2;
    uint a = g / p.inner, i = g % p.inner;
    uint at = p.first + a * p.stride_a + i * p.stride_i + t * p.stride_t;
    SUBQ_STORE(dst, 1, at, real[r2 * p.parts * p.real_row + t] * p.scale);
    if (p.complex_out != 0u)
        SUBQ_STORE(dst, 1, at + 1u, p.parts == 2u ? real[(r2 * 2u + 1u) * p.real_row + t] * p.scale : 0.0);
}
