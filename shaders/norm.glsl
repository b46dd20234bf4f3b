// Body of norm.comp and norm_subgroup.comp, which include dtype.glsl first (the latter defines NORM_SUBGROUP and reduces with
// subgroup arithmetic; the former only with shared memory, for devices without it).
//
// RMS, layer or L2 norm over the channel axis of every row, where a row is one index of all other
// axes (up to 4, padded with leading size-1 axes), optionally fused with a gate a * act(b) before
// or after the norm. Two ways to walk a row:
//  - COLUMNS = 0 (channels the densest axis, as channels-last; or very long rows): one workgroup
//    per row, invocations on neighbouring channels. With VALS > 0 each invocation keeps its VALS values in registers, so x
//    is read once; VALS = 0 (rows longer than registers hold) reads the row again per pass.
//  - COLUMNS = 1 (channels-first): a workgroup takes COLUMN_ROWS neighbouring rows (spatial
//    positions), so every read of a channel is coalesced, and splits their channels into
//    WG / COLUMN_ROWS slices summed in shared memory; stats in one pass. With one invocation per
//    row walking all its channels, an H100 ran at 20% of copy bandwidth (too few loads in flight).
#extension GL_GOOGLE_include_directive : require
#include "activation.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint VALS = 4u;
layout(constant_id = 2) const uint COLUMNS = 0u;
layout(constant_id = 3) const uint DTYPES = 0u; // dtype.glsl

const uint WG = gl_WorkGroupSize.x;
const uint KIND_RMS = 0u, KIND_LAYER = 1u, KIND_L2 = 2u;
const uint HAS_GAMMA = 1u, HAS_BETA = 2u, GATE_BEFORE = 4u, GATE_AFTER = 8u;

SUBQ_FLOAT_BUFFER(0, readonly, a)
SUBQ_FLOAT_BUFFER(1, readonly, b)
SUBQ_FLOAT_BUFFER(2, readonly, gamma)
SUBQ_FLOAT_BUFFER(3, readonly, beta)
SUBQ_FLOAT_BUFFER(4, writeonly, y)

layout(push_constant) uniform Params {
    uint a_first, b_first, gamma_first, beta_first, y_first;
    uint channels;
    uint rows;
    uint size[4];     // the row axes
    uint a_stride[5]; // the row axes, then the channel axis
    uint b_stride[5];
    uint y_stride[5];
    float eps;
    uint kind;
    uint activation;
    uint flags;
} p;

uint a_row, b_row, y_row;

void locate_row(uint row) {
    a_row = p.a_first;
    b_row = p.b_first;
    y_row = p.y_first;
    for (int axis = 3; axis >= 0 && row != 0u; axis--) {
        uint i = row % p.size[axis];
        row /= p.size[axis];
        a_row += i * p.a_stride[axis];
        b_row += i * p.b_stride[axis];
        y_row += i * p.y_stride[axis];
    }
}

// What the norm reads at channel c: a, or a * act(b) with the gate before the norm.
float load(uint c) {
    float v = SUBQ_LOAD(a, 0, a_row + c * p.a_stride[4]);
    if ((p.flags & GATE_BEFORE) != 0u) v *= subq_activate(SUBQ_LOAD(b, 1, b_row + c * p.b_stride[4]), p.activation);
    return v;
}

// The layer norm's statistics are of d = x - first (the row's first value): d is exact for values
// near the row's own, so a mean far from zero costs no precision. (x - first) - mean_d, not
// x - mean, keeps that in the output too. RMS and L2 pass first = mean_d = 0.
struct normaliser {
    float first, mean_d, scale;
};

void store(uint c, float v, normaliser n) {
    v = ((v - n.first) - n.mean_d) * n.scale;
    if ((p.flags & HAS_GAMMA) != 0u) v *= SUBQ_LOAD(gamma, 2, p.gamma_first + c);
    if ((p.flags & HAS_BETA) != 0u) v += SUBQ_LOAD(beta, 3, p.beta_first + c);
    if ((p.flags & GATE_AFTER) != 0u) v *= subq_activate(SUBQ_LOAD(b, 1, b_row + c * p.b_stride[4]), p.activation);
    SUBQ_STORE(y, 4, y_row + c * p.y_stride[4], v);
}

// From sums over the row of d and d^2 (d = x - first; for the layer norm d^2 may be taken about
// mean_d already, then sum is 0).
normaliser make_normaliser(float first, float sum, float sum_sq) {
    float n = float(p.channels);
    float mean_d = sum / n;
    if (p.kind == KIND_LAYER) {
        float var = max(sum_sq / n - mean_d * mean_d, 0.0);
        return normaliser(first, mean_d, inversesqrt(var + p.eps));
    }
    if (p.kind == KIND_L2) return normaliser(0.0, 0.0, 1.0 / max(sqrt(sum_sq), p.eps));
    return normaliser(0.0, 0.0, inversesqrt(sum_sq / n + p.eps));
}

