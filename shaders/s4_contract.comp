#version 450
// A contraction in frequency space between split-complex spectra. A signal with P parts (re; or
// re and im of a complex signal, each the R2C half-spectrum of a real row) is a pair (X0, X1) of
// complex spectra; products follow (X0 + j X1)(W0 + j W1) = (X0 W0 - X1 W1) + j (X0 W1 + X1 W0).
//   Y[a, o, q, f] = sum_i X[a, i, ., f] * W[o, i, .]   with W per frequency (MODE 0: [O, I, Pw, F])
//                                                     or a scalar (MODE 1: [O, I, Pw] real numbers)
//   Y[a, o, q, f] = X[a, o, ., f] * W[o, ., f]        (MODE 2, diagonal: W [O, Pw, F])
// Every tensor dense; one invocation per (a, o, f) computes both output parts. W may be f32, f16
// or bf16 (MODE 1's W is the caller's projection); X and Y are f32 spectra.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint MODE = 0u;
layout(constant_id = 2) const uint DTYPES = 0u; // dtype.glsl

layout(std430, binding = 0) readonly buffer X { vec2 x[]; };
SUBQ_FLOAT_BUFFER(1, readonly, w)
layout(std430, binding = 2) writeonly buffer Y { vec2 y[]; };

layout(push_constant) uniform Push {
    uint outer, out_dim, in_dim, x_parts, w_parts, y_parts, points;
    uint x_first, w_first, y_first; // x, y in complex values; w in floats
} p;

vec2 cmul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

vec2 weight(uint index, uint f) {
    if (MODE == 1u) return vec2(SUBQ_LOAD(w, 1, p.w_first + index), 0.0);
    uint at = p.w_first + 2u * (index * p.points + f);
    return vec2(SUBQ_LOAD(w, 1, at), SUBQ_LOAD(w, 1, at + 1u));
}

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.outer * p.out_dim * p.points) return;
    uint f = id % p.points, o = (id / p.points) % p.out_dim, a = id / (p.points * p.out_dim);
    uint i0 = MODE == 2u ? o : 0u, i1 = MODE == 2u ? o + 1u : p.in_dim;
    vec2 y0 = vec2(0.0), y1 = vec2(0.0);
    for (uint i = i0; i < i1; i++) {
        uint xrow = (a * p.in_dim + i) * p.x_parts;
        uint wrow = (MODE == 2u ? o : o * p.in_dim + i) * p.w_parts;
        vec2 x0 = x[p.x_first + xrow * p.points + f];
        vec2 w0 = weight(wrow, f);
        y0 += cmul(x0, w0);
        if (p.w_parts == 2u) y1 += cmul(x0, weight(wrow + 1u, f));
        if (p.x_parts == 2u) {
            vec2 x1 = x[p.x_first + (xrow + 1u) * p.points + f];
            y1 += cmul(x1, w0);
            if (p.w_parts == 2u) y0 -= cmul(x1, weight(wrow + 1u, f));
        }
    }
    uint yrow = (a * p.out_dim + o) * p.y_parts;
    y[p.y_first + yrow * p.points + f] = y0;
    if (p.y_parts == 2u) y[p.y_first + (yrow + 1u) * p.points + f] = y1;
}
