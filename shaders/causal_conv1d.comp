#version 450
#extension GL_EXT_control_flow_attributes : require
// Dao's causal_conv1d_fn: x (B, D, L) with any strides, optional seq_idx segments, initial and
// final states, fused bias and activation. Two mappings keep every load and store coalesced:
//  - channels innermost in memory (channels-last storage): neighbouring invocations take
//    neighbouring channels, and each computes TILE consecutive outputs of its row from a register
//    window of TILE + W - 1 inputs;
//  - time innermost (channels-first): a workgroup stages ROW_TILE + W - 1 inputs (and their
//    segments) of each of its ROWS rows in shared memory, and each invocation computes PER_THREAD
//    outputs WORKGROUP apart (conflict-free shared reads, coalesced writes). Long rows take one
//    row per workgroup, as depthwise_conv1d does; short rows share one, ROWS of them.
// Loops over the width and the outputs unroll fully so that register arrays stay in registers.
// Float tensors in f32, f16 or bf16 (DTYPES, dtype.glsl).
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint WIDTH = 4u;
layout(constant_id = 2) const uint TILE = 8u;
layout(constant_id = 3) const uint PER_THREAD = 4u;
layout(constant_id = 4) const uint SEGMENTS = 0u; // seq_idx given: without it the masks compile away
layout(constant_id = 5) const uint ROWS = 1u;     // a power of two; ROW_TILE keeps at least W slots
layout(constant_id = 6) const uint DTYPES = 0u;

const uint WORKGROUP = gl_WorkGroupSize.x;
const uint ROW_TILE = WORKGROUP * PER_THREAD / ROWS; // outputs of each row per workgroup
const uint SPAN = ROW_TILE + WIDTH - 1u;             // staged positions of each row

SUBQ_FLOAT_BUFFER(0, readonly, x)
SUBQ_FLOAT_BUFFER(1, readonly, w)
SUBQ_FLOAT_BUFFER(2, readonly, bias)
layout(std430, binding = 3) readonly buffer Seq { int seq[]; };
SUBQ_FLOAT_BUFFER(4, readonly, init)
SUBQ_FLOAT_BUFFER(5, writeonly, y)
SUBQ_FLOAT_BUFFER(6, writeonly, final_states)

layout(push_constant) uniform Params {
    uint x_first, w_first, bias_first, seq_first, init_first, y_first, final_first;
    uint batch, dim, len, flags;
    uint x_stride[3], y_stride[3], w_stride[2], seq_stride[2], init_stride[3], final_stride[3];
    uint bias_stride;
} p;

const uint HAS_BIAS = 1u;
const uint HAS_INIT = 2u;
const uint HAS_FINAL = 4u;
const uint SILU = 8u;
const uint CHANNELS_INNER = 16u;

// Time innermost: row_x[r * SPAN + i] and row_seg[r * SPAN + i] are the value and segment of the
// workgroup's row r at position t0 - (W-1) + i.
shared float row_x[ROWS * SPAN];
shared int row_seg[SEGMENTS != 0u ? ROWS * SPAN : 1u];

float weights[WIDTH];
float channel_bias;

void load_channel(uint c) {
    [[unroll]] for (uint j = 0u; j < WIDTH; j++) weights[j] = SUBQ_LOAD(w, 1, p.w_first + c * p.w_stride[0] + j * p.w_stride[1]);
    channel_bias = (p.flags & HAS_BIAS) != 0u ? SUBQ_LOAD(bias, 2, p.bias_first + c * p.bias_stride) : 0.0;
}

// x of row (b, c) at position pos, 0 past the end. The load itself is unconditional (clamped
// address) so that the loads of an unrolled loop can all be in flight at once.
float x_tap(uint b, uint c, int pos) {
    float v = SUBQ_LOAD(x, 0, p.x_first + b * p.x_stride[0] + c * p.x_stride[1] +
                                  uint(clamp(pos, 0, int(p.len) - 1)) * p.x_stride[2]);
    return pos < int(p.len) ? v : 0.0;
}