const uint COLUMN_ROWS = 32u;
const uint SLICES = WG / COLUMN_ROWS; // WG is a multiple of COLUMN_ROWS (host)
shared float column_sum[WG], column_sum_sq[WG];

void columns_main(uint group) {
    uint lane = gl_LocalInvocationID.x % COLUMN_ROWS, slice = gl_LocalInvocationID.x / COLUMN_ROWS;
    uint row = group * COLUMN_ROWS + lane;
    bool valid = row < p.rows; // no return: every invocation reaches the barrier
    locate_row(valid ? row : 0u);
    float first = p.kind == KIND_LAYER ? load(0u) : 0.0;
    float sum = 0.0, sum_sq = 0.0;
    for (uint c = slice; c < p.channels; c += SLICES) {
        float d = load(c) - first;
        sum += d;
        sum_sq += d * d;
    }
    column_sum[gl_LocalInvocationID.x] = sum;
    column_sum_sq[gl_LocalInvocationID.x] = sum_sq;
    barrier();
    sum = 0.0, sum_sq = 0.0;
    for (uint i = 0u; i < SLICES; i++) {
        sum += column_sum[i * COLUMN_ROWS + lane];
        sum_sq += column_sum_sq[i * COLUMN_ROWS + lane];
    }
    normaliser n = make_normaliser(first, sum, sum_sq);
    if (valid)
        for (uint c = slice; c < p.channels; c += SLICES) store(c, load(c), n);
}

#ifdef NORM_SUBGROUP
shared float partial[WG]; // one per subgroup; WG bounds the subgroup count

float workgroup_sum(float s) {
    s = subgroupAdd(s);
    if (subgroupElect()) partial[gl_SubgroupID] = s;
    barrier();
    float total = 0.0;
    for (uint i = 0u; i < gl_NumSubgroups; i++) total += partial[i];
    barrier(); // partial is reused by the next sum
    return total;
}
#else
shared float partial[WG];

float workgroup_sum(float s) { // WG is a power of two (host)
    uint lid = gl_LocalInvocationID.x;
    partial[lid] = s;
    barrier();
    for (uint n = WG / 2u; n > 0u; n /= 2u) {
        if (lid < n) partial[lid] += partial[lid + n];
        barrier();
    }
    float total = partial[0];
    barrier();
    return total;
}
#endif

float v[VALS > 0u ? VALS : 1u];

// This invocation's part of sum(((x - first) - mean_d)^power) over the row, power 1 or 2.
float local_sum(float first, float mean_d, uint power) {
    float s = 0.0;
    if (VALS > 0u) {
        for (uint i = 0u; i < VALS; i++) {
            uint c = gl_LocalInvocationID.x + i * WG;
            float d = (v[i] - first) - mean_d;
            if (c < p.channels) s += power == 1u ? d : d * d;
        }
    } else {
        for (uint c = gl_LocalInvocationID.x; c < p.channels; c += WG) {
            float d = (load(c) - first) - mean_d;
            s += power == 1u ? d : d * d;
        }
    }
    return s;
}

// Two passes over the row for the layer norm's variance: free for rows in registers, a read per
// pass for streamed rows.
void rows_main(uint row) {
    if (row >= p.rows) return; // uniform per workgroup: no barrier is skipped by part of it
    locate_row(row);
    if (VALS > 0u)
        for (uint i = 0u; i < VALS; i++) {
            uint c = gl_LocalInvocationID.x + i * WG;
            v[i] = c < p.channels ? load(c) : 0.0;
        }
    normaliser n;
    if (p.kind == KIND_LAYER) {
        float first = load(0u);
        float mean_d = workgroup_sum(local_sum(first, 0.0, 1u)) / float(p.channels);
        n = make_normaliser(first, 0.0, workgroup_sum(local_sum(first, mean_d, 2u)));
        n.mean_d = mean_d;
    } else {
        n = make_normaliser(0.0, 0.0, workgroup_sum(local_sum(0.0, 0.0, 2u)));
    }
    if (VALS > 0u) {
        for (uint i = 0u; i < VALS; i++) {
            uint c = gl_LocalInvocationID.x + i * WG;
            if (c < p.channels) store(c, v[i], n);
        }
    } else {
        for (uint c = gl_LocalInvocationID.x; c < p.channels; c += WG) store(c, load(c), n);
    }
}

void main() {
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (COLUMNS != 0u) columns_main(group);
    else rows_main(group);
}
