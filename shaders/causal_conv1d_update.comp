#version 450
#extension GL_EXT_control_flow_attributes : require
// Dao's causal_conv1d_update: L new tokens per row against a conv state of S columns, updated in
// place. One invocation per (batch row, channel) reads its state row, computes all L outputs,
// then rewrites the row; no other invocation touches that row (unless two batch rows name the
// same slot, a race the original has too), so reads and writes need no synchronisation.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint WIDTH = 4u;
layout(constant_id = 2) const uint DTYPES = 0u; // dtype.glsl

SUBQ_FLOAT_BUFFER(0, readonly, x)
SUBQ_FLOAT_BUFFER(1, readonly, w)
SUBQ_FLOAT_BUFFER(2, readonly, bias)
SUBQ_FLOAT_BUFFER(3, , state)
layout(std430, binding = 4) readonly buffer Cache { int cache_seqlens[]; };
layout(std430, binding = 5) readonly buffer Index { int slot_index[]; };
SUBQ_FLOAT_BUFFER(6, writeonly, y)

layout(push_constant) uniform Params {
    uint x_first, w_first, bias_first, state_first, cache_first, index_first, y_first;
    uint batch, dim, len, state_len, slots, flags;
    uint x_stride[3], y_stride[3], w_stride[2], state_stride[3];
    uint bias_stride, cache_stride, index_stride;
} p;

const uint HAS_BIAS = 1u;
const uint CIRCULAR = 2u; // cache_seqlens given
const uint HAS_INDEX = 4u;
const uint SILU = 8u;

// Python's a % n (never negative), without GLSL's undefined % on negative operands.
uint floor_mod(int a, uint n) {
    return a >= 0 ? uint(a) % n : (n - 1u) - uint(-(a + 1)) % n;
}

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.batch * p.dim) return;
    uint c = id % p.dim;
    uint b = id / p.dim;
    uint x_row = p.x_first + b * p.x_stride[0] + c * p.x_stride[1];
    uint y_row = p.y_first + b * p.y_stride[0] + c * p.y_stride[1];

    int slot = (p.flags & HAS_INDEX) != 0u ? slot_index[p.index_first + b * p.index_stride] : int(b);
    if (slot < 0 || slot >= int(p.slots)) { // a slot the GPU cannot report: zeros, no state touched
        for (uint t = 0u; t < p.len; t++) SUBQ_STORE(y, 6, y_row + t * p.y_stride[2], 0.0);
        return;
    }
    uint s_row = p.state_first + uint(slot) * p.state_stride[0] + c * p.state_stride[1];
    uint S = p.state_len;
    bool circular = (p.flags & CIRCULAR) != 0u;
    int cache = circular ? cache_seqlens[p.cache_first + b * p.cache_stride] : int(S);

    float wt[WIDTH];
    [[unroll]] for (uint j = 0u; j < WIDTH; j++) wt[j] = SUBQ_LOAD(w, 1, p.w_first + c * p.w_stride[0] + j * p.w_stride[1]);
    float bias_c = (p.flags & HAS_BIAS) != 0u ? SUBQ_LOAD(bias, 2, p.bias_first + c * p.bias_stride) : 0.0;

    // win[j]: the W-1 state columns before the first token, then the token itself.
    float win[WIDTH];
    [[unroll]] for (uint j = 0u; j + 1u < WIDTH; j++)
        win[j] = SUBQ_LOAD(state, 3, s_row + floor_mod(cache - int(WIDTH - 1u) + int(j), S) * p.state_stride[2]);
    for (uint t = 0u; t < p.len; t++) {
        win[WIDTH - 1u] = SUBQ_LOAD(x, 0, x_row + t * p.x_stride[2]);
        float acc = bias_c;
        [[unroll]] for (uint j = 0u; j < WIDTH; j++) acc += wt[j] * win[j];
        SUBQ_STORE(y, 6, y_row + t * p.y_stride[2], (p.flags & SILU) != 0u ? acc / (1.0 + exp(-acc)) : acc);
        [[unroll]] for (uint j = 0u; j + 1u < WIDTH; j++) win[j] = win[j + 1u];
    }

    if (circular) {
        // With L > S only the last S tokens survive the sequential writes.
        for (uint t = p.len > S ? p.len - S : 0u; t < p.len; t++)
            SUBQ_STORE(state, 3, s_row + floor_mod(cache + int(t), S) * p.state_stride[2], SUBQ_LOAD(x, 0, x_row + t * p.x_stride[2]));
    } else {
        // Keep the last S columns of cat(state, x); ascending i reads column L + i before writing it.
        for (uint i = 0u; i < S; i++) {
            float v = p.len + i >= S ? SUBQ_LOAD(x, 0, x_row + (p.len + i - S) * p.x_stride[2])
                                     : SUBQ_LOAD(state, 3, s_row + (p.len + i) * p.state_stride[2]);
            SUBQ_STORE(state, 3, s_row + i * p.state_stride[2], v);
        }
    }
}
