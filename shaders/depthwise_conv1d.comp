#version 450
#extension GL_EXT_control_flow_attributes : require
// Depthwise conv over one spatial axis, specialised on the kernel size K so the taps unroll.
// TIME_INNER (x's time stride is the smallest, e.g. channels-first): a workgroup stages a tile of
// one row in shared memory and each invocation computes PER_THREAD outputs WORKGROUP apart
// (conflict-free shared reads, coalesced writes). Otherwise (channels-last): neighbouring
// invocations take neighbouring channels and each computes STEPS outputs from STEPS + K - 1 loads.
// TRANSPOSE (channels-last x, time-major y, Hyena's layout change): those outputs go through
// shared memory so that neighbouring invocations write neighbouring times; written straight, each
// invocation's stores landed L apart from its neighbours' (11% of copy bandwidth on an H100).
// Loops over K, PER_THREAD and STEPS unroll fully so the tap and window arrays stay in registers
// and the loads of one invocation can all be in flight at once.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint K = 3u;
layout(constant_id = 2) const uint MODE = 1u; // 0: channels-inner, 1: TIME_INNER, 2: TRANSPOSE
const uint TIME_INNER = 1u, TRANSPOSE = 2u;

layout(constant_id = 3) const uint PER_THREAD = 4u;
layout(constant_id = 4) const uint STEPS = 32u;
layout(constant_id = 5) const uint DTYPES = 0u;

const uint WORKGROUP = gl_WorkGroupSize.x;
const uint TILE = WORKGROUP * PER_THREAD;

SUBQ_FLOAT_BUFFER(0, readonly, x)
SUBQ_FLOAT_BUFFER(1, readonly, w)
SUBQ_FLOAT_BUFFER(2, readonly, bias)
SUBQ_FLOAT_BUFFER(3, writeonly, y)

layout(push_constant) uniform Params {
    uint x_first, w_first, bias_first, y_first;
    uint batch, channels, len_in, len_out;
    uint x_stride[3]; // batch, channel, time
    uint y_stride[3];
    uint pad;          // left padding
    uint group_dim;
    uint channel_base;
    uint has_bias;
} p;

shared float tile[MODE == TRANSPOSE ? WORKGROUP * (STEPS + 1u) : TILE + K - 1u];

float taps[K];
float acc_init;

void load_weights(uint channel) {
    uint g = (p.channel_base + channel) / p.group_dim;
    [[unroll]] for (uint k = 0u; k < K; k++) taps[k] = SUBQ_LOAD(w, 1, p.w_first + g * K + k);
    acc_init = p.has_bias != 0u ? SUBQ_LOAD(bias, 2, p.bias_first + g) : 0.0;
}

// The load itself is unconditional (at a clamped, always valid address) so that the loads of an
// unrolled loop can all be in flight at once; a branch around each would serialise them.
float x_at(uint row, int t) {
    float v = SUBQ_LOAD(x, 0, row + uint(clamp(t, 0, int(p.len_in) - 1)) * p.x_stride[2]);
    return t >= 0 && t < int(p.len_in) ? v : 0.0;
}

void time_inner(uint group) {
    uint tiles = (p.len_out + TILE - 1u) / TILE;
    uint row_id = group / tiles, t0 = (group % tiles) * TILE;
    if (row_id >= p.batch * p.channels) return;
    uint b = row_id / p.channels, c = row_id % p.channels;
    uint x_row = p.x_first + b * p.x_stride[0] + c * p.x_stride[1];
    uint y_row = p.y_first + b * p.y_stride[0] + c * p.y_stride[1];
    for (uint i = gl_LocalInvocationID.x; i < TILE + K - 1u; i += WORKGROUP)
        tile[i] = x_at(x_row, int(t0 + i) - int(p.pad));
    load_weights(c);
    barrier();
    [[unroll]] for (uint q = 0u; q < PER_THREAD; q++) {
        uint j = q * WORKGROUP + gl_LocalInvocationID.x;
        if (t0 + j >= p.len_out) break;
        float acc = acc_init;
        [[unroll]] for (uint k = 0u; k < K; k++) acc += taps[k] * tile[j + k];
        SUBQ_STORE(y, 3, y_row + (t0 + j) * p.y_stride[2], acc);
    }
}

void channels_inner(uint group) {
    uint channel_groups = (p.channels + WORKGROUP - 1u) / WORKGROUP;
    uint chunks = (p.len_out + STEPS - 1u) / STEPS;
    uint b = group / (channel_groups * chunks);
    uint rest = group % (channel_groups * chunks);
    uint t0 = (rest / channel_groups) * STEPS;
    uint c0 = (rest % channel_groups) * WORKGROUP, c = c0 + gl_LocalInvocationID.x;
    if (b >= p.batch || (c >= p.channels && MODE != TRANSPOSE)) return; // b is the workgroup's
    uint x_row = p.x_first + b * p.x_stride[0] + min(c, p.channels - 1u) * p.x_stride[1];
    load_weights(min(c, p.channels - 1u));
    float window[STEPS + K - 1u];
    int first = int(t0) - int(p.pad);
    [[unroll]] for (uint i = 0u; i < STEPS + K - 1u; i++) window[i] = x_at(x_row, first + int(i));
    [[unroll]] for (uint s = 0u; s < STEPS; s++) {
        float acc = acc_init;
        [[unroll]] for (uint k = 0u; k < K; k++) acc += taps[k] * window[s + k];
        if (MODE == TRANSPOSE) tile[gl_LocalInvocationID.x * (STEPS + 1u) + s] = acc;
        else if (t0 + s < p.len_out)
            SUBQ_STORE(y, 3, p.y_first + b * p.y_stride[0] + c * p.y_stride[1] + (t0 + s) * p.y_stride[2], acc);
    }
    if (MODE != TRANSPOSE) return;
    barrier();
    [[unroll]] for (uint r = 0u; r < STEPS; r++) {
        uint e = r * WORKGROUP + gl_LocalInvocationID.x, cl = e / STEPS, s = e % STEPS;
        if (c0 + cl < p.channels && t0 + s < p.len_out)
            SUBQ_STORE(y, 3, p.y_first + b * p.y_stride[0] + (c0 + cl) * p.y_stride[1] + t0 + s,
                       tile[cl * (STEPS + 1u) + s]);
    }
}

void main() {
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (MODE == TIME_INNER) time_inner(group);
    else channels_inner(group);
}
