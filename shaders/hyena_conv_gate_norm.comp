#version 450
#extension GL_EXT_control_flow_attributes : require
#extension GL_GOOGLE_include_directive : require
// Hyena's front on 1D rows in one pass (src/modules/hyena_conv_gate_norm.c): the depthwise short
// conv of q, k and v (read channels-last), z = norm(conv(q) * act(conv(k))) over the channels of
// every position, and conv(v); z and conv(v) are written channels-first [B, C, L].
// A workgroup takes T neighbouring positions of one batch element and all C channels, so that the
// norm's sums never leave the chip: each invocation computes CPT channels (WG apart) at those T
// positions into shared memory, and the statistics are two passes over them (mean, then squares
// about it).
// The outputs go through shared memory so that neighbouring invocations write neighbouring
// positions; each invocation writing its own channel's T positions landed L apart from its
// neighbours' stores. The norm's sums are subgroup sums, so the host asks for subgroup arithmetic.
#extension GL_KHR_shader_subgroup_arithmetic : require
#include "dtype.glsl"
#include "activation.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint K = 3u;   // short conv taps
layout(constant_id = 2) const uint T = 8u;   // positions per workgroup
layout(constant_id = 3) const uint CPT = 1u; // channels per invocation
layout(constant_id = 4) const uint DTYPES = 0u;

const uint WG = gl_WorkGroupSize.x;
const uint KIND_RMS = 0u, KIND_LAYER = 1u, KIND_L2 = 2u;
const uint HAS_BIAS = 1u, HAS_GAMMA = 2u, HAS_BETA = 4u;
const uint Q = 0u, KEY = 1u, V = 2u; // which input, and its block of the short conv's 3C channels

SUBQ_FLOAT_BUFFER(0, readonly, q)
SUBQ_FLOAT_BUFFER(1, readonly, k)
SUBQ_FLOAT_BUFFER(2, readonly, v)
SUBQ_FLOAT_BUFFER(3, readonly, w)
SUBQ_FLOAT_BUFFER(4, readonly, bias)
SUBQ_FLOAT_BUFFER(5, readonly, gamma)
SUBQ_FLOAT_BUFFER(6, readonly, beta)
SUBQ_FLOAT_BUFFER(7, writeonly, z)
SUBQ_FLOAT_BUFFER(8, writeonly, v_out)

layout(push_constant) uniform Params {
    uint q_first, k_first, v_first, w_first, bias_first, gamma_first, beta_first, z_first, v_out_first;
    uint batch, channels, len;
    uint x_stride[3]; // batch, channel, time: q, k and v alike
    uint z_stride[2]; // batch, channel; time is dense
    uint v_out_stride[2];
    uint pad;       // the short conv's left padding
    uint group_dim; // channels per short-conv filter
    uint flags;
    uint kind;
    uint activation;
    float eps;
} p;

// CPT * WG channels of T positions, padded to T + 1 so that an invocation's accesses of one
// position hit distinct banks: z's values (normalised in place), then conv(v).
shared float tile[CPT * WG * (T + 1u)];
// Per subgroup and position, the partial sums of the mean's pass and of the squares' pass (two
// arrays, so that the second pass needs no barrier after the first is read). Subgroups hold >= 4.
shared float partial[2][T * (WG / 4u)];

const uint W = T + K - 1u; // a short conv's window for T positions
// q's, k's and v's windows of this invocation's CPT channels, all loaded before any is used, so
// that a workgroup has every load in flight at once and v's arrive while z is being normalised.
float windows[3u * CPT * W];

// The loads themselves are unconditional (at clamped, always valid addresses): a branch around
// each would serialise them.
float x_at(uint which, uint row, int t) {
    uint i = row + uint(clamp(t, 0, int(p.len) - 1)) * p.x_stride[2];
    float x = which == Q ? SUBQ_LOAD(q, 0, p.q_first + i)
            : which == KEY ? SUBQ_LOAD(k, 1, p.k_first + i)
                           : SUBQ_LOAD(v, 2, p.v_first + i);
    return t >= 0 && t < int(p.len) ? x : 0.0;
}

// Channel i of this invocation (past the last channel: the last channel, computed and not stored).
uint channel(uint i) { return min(gl_LocalInvocationID.x + i * WG, p.channels - 1u); }

void load_windows(uint b, uint t0) {
    int first = int(t0) - int(p.pad);
    [[unroll]] for (uint which = 0u; which < 3u; which++)
        [[unroll]] for (uint i = 0u; i < CPT; i++) {
            uint row = b * p.x_stride[0] + channel(i) * p.x_stride[1];
            [[unroll]] for (uint j = 0u; j < W; j++)
                windows[(which * CPT + i) * W + j] = x_at(which, row, first + int(j));
        }
}

// y[s] = the short conv of channel i of input `which` at position t0 + s.
void short_conv(uint which, uint i, out float y[T]) {
    uint g = (which * p.channels + channel(i)) / p.group_dim;
    float taps[K];
    [[unroll]] for (uint j = 0u; j < K; j++) taps[j] = SUBQ_LOAD(w, 3, p.w_first + g * K + j);
    float acc0 = (p.flags & HAS_BIAS) != 0u ? SUBQ_LOAD(bias, 4, p.bias_first + g) : 0.0;
    [[unroll]] for (uint s = 0u; s < T; s++) {
        float acc = acc0;
        [[unroll]] for (uint j = 0u; j < K; j++) acc += taps[j] * windows[(which * CPT + i) * W + s + j];
        y[s] = acc;
    }
}

