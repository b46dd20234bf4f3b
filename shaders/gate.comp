#version 450
// y = a * act(b) (HAS_A = 1) or y = act(b) (HAS_A = 0) over tensors of one shape and any strides
// (rank <= 5, padded with leading size-1 axes). VEC4 = 1: the last axis is contiguous in every
// tensor, its size and every other stride and first element are multiples of 4 (checked by the
// host), so each invocation moves four neighbours as one 16-byte access; f32 tensors only.
// TRANSPOSE: a and b are contiguous along the last axis but y along axis p.tile_axis (Hyena's
// channels-first product written channels-last): a workgroup reads a 32 x 32 tile with the last
// axis innermost and writes it through shared memory with tile_axis innermost, where one invocation
// per element wrote 4 bytes per 32-byte sector.
#extension GL_GOOGLE_include_directive : require
#include "activation.glsl"
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint VEC4 = 0u;
layout(constant_id = 2) const uint HAS_A = 1u;
layout(constant_id = 3) const uint DTYPES = 0u; // dtype.glsl
layout(constant_id = 4) const bool TRANSPOSE = false; // then the workgroup is 256 invocations

SUBQ_FLOAT_BUFFER(0, readonly, a)
SUBQ_FLOAT_BUFFER(1, readonly, b)
SUBQ_FLOAT_BUFFER(2, writeonly, y)
layout(std430, binding = 0) readonly buffer A4 { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer B4 { vec4 b4[]; };
layout(std430, binding = 2) writeonly buffer Y4 { vec4 y4[]; };

layout(push_constant) uniform Params {
    uint a_first, b_first, y_first;
    uint activation;
    uint size[5];
    uint a_stride[5];
    uint b_stride[5];
    uint y_stride[5];
    uint tile_axis;
} p;

float gated(uint ai, uint bi) {
    float v = subq_activate(SUBQ_LOAD(b, 1, bi), p.activation);
    return HAS_A != 0u ? SUBQ_LOAD(a, 0, ai) * v : v;
}

const uint TILE = 32u;
shared float tile[TILE * (TILE + 1u)];

// Workgroup: one index of the axes other than tile_axis and the last, 32 of each of those two.
void transposed() {
    uint ta = p.tile_axis, tiles_t = (p.size[ta] + TILE - 1u) / TILE, tiles_i = (p.size[4] + TILE - 1u) / TILE;
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    uint t0 = group / tiles_i % tiles_t * TILE, i0 = group % tiles_i * TILE, rest = group / (tiles_i * tiles_t);
    uint ai = p.a_first, bi = p.b_first, yi = p.y_first;
    for (int axis = 3; axis >= 0; axis--) {
        if (uint(axis) == ta) continue;
        uint i = rest % p.size[axis];
        rest /= p.size[axis];
        ai += i * p.a_stride[axis];
        bi += i * p.b_stride[axis];
        yi += i * p.y_stride[axis];
    }
    if (rest != 0u) return; // past the last tile: the whole workgroup
    uint lane = gl_LocalInvocationID.x % TILE, row = gl_LocalInvocationID.x / TILE;
    uint rows = gl_WorkGroupSize.x / TILE;
    for (uint j = row; j < TILE; j += rows)
        if (t0 + j < p.size[ta] && i0 + lane < p.size[4])
            tile[j * (TILE + 1u) + lane] = gated(ai + (t0 + j) * p.a_stride[ta] + (i0 + lane) * p.a_stride[4],
                                                 bi + (t0 + j) * p.b_stride[ta] + (i0 + lane) * p.b_stride[4]);
    barrier();
    for (uint j = row; j < TILE; j += rows)
        if (t0 + lane < p.size[ta] && i0 + j < p.size[4])
            SUBQ_STORE(y, 2, yi + (t0 + lane) * p.y_stride[ta] + (i0 + j) * p.y_stride[4],
                       tile[lane * (TILE + 1u) + j]);
}

void main() {
    if (TRANSPOSE) {
        transposed();
        return;
    }
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint inner = VEC4 != 0u ? p.size[4] / 4u : p.size[4];
    if (id >= p.size[0] * p.size[1] * p.size[2] * p.size[3] * inner) return;
    uint ai = p.a_first, bi = p.b_first, yi = p.y_first;
    uint i = id % inner, rest = id / inner;
    if (VEC4 != 0u) i *= 4u;
    ai += i * p.a_stride[4];
    bi += i * p.b_stride[4];
    yi += i * p.y_stride[4];
    for (int axis = 3; axis >= 0 && rest != 0u; axis--) { // leading indices of 0 add nothing
        i = rest % p.size[axis];
        rest /= p.size[axis];
        ai += i * p.a_stride[axis];
        bi += i * p.b_stride[axis];
        yi += i * p.y_stride[axis];
    }
    if (VEC4 != 0u) {
        vec4 v = b4[bi / 4u];
        for (uint k = 0u; k < 4u; k++) v[k] = subq_activate(v[k], p.activation);
        y4[yi / 4u] = HAS_A != 0u ? a4[ai / 4u] * v : v;
    } else {
        SUBQ_STORE(y, 2, yi, gated(ai, bi));
    }
}
