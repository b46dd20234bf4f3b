#version 450
// The state each packed request leaves behind (the companion of causal_conv1d_varlen), width K:
// next[r, c, j] = x[start + len - K + j, c] if len - K + j >= 0, else prev[r, c, j + len].
// One invocation per (request, channel), neighbouring channels side by side.
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Cu { int cu[]; };
layout(std430, binding = 2) readonly buffer Prev { float prev[]; };
layout(std430, binding = 3) buffer Next { float next[]; };

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
            v = x[p.x_first + uint(start + src) * p.x_stride[0] + c * p.x_stride[1]];
        } else {
            uint col = j + uint(len);
            v = in_place ? next[next_row + col * p.next_stride[2]] : prev[prev_row + col * p.prev_stride[2]];
        }
        next[next_row + j * p.next_stride[2]] = v;
    }
}