// cat(initial_states, x) of row (b, c) at position pos (negative: the state).
float row_tap(uint b, uint c, int pos) {
    float v = x_tap(b, c, pos);
    if (pos >= 0) return v;
    if ((p.flags & HAS_INIT) == 0u) return 0.0;
    uint col = uint(int(WIDTH - 1u) + pos);
    return SUBQ_LOAD(init, 4, p.init_first + b * p.init_stride[0] + c * p.init_stride[1] + col * p.init_stride[2]);
}

// Positions before 0 belong to the segment of position 0: the state continues it.
int segment(uint b, int pos) {
    if (SEGMENTS == 0u) return 0;
    uint t = uint(clamp(pos, 0, int(p.len) - 1));
    return seq[p.seq_first + b * p.seq_stride[0] + t * p.seq_stride[1]];
}

float activate(float acc) {
    return (p.flags & SILU) != 0u ? acc / (1.0 + exp(-acc)) : acc;
}

void write_final_states(uint b, uint c) {
    [[unroll]] for (uint i = 0u; i + 1u < WIDTH; i++) {
        float v = row_tap(b, c, int(p.len) - int(WIDTH - 1u) + int(i));
        SUBQ_STORE(final_states, 6, p.final_first + b * p.final_stride[0] + c * p.final_stride[1] + i * p.final_stride[2], v);
    }
}

// The invocation that writes a row's last output also writes its final state.
void store(uint b, uint c, uint t, float v) {
    SUBQ_STORE(y, 5, p.y_first + b * p.y_stride[0] + c * p.y_stride[1] + t * p.y_stride[2], v);
    if ((p.flags & HAS_FINAL) != 0u && t + 1u == p.len) write_final_states(b, c);
}

void channels_inner(uint id) {
    uint tiles = (p.len + TILE - 1u) / TILE;
    if (id >= p.batch * p.dim * tiles) return;
    uint c = id % p.dim;
    uint t0 = (id / p.dim) % tiles * TILE;
    uint b = id / p.dim / tiles;
    load_channel(c);

    // xv[k] and sv[k]: value and segment at position t0 - (W-1) + k.
    float xv[TILE + WIDTH - 1u];
    int sv[TILE + WIDTH - 1u];
    [[unroll]] for (uint k = 0u; k < TILE + WIDTH - 1u; k++) {
        int pos = int(t0) - int(WIDTH - 1u) + int(k);
        xv[k] = row_tap(b, c, pos);
        sv[k] = segment(b, pos);
    }
    [[unroll]] for (uint i = 0u; i < TILE; i++) {
        uint t = t0 + i;
        if (t >= p.len) break;
        int own = sv[i + WIDTH - 1u];
        float acc = channel_bias;
        [[unroll]] for (uint j = 0u; j < WIDTH; j++)
            if (sv[i + j] == own) acc += weights[j] * xv[i + j];
        store(b, c, t, own < 0 ? 0.0 : activate(acc));
    }
}

// The output whose taps are staged at [at, at + W), masked to its own segment.
float staged_output(uint at) {
    float acc = channel_bias;
    int own = SEGMENTS != 0u ? row_seg[at + WIDTH - 1u] : 0;
    [[unroll]] for (uint n = 0u; n < WIDTH; n++)
        acc += SEGMENTS == 0u || row_seg[at + n] == own ? weights[n] * row_x[at + n] : 0.0;
    return own < 0 ? 0.0 : activate(acc);
}

