#version 450
// opt_ssm_forward's strategy 1 kernel: k[l, o, i] = Re sum_n C[o, n] K[n, l] B_[n, i], each input
// real or complex (parts 1 or 2, interleaved), dense, each f32, f16 or bf16; one invocation per
// (l, o, i), into an f32 k.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"
layout(local_size_x_id = 0) in;
layout(constant_id = 2) const uint DTYPES = 0u; // dtype.glsl

SUBQ_FLOAT_BUFFER(0, readonly, kk)
SUBQ_FLOAT_BUFFER(1, readonly, bb)
SUBQ_FLOAT_BUFFER(2, readonly, cc)
layout(std430, binding = 3) writeonly buffer Out { float k[]; };

layout(push_constant) uniform Push {
    uint len, out_dim, in_dim, n, k_parts, b_parts, c_parts;
    uint k_first, b_first, c_first, out_first;
} p;

vec2 load(uint base, uint index, uint parts, bool is_k) {
    uint at = base + index * parts;
    if (is_k) return vec2(SUBQ_LOAD(kk, 0, at), parts == 2u ? SUBQ_LOAD(kk, 0, at + 1u) : 0.0);
    return vec2(SUBQ_LOAD(bb, 1, at), parts == 2u ? SUBQ_LOAD(bb, 1, at + 1u) : 0.0);
}

vec2 cmul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.len * p.out_dim * p.in_dim) return;
    uint i = id % p.in_dim, o = (id / p.in_dim) % p.out_dim, l = id / (p.in_dim * p.out_dim);
    float acc = 0.0;
    for (uint n = 0u; n < p.n; n++) {
        uint ci = p.c_first + (o * p.n + n) * p.c_parts;
        vec2 c = vec2(SUBQ_LOAD(cc, 2, ci), p.c_parts == 2u ? SUBQ_LOAD(cc, 2, ci + 1u) : 0.0);
        vec2 v = cmul(cmul(c, load(p.k_first, n * p.len + l, p.k_parts, true)),
                      load(p.b_first, n * p.in_dim + i, p.b_parts, false));
        acc += v.x;
    }
    k[p.out_first + id] = acc;
}
