#version 450
// The state each packed request leaves behind (the companion of causal_conv1d_varlen), width K:
// next[r, c, j] = x[start + len - K + j, c] if len - K + j >= 0, else prev[r, c, j + len].
// One invocation per (request, channel), neighbouring channels side by side.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint DTYPES = 0u; // dtype.glsl

SUBQ_FLOAT_BUFFER(0, readonly, x)
layout(std430, binding = 1) readonly buffer Cu { int cu[]; };
SUBQ_FLOAT_BUFFER(2, readonly, prev)
SUBQ_FLOAT_BUFFER(3, , next)

layout(push_constant) uniform Params {
    uint x_first, cu_first, prev_first, next_first;
    uint tokens, dim, requests, width, flags;
    uint x_stride[2], prev_stride[3], next_stride[3];
} p;

// In place, the old state is read through the binding that is written: one invocation owns the
// row, and ascending j reads column j + len before anything writes it.
const uint IN_PLACE = 1u;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.requests * p.dim) return;
    uint c = id % p.dim;
    uint r = id / p.dim;
    // Clamped so that no cu_seqlens, however wrong, reads outside x.
    int start = clamp(cu[p.cu_first + r], 0, int(p.tokens));
    int len = clamp(cu[p.cu_first + r + 1u], start, int(p.tokens)) - start;
    uint next_row = p.next_first + r * p.next_stride[0] + c * p.next_stride[1];
    uint prev_row = p.prev_first + r * p.prev_stride[0] + c * p.prev_stride[1];
    bool in_place = (p.flags & IN_PLACE) != 0u;
    for (uint j = 0u; j < p.width; j++) {
        int src = len - int(p.width) + int(j);
        float v;
        if (src >= 0) {
            v = SUBQ_LOAD(x, 0, p.x_first + uint(start + src) * p.x_stride[0] + c * p.x_stride[1]);
        } else {
            uint col = j + uint(len);
            v = in_place ? SUBQ_LOAD(next, 3, next_row + col * p.next_stride[2]) : SUBQ_LOAD(prev, 2, prev_row + col * p.prev_stride[2]);
        }
        SUBQ_STORE(next, 3, next_row + j * p.next_stride[2], v);
    }
}