// ROWS = 1: the row, its channel and its addresses are the workgroup's, worked out once (with
// short_rows' per-output bookkeeping instead, this shape measured 4% slower on the H100).
void long_row(uint group) {
    uint tiles = (p.len + ROW_TILE - 1u) / ROW_TILE;
    uint row = group / tiles, t0 = group % tiles * ROW_TILE;
    if (row >= p.batch * p.dim) return;
    uint b = row / p.dim, c = row % p.dim;
    uint lid = gl_LocalInvocationID.x;
    // The tile's own positions are never before 0; only the W-1 before them can reach the state.
    [[unroll]] for (uint q = 0u; q < PER_THREAD; q++) {
        uint i = q * WORKGROUP + lid;
        row_x[WIDTH - 1u + i] = x_tap(b, c, int(t0 + i));
        if (SEGMENTS != 0u) row_seg[WIDTH - 1u + i] = segment(b, int(t0 + i));
    }
    for (uint i = lid; i < WIDTH - 1u; i += WORKGROUP) {
        int pos = int(t0) - int(WIDTH - 1u) + int(i);
        row_x[i] = row_tap(b, c, pos);
        if (SEGMENTS != 0u) row_seg[i] = segment(b, pos);
    }
    load_channel(c);
    barrier();

    uint y_row = p.y_first + b * p.y_stride[0] + c * p.y_stride[1];
    [[unroll]] for (uint q = 0u; q < PER_THREAD; q++) {
        uint j = q * WORKGROUP + lid;
        if (t0 + j >= p.len) break;
        SUBQ_STORE(y, 5, y_row + (t0 + j) * p.y_stride[2], staged_output(j));
    }
    // The final state, positions L-(W-1) .. L-1, lies in the row's last tile.
    if ((p.flags & HAS_FINAL) != 0u && t0 + ROW_TILE >= p.len)
        for (uint i = lid; i < WIDTH - 1u; i += WORKGROUP)
            SUBQ_STORE(final_states, 6, p.final_first + b * p.final_stride[0] + c * p.final_stride[1] + i * p.final_stride[2], row_x[p.len - t0 + i]);
}

// ROWS > 1: whole rows (L <= ROW_TILE), row r of the workgroup at row_x[r * SPAN].
void short_rows(uint group) {
    uint row0 = group * ROWS, rows = p.batch * p.dim;
    if (row0 >= rows) return;
    uint lid = gl_LocalInvocationID.x;
    // Positions 0 .. ROW_TILE-1 of each row; slots of rows past the last stage the last row again
    // (never stored), so the loads need no branch.
    [[unroll]] for (uint q = 0u; q < PER_THREAD; q++) {
        uint i = q * WORKGROUP + lid;
        uint r = i / ROW_TILE, t = i % ROW_TILE;
        uint row = min(row0 + r, rows - 1u), b = row / p.dim;
        row_x[r * SPAN + WIDTH - 1u + t] = x_tap(b, row % p.dim, int(t));
        if (SEGMENTS != 0u) row_seg[r * SPAN + WIDTH - 1u + t] = segment(b, int(t));
    }
    for (uint i = lid; i < ROWS * (WIDTH - 1u); i += WORKGROUP) {
        uint r = i / (WIDTH - 1u), k = i % (WIDTH - 1u);
        uint row = min(row0 + r, rows - 1u), b = row / p.dim;
        int pos = int(k) - int(WIDTH - 1u);
        row_x[r * SPAN + k] = row_tap(b, row % p.dim, pos);
        if (SEGMENTS != 0u) row_seg[r * SPAN + k] = segment(b, pos);
    }
    barrier();

    [[unroll]] for (uint q = 0u; q < PER_THREAD; q++) {
        uint j = q * WORKGROUP + lid;
        uint r = j / ROW_TILE, t = j % ROW_TILE, row = row0 + r;
        if (row >= rows || t >= p.len) continue;
        uint b = row / p.dim, c = row % p.dim;
        load_channel(c);
        SUBQ_STORE(y, 5, p.y_first + b * p.y_stride[0] + c * p.y_stride[1] + t * p.y_stride[2], staged_output(r * SPAN + t));
    }
    // The final states, positions L-(W-1) .. L-1 of each row.
    if ((p.flags & HAS_FINAL) != 0u)
        for (uint i = lid; i < ROWS * (WIDTH - 1u); i += WORKGROUP) {
            uint r = i / (WIDTH - 1u), k = i % (WIDTH - 1u), row = row0 + r;
            if (row < rows)
                SUBQ_STORE(final_states, 6, p.final_first + row / p.dim * p.final_stride[0] + row % p.dim * p.final_stride[1] +
                             k * p.final_stride[2], row_x[r * SPAN + p.len + k]);
        }
}

void main() {
    if ((p.flags & CHANNELS_INNER) != 0u) {
        uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
        channels_inner(id);
    } else {
        uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
        if (ROWS == 1u) long_row(group);
        else short_rows(group);
    }
}
