#version 450
// Dao's causal_conv1d_fn: x (B, D, L) with any strides, optional seq_idx segments, initial and
// final states, fused bias and activation. Each invocation computes TILE consecutive outputs of
// one (b, c) row from a register window of TILE + W - 1 inputs. Neighbouring invocations take
// neighbouring channels when channels are innermost in memory (channels-last storage), otherwise
// neighbouring tiles of one row, so loads coalesce either way.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint WIDTH = 4u;
layout(constant_id = 2) const uint TILE = 8u;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Wt { float w[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) readonly buffer Seq { int seq[]; };
layout(std430, binding = 4) readonly buffer Init { float init[]; };
layout(std430, binding = 5) writeonly buffer Y { float y[]; };
layout(std430, binding = 6) writeonly buffer Final { float final_states[]; };

layout(push_constant) uniform Params {
    uint x_first, w_first, bias_first, seq_first, init_first, y_first, final_first;
    uint batch, dim, len, flags;
    uint x_stride[3], y_stride[3], w_stride[2], seq_stride[2], init_stride[3], final_stride[3];
    uint bias_stride;
} p;

const uint HAS_BIAS = 1u;
const uint HAS_SEQ = 2u;
const uint HAS_INIT = 4u;
const uint HAS_FINAL = 8u;
const uint SILU = 16u;
const uint CHANNELS_INNER = 32u;

// cat(initial_states, x) of row (b, c) at position pos (negative: the state; 0 past the end).
float row_tap(uint b, uint c, int pos) {
    if (pos >= int(p.len)) return 0.0;
    if (pos >= 0) return x[p.x_first + b * p.x_stride[0] + c * p.x_stride[1] + uint(pos) * p.x_stride[2]];
    if ((p.flags & HAS_INIT) == 0u) return 0.0;
    uint col = uint(int(WIDTH - 1u) + pos);
    return init[p.init_first + b * p.init_stride[0] + c * p.init_stride[1] + col * p.init_stride[2]];
}

// Positions before 0 belong to the segment of position 0: the state continues it.
int segment(uint b, int pos) {
    uint t = uint(clamp(pos, 0, int(p.len) - 1));
    return seq[p.seq_first + b * p.seq_stride[0] + t * p.seq_stride[1]];
}

void write_final_states(uint b, uint c) {
    for (uint i = 0u; i + 1u < WIDTH; i++) {
        float v = row_tap(b, c, int(p.len) - int(WIDTH - 1u) + int(i));
        final_states[p.final_first + b * p.final_stride[0] + c * p.final_stride[1] + i * p.final_stride[2]] = v;
    }
}

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint tiles = (p.len + TILE - 1u) / TILE;
    if (id >= p.batch * p.dim * tiles) return;
    uint b, c, tile;
    if ((p.flags & CHANNELS_INNER) != 0u) {
        c = id % p.dim;
        tile = (id / p.dim) % tiles;
        b = id / p.dim / tiles;
    } else {
        tile = id % tiles;
        c = (id / tiles) % p.dim;
        b = id / tiles / p.dim;
    }
    uint t0 = tile * TILE;

    float wt[WIDTH];
    for (uint j = 0u; j < WIDTH; j++) wt[j] = w[p.w_first + c * p.w_stride[0] + j * p.w_stride[1]];
    float bias_c = (p.flags & HAS_BIAS) != 0u ? bias[p.bias_first + c * p.bias_stride] : 0.0;
    bool has_seq = (p.flags & HAS_SEQ) != 0u;

    // xv[k] and sv[k]: value and segment at position t0 - (W-1) + k.
    float xv[TILE + WIDTH - 1u];
    int sv[TILE + WIDTH - 1u];
    for (uint k = 0u; k < TILE + WIDTH - 1u; k++) {
        int pos = int(t0) - int(WIDTH - 1u) + int(k);
        xv[k] = row_tap(b, c, pos);
        sv[k] = has_seq ? segment(b, pos) : 0;
    }

    for (uint i = 0u; i < TILE; i++) {
        uint t = t0 + i;
        if (t >= p.len) break;
        int own = sv[i + WIDTH - 1u];
        float out_value = 0.0;
        if (own >= 0) {
            float acc = bias_c;
            for (uint j = 0u; j < WIDTH; j++)
                if (sv[i + j] == own) acc += wt[j] * xv[i + j];
            out_value = (p.flags & SILU) != 0u ? acc / (1.0 + exp(-acc)) : acc;
        }
        y[p.y_first + b * p.y_stride[0] + c * p.y_stride[1] + t * p.y_stride[2]] = out_value;
    }
    if ((p.flags & HAS_FINAL) != 0u && tile + 1u == tiles) write_final_states(b, c);
}
