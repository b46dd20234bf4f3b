#version 450
// The real weight that turns a complex projection y[m, o] = sum_i x[m, i] w[o, i] into one real
// GEMM over interleaved (re, im) rows, y' = x' W'^T: x' [M, I * x_parts] as x lies in memory,
// y' [M, O * y_parts] likewise, and
//   W'[(o, 0), (i, 0)] = re w   W'[(o, 0), (i, 1)] = -im w   (the real part of y)
//   W'[(o, 1), (i, 0)] = im w   W'[(o, 1), (i, 1)] =  re w   (its imaginary part)
// for w real or complex (w_parts 1 or 2; f32, f16 or bf16). One invocation per element of the f32 W'.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"
layout(local_size_x_id = 0) in;
layout(constant_id = 2) const uint DTYPES = 0u; // dtype.glsl

SUBQ_FLOAT_BUFFER(0, readonly, w)
layout(std430, binding = 1) writeonly buffer Out { float weight[]; };

layout(push_constant) uniform Push {
    uint out_dim, in_dim, x_parts, w_parts, y_parts;
    uint w_first, weight_first;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint cols = p.in_dim * p.x_parts;
    if (id >= p.out_dim * p.y_parts * cols) return;
    uint row = id / cols, col = id % cols;
    uint o = row / p.y_parts, imag_out = row % p.y_parts, i = col / p.x_parts, imag_in = col % p.x_parts;
    uint wi = p.w_first + (o * p.in_dim + i) * p.w_parts;
    float re = SUBQ_LOAD(w, 0, wi), im = p.w_parts == 2u ? SUBQ_LOAD(w, 0, wi + 1u) : 0.0;
    float v = imag_out == 0u ? (imag_in == 0u ? re : -im) : (imag_in == 0u ? im : re);
    weight[p.weight_first + id] = v;
}
