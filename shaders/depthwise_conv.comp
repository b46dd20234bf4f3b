#version 450
// Depthwise convolution over 1-3 spatial axes (lower ranks use size-1 axes): one invocation per
// output element; y = bias[g] + sum_k w[g, k] * x[pos - pad + k], g = global channel / group_dim.
// TRANSPOSE (channels-last x, y dense channels-first, Hyena's layout change): a workgroup takes
// 32 channels x 32 positions, computes them with channels innermost (coalesced reads of x) and
// writes them through shared memory with positions innermost (coalesced writes of y); one
// invocation per element either way round wrote or read 4 bytes per 32-byte sector. Kernels of at
// most MAX_FIXED taps per axis are specialised there (FIXED_K*): the taps of the invocation's
// channel in registers, the loops unrolled, every load issued before any is used.
#extension GL_EXT_control_flow_attributes : require
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint DTYPES = 0u;
layout(constant_id = 2) const bool TRANSPOSE = false; // then the workgroup is 256 invocations
layout(constant_id = 3) const uint FIXED_KD = 0u;     // TRANSPOSE: the kernel's size, or 0 for any
layout(constant_id = 4) const uint FIXED_KH = 0u;
layout(constant_id = 5) const uint FIXED_KW = 0u;
const bool FIXED = FIXED_KD * FIXED_KH * FIXED_KW != 0u;

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

const uint TILE = 32u;
shared float tile[TILE * (TILE + 1u)];

// The output at o = (b, c, d, h, w).
float conv_at(uint o[5]) {
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
                acc = fma(SUBQ_LOAD(w, 1, w_row + kw), SUBQ_LOAD(x, 0, row + uint(ww) * p.x_stride[4]), acc);
            }
        }
    }
    return acc;
}

float taps[FIXED ? FIXED_KD * FIXED_KH * FIXED_KW : 1u];
float bias_of_channel;

void load_taps(uint channel) {
    uint g = (p.channel_base + channel) / p.group_dim;
    [[unroll]] for (uint i = 0u; i < FIXED_KD * FIXED_KH * FIXED_KW; i++)
        taps[i] = SUBQ_LOAD(w, 1, p.w_first + g * FIXED_KD * FIXED_KH * FIXED_KW + i);
    bias_of_channel = (p.flags & HAS_BIAS) != 0u ? SUBQ_LOAD(bias, 2, p.bias_first + g) : 0.0;
}

// conv_at for the specialised kernel: loads at clamped (always valid) addresses, padding skipped
// after. Both add the taps in the same order with explicit fma, so that every layout rounds alike
// (context parallelism compares a channels-first path with this one to 1e-6).
float conv_fixed(uint o[5]) {
    uint x_base = p.x_first + o[0] * p.x_stride[0] + o[1] * p.x_stride[1];
    float acc = bias_of_channel;
    [[unroll]] for (uint kd = 0u; kd < FIXED_KD; kd++) {
        int d = int(o[2]) - p.pad[0] + int(kd);
        [[unroll]] for (uint kh = 0u; kh < FIXED_KH; kh++) {
            int h = int(o[3]) - p.pad[1] + int(kh);
            [[unroll]] for (uint kw = 0u; kw < FIXED_KW; kw++) {
                int ww = int(o[4]) - p.pad[2] + int(kw);
                bool inside = d >= 0 && d < int(p.in_size[0]) && h >= 0 && h < int(p.in_size[1]) && ww >= 0 &&
                              ww < int(p.in_size[2]);
                uint at = x_base + uint(clamp(d, 0, int(p.in_size[0]) - 1)) * p.x_stride[2] +
                          uint(clamp(h, 0, int(p.in_size[1]) - 1)) * p.x_stride[3] +
                          uint(clamp(ww, 0, int(p.in_size[2]) - 1)) * p.x_stride[4];
                float v = SUBQ_LOAD(x, 0, at);
                acc = inside ? fma(taps[(kd * FIXED_KH + kh) * FIXED_KW + kw], v, acc) : acc;
            }
        }
    }
    return acc;
}

void spatial_of(uint s, inout uint o[5]) {
    o[4] = s % p.out_size[4];
    o[3] = (s / p.out_size[4]) % p.out_size[3];
    o[2] = s / (p.out_size[4] * p.out_size[3]);
}

void per_element() {
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
    SUBQ_STORE(y, 3, p.y_first + o[0] * p.y_stride[0] + o[1] * p.y_stride[1] + o[2] * p.y_stride[2] +
                         o[3] * p.y_stride[3] + o[4] * p.y_stride[4], conv_at(o));
}

// Workgroup (b, channel tile, position tile) over positions s = flattened (d, h, w), dense in y.
void transposed() {
    uint spatial = p.out_size[2] * p.out_size[3] * p.out_size[4];
    uint c_tiles = (p.out_size[1] + TILE - 1u) / TILE, s_tiles = (spatial + TILE - 1u) / TILE;
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    uint b = group / (c_tiles * s_tiles);
    if (b >= p.out_size[0]) return; // the whole workgroup
    uint c0 = (group / s_tiles) % c_tiles * TILE, s0 = group % s_tiles * TILE;
    uint lane = gl_LocalInvocationID.x % TILE, row = gl_LocalInvocationID.x / TILE, rows = gl_WorkGroupSize.x / TILE;
    uint channel = min(c0 + lane, p.out_size[1] - 1u);
    if (FIXED) load_taps(channel);
    for (uint j = row; j < TILE; j += rows) {
        uint o[5];
        o[0] = b;
        o[1] = channel;
        spatial_of(min(s0 + j, spatial - 1u), o);
        tile[lane * (TILE + 1u) + j] = FIXED ? conv_fixed(o) : conv_at(o);
    }
    barrier();
    for (uint j = row; j < TILE; j += rows)
        if (c0 + j < p.out_size[1] && s0 + lane < spatial)
            SUBQ_STORE(y, 3, p.y_first + b * p.y_stride[0] + (c0 + j) * p.y_stride[1] + s0 + lane,
                       tile[j * (TILE + 1u) + lane]);
}

void main() {
    if (TRANSPOSE) transposed();
    else per_element();
}
