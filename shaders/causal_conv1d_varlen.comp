#version 450
#extension GL_EXT_control_flow_attributes : require
// Packed varlen causal conv1d + SiLU (Megatron causal_conv1d_varlen_fn), x (T, D).
// A workgroup takes STEPS consecutive tokens of WORKGROUP neighbouring channels, one channel per
// invocation: loads and stores coalesce across channels, and each invocation computes its STEPS
// outputs from a register window of STEPS + W - 1 loads. Which request a token belongs to is
// settled once per tile: a tile whose every tap lies inside its token's request (all but the
// few at request boundaries) is a plain convolution whose loops unroll fully; the rest go token
// by token through the general path.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint WIDTH = 4u;
layout(constant_id = 2) const uint STEPS = 8u;
layout(constant_id = 3) const uint DTYPES = 0u; // dtype.glsl

const uint WORKGROUP = gl_WorkGroupSize.x;

SUBQ_FLOAT_BUFFER(0, readonly, x)
SUBQ_FLOAT_BUFFER(1, readonly, w)
SUBQ_FLOAT_BUFFER(2, readonly, bias)
layout(std430, binding = 3) readonly buffer Cu { int cu[]; };
layout(std430, binding = 4) readonly buffer SeqIdx { int seq_idx[]; };
layout(std430, binding = 5) readonly buffer SeqStart { int seq_start[]; };
SUBQ_FLOAT_BUFFER(6, readonly, init)
SUBQ_FLOAT_BUFFER(7, writeonly, y)

layout(push_constant) uniform Params {
    uint x_first, w_first, bias_first, cu_first, idx_first, start_first, init_first, y_first;
    uint tokens, dim, requests, flags;
    uint x_stride[2], y_stride[2], w_stride[2], init_stride[3];
    uint bias_stride, idx_stride, start_stride;
} p;

const uint HAS_BIAS = 1u;
const uint HAS_INIT = 2u;
const uint PRECOMPUTED = 4u; // seq_idx / seq_start given; cu_seqlens is not read

float wt[WIDTH];
float channel_bias;

int cu_at(uint r) { return cu[p.cu_first + r]; }
int start_at(uint t) { return seq_start[p.start_first + t * p.start_stride]; }

// The largest r < R with cu[r] <= t. Any cu_seqlens keeps r in range.
uint find_request(uint t) {
    uint lo = 0u, hi = p.requests - 1u;
    while (lo < hi) {
        uint mid = (lo + hi + 1u) >> 1;
        if (cu_at(mid) <= int(t)) lo = mid; else hi = mid - 1u;
    }
    return lo;
}

// x at token src, 0 outside [0, T). The load itself is unconditional (clamped address) so that
// the loads of an unrolled loop can all be in flight at once.
float x_at(int src, uint c) {
    float v = SUBQ_LOAD(x, 0, p.x_first + uint(clamp(src, 0, int(p.tokens) - 1)) * p.x_stride[0] + c * p.x_stride[1]);
    return src >= 0 && src < int(p.tokens) ? v : 0.0;
}

// A tap before the request's start s: initial_states[r, c, (W-1) - (s - src)]. Garbage precomputed
// indices read zero rather than out of bounds.
float state_tap(int r, int s, int src, uint c) {
    int col = int(WIDTH - 1u) - (s - src);
    if ((p.flags & HAS_INIT) == 0u || r < 0 || r >= int(p.requests) || col < 0) return 0.0;
    return SUBQ_LOAD(init, 6, p.init_first + uint(r) * p.init_stride[0] + c * p.init_stride[1] + uint(col) * p.init_stride[2]);
}

float silu(float acc) { return acc / (1.0 + exp(-acc)); }

// Whether the whole tile lies in x and every tap of its tokens at or after the token's request
// start. The same for the whole workgroup, so the cu_seqlens / seq_start loads are broadcasts.
bool interior(uint t0) {
    if (t0 + STEPS > p.tokens) return false;
    int first = int(t0) - int(WIDTH - 1u); // the first tap of the tile's first token
    if ((p.flags & PRECOMPUTED) == 0u) {
        uint r = find_request(t0);
        return cu_at(r) <= first && cu_at(r + 1u) >= int(t0 + STEPS);
    }
    // Precomputed indices may change anywhere (even garbage): look at each token's start.
    int slack = 0;
    [[unroll]] for (uint i = 0u; i < STEPS; i++) slack = min(slack, first + int(i) - start_at(t0 + i));
    return slack >= 0;
}

// Token by token, each tap from x or from the initial state.
void general(uint c, uint t0) {
    uint end = min(t0 + STEPS, p.tokens);
    bool precomputed = (p.flags & PRECOMPUTED) != 0u;
    uint r = precomputed ? 0u : find_request(t0);
    for (uint t = t0; t < end; t++) {
        int req, start;
        if (precomputed) {
            req = seq_idx[p.idx_first + t * p.idx_stride];
            start = start_at(t);
        } else {
            while (r + 1u < p.requests && cu_at(r + 1u) <= int(t)) r++;
            req = int(r);
            start = cu_at(r);
        }
        float acc = channel_bias;
        [[unroll]] for (uint j = 0u; j < WIDTH; j++) {
            int src = int(t) - int(WIDTH - 1u) + int(j);
            acc += wt[j] * (src >= start ? x_at(src, c) : state_tap(req, start, src, c));
        }
        SUBQ_STORE(y, 7, p.y_first + t * p.y_stride[0] + c * p.y_stride[1], silu(acc));
    }
}

void main() {
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    uint channel_groups = (p.dim + WORKGROUP - 1u) / WORKGROUP;
    uint t0 = group / channel_groups * STEPS;
    uint c = group % channel_groups * WORKGROUP + gl_LocalInvocationID.x;
    if (t0 >= p.tokens || c >= p.dim) return;

    [[unroll]] for (uint j = 0u; j < WIDTH; j++) wt[j] = SUBQ_LOAD(w, 1, p.w_first + c * p.w_stride[0] + j * p.w_stride[1]);
    channel_bias = (p.flags & HAS_BIAS) != 0u ? SUBQ_LOAD(bias, 2, p.bias_first + c * p.bias_stride) : 0.0;

    if (!interior(t0)) {
        general(c, t0);
        return;
    }
    // window[k] = x at token t0 - (W-1) + k.
    float window[STEPS + WIDTH - 1u];
    int first = int(t0) - int(WIDTH - 1u);
    [[unroll]] for (uint k = 0u; k < STEPS + WIDTH - 1u; k++) window[k] = x_at(first + int(k), c);
    [[unroll]] for (uint i = 0u; i < STEPS; i++) {
        float acc = channel_bias;
        [[unroll]] for (uint j = 0u; j < WIDTH; j++) acc += wt[j] * window[i + j];
        SUBQ_STORE(y, 7, p.y_first + (t0 + i) * p.y_stride[0] + c * p.y_stride[1], silu(acc));
    }
}
