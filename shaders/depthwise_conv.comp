#version 450
// Depthwise convolution over 1-3 spatial axes (lower ranks use size-1 axes): one invocation per
// output element; y = bias[g] + sum_k w[g, k] * x[pos - pad + k], g = global channel / group_dim.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint DTYPES = 0u;

SUBQ_FLOAT_BUFFER(0, readonly, x)
SUBQ_FLOAT_BUFFER(1, readonly, w)
SUBQ_FLOAT_BUFFER(2, readonly, bias)
SUBQ_FLOAT_BUFFER(3, writeonly, y)

layout(push_constant) uniform Params {
    uint x_first, w_first, bias_first, y_first;
    uint out_size[5];  // B, C, D, H, W of y
    uint in_size[3];   // D, H, W of x
    uint x_stride[5];
    uint y_stride[5];
    uint kernel_size[3];
    int pad[3];        // left padding per spatial axis
    uint group_dim;
    uint channel_base; // first global channel of this rank
    uint flags;        // 1: has bias; 2: channels vary fastest between neighbouring invocations
} p;

const uint HAS_BIAS = 1u;
const uint CHANNELS_INNER = 2u;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint n = p.out_size[0] * p.out_size[1] * p.out_size[2] * p.out_size[3] * p.out_size[4];
    if (id >= n) return;

    // Decompose so that neighbouring invocations touch neighbouring memory: channels innermost for
    // channels-last tensors, the last spatial axis innermost otherwise.
    uint o[5];
    uint rest = id;
    if ((p.flags & CHANNELS_INNER) != 0u) {
        o[1] = rest % p.out_size[1]; rest /= p.out_size[1];
        for (int a = 4; a >= 2; a--) { o[a] = rest % p.out_size[a]; rest /= p.out_size[a]; }
    } else {
        for (int a = 4; a >= 1; a--) { o[a] = rest % p.out_size[a]; rest /= p.out_size[a]; }
    }
    o[0] = rest;

    uint g = (p.channel_base + o[1]) / p.group_dim;
    uint taps = p.kernel_size[0] * p.kernel_size[1] * p.kernel_size[2];
    uint w_base = p.w_first + g * taps;
    uint x_base = p.x_first + o[0] * p.x_stride[0] + o[1] * p.x_stride[1];

    float acc = (p.flags & HAS_BIAS) != 0u ? SUBQ_LOAD(bias, 2, p.bias_first + g) : 0.0;
    for (uint kd = 0u; kd < p.kernel_size[0]; kd++) {
        int d = int(o[2]) - p.pad[0] + int(kd);
        if (d < 0 || d >= int(p.in_size[0])) continue;
        for (uint kh = 0u; kh < p.kernel_size[1]; kh++) {
            int h = int(o[3]) - p.pad[1] + int(kh);
            if (h < 0 || h >= int(p.in_size[1])) continue;
            uint row = x_base + uint(d) * p.x_stride[2] + uint(h) * p.x_stride[3];
            uint w_row = w_base + (kd * p.kernel_size[1] + kh) * p.kernel_size[2];
            for (uint kw = 0u; kw < p.kernel_size[2]; kw++) {
                int ww = int(o[4]) - p.pad[2] + int(kw);
                if (ww < 0 || ww >= int(p.in_size[2])) continue;
                acc += SUBQ_LOAD(w, 1, w_row + kw) * SUBQ_LOAD(x, 0, row + uint(ww) * p.x_stride[4]);
            }
        }
    }
    SUBQ_STORE(y, 3, p.y_first + o[0] * p.y_stride[0] + o[1] * p.y_stride[1] + o[2] * p.y_stride[2] +
                         o[3] * p.y_stride[3] + o[4] * p.y_stride[4], acc);
}
