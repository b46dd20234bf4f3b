#version 450
// y = x bit for bit (uint, so no float canonicalisation) between tensors of one shape and any
// strides (rank <= 5, padded with leading size-1 axes). Dense copies move four elements per
// invocation (VEC4 = 1); so do strided copies whose rows are contiguous, of a multiple of four
// elements, 16-byte aligned (VEC4 = 2: sizes, strides and firsts are given in vec4 units).
// CONVERT = 1: between float dtypes (f32, f16, bf16; DTYPES as in dtype.glsl), through fp32,
// rounding to nearest even on the way down.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint VEC4 = 0u;
layout(constant_id = 2) const uint CONVERT = 0u;
layout(constant_id = 3) const uint DTYPES = 0u;

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) writeonly buffer Y { uint y[]; };
layout(std430, binding = 0) readonly buffer X4 { uvec4 x4[]; };
layout(std430, binding = 1) writeonly buffer Y4 { uvec4 y4[]; };
SUBQ_FLOAT_BUFFER(0, readonly, xf)
SUBQ_FLOAT_BUFFER(1, writeonly, yf)

layout(push_constant) uniform Params {
    uint x_first, y_first;
    uint size[5];
    uint x_stride[5];
    uint y_stride[5];
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint n = p.size[0] * p.size[1] * p.size[2] * p.size[3] * p.size[4];
    if (VEC4 == 1u) {
        // Dense and 16-byte aligned (x_first, y_first, n multiples of 4): checked by the host.
        if (id * 4u < n) y4[p.y_first / 4u + id] = x4[p.x_first / 4u + id];
        return;
    }
    if (id >= n) return;
    uint xi = p.x_first, yi = p.y_first, rest = id;
    for (int a = 4; a >= 0; a--) {
        uint i = rest % p.size[a];
        rest /= p.size[a];
        xi += i * p.x_stride[a];
        yi += i * p.y_stride[a];
    }
    if (CONVERT != 0u) SUBQ_STORE(yf, 1, yi, SUBQ_LOAD(xf, 0, xi));
    else if (VEC4 == 2u) y4[yi] = x4[xi];
    else y[yi] = x[xi];
}
