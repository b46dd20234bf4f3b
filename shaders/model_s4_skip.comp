#version 450
// The S4 block's skip and activation, back to channels-last:
//     out[b, l, h] = gelu(y[b, h, l] + D[h] * x[b, l, h])
// y is FFTConvS4's output (B, channels = 1, H, L), x its input (B, L, H), out (B, L, H); all dense.
// One invocation per output element, l-major so that out and x are written and read in order.
#extension GL_GOOGLE_include_directive : require
#include "activation.glsl"

layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer D { float d[]; };
layout(std430, binding = 3) writeonly buffer Out { float o[]; };

layout(push_constant) uniform Params {
    uint y_first, x_first, d_first, out_first;
    uint batch, len, channels;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.batch * p.len * p.channels) return;
    uint h = id % p.channels, rest = id / p.channels;
    uint l = rest % p.len, b = rest / p.len;
    float v = y[p.y_first + (b * p.channels + h) * p.len + l] + d[p.d_first + h] * x[p.x_first + id];
    o[p.out_first + id] = subq_gelu(v);
}
