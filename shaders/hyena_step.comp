#version 450
// One token of a causal long convolution by direct sum (src/modules/hyena_state.c):
// y[b, c] = sum_{s <= t} kernel[bk, s, c] * z[b, t - s, c] + shortcut[c] * z[b, t, c], with
// z [B, max_length, C] the history (row t the new token's) and kernel [Bk, max_length, C] the
// causal kernel (bk = b when it is per batch element, else 0). One invocation per (b, c): the
// channel index is fastest, so neighbours read neighbouring floats of every row.

layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer Kernel { float kernel[]; };
layout(std430, binding = 1) readonly buffer History { float z[]; };
layout(std430, binding = 2) readonly buffer Shortcut { float shortcut[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint kernel_first, z_first, shortcut_first, y_first;
    uint batch, channels, max_length, t, kernel_batched;
    uint y_stride_b;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.batch * p.channels) return;
    uint c = id % p.channels, b = id / p.channels;
    uint kbase = p.kernel_first + (p.kernel_batched != 0u ? b : 0u) * p.max_length * p.channels + c;
    uint zbase = p.z_first + b * p.max_length * p.channels + c;
    float acc = 0.0;
    for (uint s = 0u; s <= p.t; s++) acc += kernel[kbase + s * p.channels] * z[zbase + (p.t - s) * p.channels];
    acc += shortcut[p.shortcut_first + c] * z[zbase + p.t * p.channels];
    y[p.y_first + b * p.y_stride_b + c] = acc;
}
