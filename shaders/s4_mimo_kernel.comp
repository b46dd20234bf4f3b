#version 450
// opt_ssm_forward's strategy 1 kernel: k[l, o, i] = Re sum_n C[o, n] K[n, l] B_[n, i], each input
// real or complex (parts 1 or 2, interleaved), dense; one invocation per (l, o, i).
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer KBuf { float kk[]; };
layout(std430, binding = 1) readonly buffer BBuf { float bb[]; };
layout(std430, binding = 2) readonly buffer CBuf { float cc[]; };
layout(std430, binding = 3) writeonly buffer Out { float k[]; };

layout(push_constant) uniform Push {
    uint len, out_dim, in_dim, n, k_parts, b_parts, c_parts;
    uint k_first, b_first, c_first, out_first;
} p;

vec2 load(uint base, uint index, uint parts, bool is_k) {
    uint at = base + index * parts;
    if (is_k) return vec2(kk[at], parts == 2u ? kk[at + 1u] : 0.0);
    return vec2(bb[at], parts == 2u ? bb[at + 1u] : 0.0);
}

vec2 cmul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.len * p.out_dim * p.in_dim) return;
    uint i = id % p.in_dim, o = (id / p.in_dim) % p.out_dim, l = id / (p.in_dim * p.out_dim);
    float acc = 0.0;
    for (uint n = 0u; n < p.n; n++) {
        uint ci = p.c_first + (o * p.n + n) * p.c_parts;
        vec2 c = vec2(cc[ci], p.c_parts == 2u ? cc[ci + 1u] : 0.0);
        vec2 v = cmul(cmul(c, load(p.k_first, n * p.len + l, p.k_parts, true)),
                      load(p.b_first, n * p.in_dim + i, p.b_parts, false));
        acc += v.x;
    }
    k[p.out_first + id] = acc;
}