// Each s[t] becomes its sum over the workgroup: subgroup sums, then theirs through shared memory.
void workgroup_sums(uint pass, inout float s[T]) {
    [[unroll]] for (uint t = 0u; t < T; t++) s[t] = subgroupAdd(s[t]);
    if (subgroupElect())
        [[unroll]] for (uint t = 0u; t < T; t++) partial[pass][t * (WG / 4u) + gl_SubgroupID] = s[t];
    barrier();
    [[unroll]] for (uint t = 0u; t < T; t++) {
        s[t] = 0.0;
        for (uint i = 0u; i < gl_NumSubgroups; i++) s[t] += partial[pass][t * (WG / 4u) + i];
    }
}

// The tile's CPT * WG channels of T positions to z (which = Q) or v_out, neighbouring invocations
// on neighbouring positions.
void write_tile(uint which, uint b, uint t0) {
    [[unroll]] for (uint r = 0u; r < CPT * T; r++) {
        uint e = r * WG + gl_LocalInvocationID.x, c = e / T, s = e % T;
        if (c >= p.channels || t0 + s >= p.len) continue;
        float y = tile[c * (T + 1u) + s];
        if (which == Q) SUBQ_STORE(z, 7, p.z_first + b * p.z_stride[0] + c * p.z_stride[1] + t0 + s, y);
        else SUBQ_STORE(v_out, 8, p.v_out_first + b * p.v_out_stride[0] + c * p.v_out_stride[1] + t0 + s, y);
    }
}

// conv(q) * act(conv(k)) of this invocation's channels into the tile (0 past the last channel).
void gate(out float sum[T]) {
    [[unroll]] for (uint s = 0u; s < T; s++) sum[s] = 0.0;
    [[unroll]] for (uint i = 0u; i < CPT; i++) {
        bool valid = gl_LocalInvocationID.x + i * WG < p.channels;
        float a[T], g[T];
        short_conv(Q, i, a);
        short_conv(KEY, i, g);
        [[unroll]] for (uint s = 0u; s < T; s++) {
            float y = valid ? a[s] * subq_activate(g[s], p.activation) : 0.0;
            tile[(gl_LocalInvocationID.x + i * WG) * (T + 1u) + s] = y;
            sum[s] += y;
        }
    }
}

// The mean (0 unless layer norm) and scale of every position's channels, from the sums of this
// invocation's values.
void statistics(float sum[T], out float mean[T], out float scale[T]) {
    float n = float(p.channels);
    [[unroll]] for (uint s = 0u; s < T; s++) mean[s] = 0.0;
    if (p.kind == KIND_LAYER) {
        workgroup_sums(0u, sum);
        [[unroll]] for (uint s = 0u; s < T; s++) mean[s] = sum[s] / n;
    }
    float sq[T];
    [[unroll]] for (uint s = 0u; s < T; s++) sq[s] = 0.0;
    [[unroll]] for (uint i = 0u; i < CPT; i++) {
        uint c = gl_LocalInvocationID.x + i * WG;
        [[unroll]] for (uint s = 0u; s < T; s++) {
            float d = tile[c * (T + 1u) + s] - mean[s];
            sq[s] += c < p.channels ? d * d : 0.0;
        }
    }
    workgroup_sums(1u, sq);
    [[unroll]] for (uint s = 0u; s < T; s++)
        scale[s] = p.kind == KIND_L2 ? 1.0 / max(sqrt(sq[s]), p.eps) : inversesqrt(sq[s] / n + p.eps);
}

void main() {
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    uint tiles = (p.len + T - 1u) / T;
    uint b = group / tiles, t0 = (group % tiles) * T;
    if (b >= p.batch) return; // uniform per workgroup: no barrier is skipped by part of it
    load_windows(b, t0);
    float sum[T], mean[T], scale[T];
    gate(sum);
    statistics(sum, mean, scale);
    [[unroll]] for (uint i = 0u; i < CPT; i++) {
        uint c = gl_LocalInvocationID.x + i * WG;
        float g = (p.flags & HAS_GAMMA) != 0u ? SUBQ_LOAD(gamma, 5, p.gamma_first + channel(i)) : 1.0;
        float o = (p.flags & HAS_BETA) != 0u ? SUBQ_LOAD(beta, 6, p.beta_first + channel(i)) : 0.0;
        [[unroll]] for (uint s = 0u; s < T; s++)
            tile[c * (T + 1u) + s] = (tile[c * (T + 1u) + s] - mean[s]) * scale[s] * g + o;
    }
    barrier();
    write_tile(Q, b, t0);
    barrier();
    [[unroll]] for (uint i = 0u; i < CPT; i++) {
        float y[T];
        short_conv(V, i, y);
        [[unroll]] for (uint s = 0u; s < T; s++) tile[(gl_LocalInvocationID.x + i * WG) * (T + 1u) + s] = y[s];
    }
    barrier();
    write_tile(V, b, t0);
}
