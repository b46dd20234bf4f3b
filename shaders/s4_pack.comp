#version 450
// Rows of strided signals into an FFT plan's real scratch, zero-padded to F points: row
// (a * I + i) * P + part of the launch (global row0 + r) is src[first + a sa + i si + part sp + t st]
// for t < len, 0 for length <= t < F. One invocation per point. src may be f32, f16 or bf16.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"
layout(local_size_x_id = 0) in;
layout(constant_id = 2) const uint DTYPES = 0u; // dtype.glsl

SUBQ_FLOAT_BUFFER(0, readonly, src)
layout(std430, binding = 1) writeonly buffer Real { float real[]; };

layout(push_constant) uniform Push {
    uint rows, row0, inner, parts, len, fft, real_row;
    uint first, stride_a, stride_i, stride_part, stride_t;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.rows * p.fft) return;
    uint r = id / p.fft, t = id % p.fft, row = p.row0 + r;
    uint part = row % p.parts, i = (row / p.parts) % p.inner, a = row / (p.parts * p.inner);
    float v = 0.0;
    if (t < p.len)
        v = SUBQ_LOAD(src, 0, p.first + a * p.stride_a + i * p.stride_i + part * p.stride_part + t * p.stride_t);
    real[r * p.real_row + t] = v;
}
