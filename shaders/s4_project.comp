#version 450
// y[m, o] = sum_i x[m, i] w[o, i] in complex arithmetic, x and w real or complex (parts 1 or 2,
// interleaved as view_as_real), y complex [M, O, 2] or only its real part [M, O]. Dense tensors;
// one invocation per (m, o).
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
    uint rows, out_dim, in_dim, x_parts, w_parts, complex_out;
    uint x_first, w_first, y_first;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.rows * p.out_dim) return;
    uint o = id % p.out_dim, m = id / p.out_dim;
    vec2 acc = vec2(0.0);
    for (uint i = 0u; i < p.in_dim; i++) {
        uint xi = p.x_first + (m * p.in_dim + i) * p.x_parts, wi = p.w_first + (o * p.in_dim + i) * p.w_parts;
        vec2 a = vec2(x[xi], p.x_parts == 2u ? x[xi + 1u] : 0.0);
        vec2 b = vec2(w[wi], p.w_parts == 2u ? w[wi + 1u] : 0.0);
        acc += vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
    }
    if (p.complex_out != 0u) {
        y[p.y_first + 2u * id] = acc.x;
        y[p.y_first + 2u * id + 1u] = acc.y;
    } else {
        y[p.y_first + id] = acc.x;
    }
}
