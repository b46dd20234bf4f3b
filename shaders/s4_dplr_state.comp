#version 450
#extension GL_GOOGLE_include_directive : require
// S4's (DPLR, rank 1) recurrence at rate 1, the original's "linear" step: with A = diag(Lambda) -
// P Q^T over both members of each conjugate pair (Q = conj P, so a sum over them is 2 Re of the sum
// over the N2 modes held), the bilinear s' = (I - dt/2 A)^-1 ((I + dt/2 A) s + dt B u) is
//     t = E s - P 2 Re(sum_n Q s) + 2 B u,   s' = D (t - P 2 Re(sum_n R t)),
// D = (2/dt - Lambda)^-1, E = 2/dt + Lambda, R = Q D / (1 + 2 Re sum_n Q D P) (Woodbury over the
// diagonal), from s4_dplr_coeffs.comp. Two modes (constant_id 1), one invocation per (b, h):
//  FORWARD_STATE  out[b, h] = the state after x[b, h, 0..L) from state[b, h]
//  STEP           out[b, h] = one step with x[b, h]; y[b, c, h] = 2 Re sum_n dC s'
// x is read through strides (b, h, l); out may be state itself (each invocation reads its own row
// before writing it). x and y may be f32, f16 or bf16; the state, out and coefficients are f32.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint MODE = 0u;
layout(constant_id = 2) const uint DTYPES = 0u; // dtype.glsl
const uint FORWARD_STATE = 0u, STEP = 1u;

layout(push_constant) uniform Push {
    uint n2, h, channels, len, batch;
    uint x_first, x_stride_b, x_stride_h, x_stride_l;
    uint state_first, coeffs_first, out_first, y_first, dc_first;
} p;

#include "dtype.glsl"
#include "s4_complex.glsl"

SUBQ_FLOAT_BUFFER(0, readonly, x)
layout(std430, binding = 1) readonly buffer StateBuf { float state_[]; };
layout(std430, binding = 2) readonly buffer CoeffBuf { vec2 coeffs[]; };
layout(std430, binding = 3) buffer OutBuf { float out_[]; };
SUBQ_FLOAT_BUFFER(4, writeonly, y)
layout(std430, binding = 5) readonly buffer DcBuf { vec2 dc[]; };

// The caller's state tensors may start at any element: read as floats.
vec2 state(uint i) { return vec2(state_[p.state_first + 2u * i], state_[p.state_first + 2u * i + 1u]); }
vec2 out_get(uint i) { return vec2(out_[p.out_first + 2u * i], out_[p.out_first + 2u * i + 1u]); }
void out_set(uint i, vec2 v) { out_[p.out_first + 2u * i] = v.x; out_[p.out_first + 2u * i + 1u] = v.y; }

const uint D = 0u, E = 1u, R = 2u, P = 3u, B = 4u;
vec2 coef(uint h, uint n, uint which) { return coeffs[p.coeffs_first / 2u + (h * p.n2 + n) * 5u + which]; }

// One step of row bh = b * H + h from the state (first) or from out_ (later), into out_.
void advance(uint bh, uint h, float u, bool first) {
    uint s0 = bh * p.n2;
    float qs = 0.0, rt = 0.0;
    for (uint n = 0u; n < p.n2; n++) qs += 2.0 * dot(coef(h, n, P), first ? state(s0 + n) : out_get(s0 + n));
    for (uint n = 0u; n < p.n2; n++) {
        vec2 t = cmul(coef(h, n, E), first ? state(s0 + n) : out_get(s0 + n)) - qs * coef(h, n, P) +
                 2.0 * u * coef(h, n, B);
        vec2 r = coef(h, n, R);
        rt += 2.0 * (r.x * t.x - r.y * t.y);
        out_set(s0 + n, t);
    }
    for (uint n = 0u; n < p.n2; n++) out_set(s0 + n, cmul(coef(h, n, D), out_get(s0 + n) - rt * coef(h, n, P)));
}

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.batch * p.h) return;
    uint h = id % p.h, xb = p.x_first + (id / p.h) * p.x_stride_b + h * p.x_stride_h;
    if (MODE == FORWARD_STATE) {
        for (uint t = 0u; t < p.len; t++) advance(id, h, SUBQ_LOAD(x, 0, xb + t * p.x_stride_l), t == 0u);
        return;
    }
    advance(id, h, SUBQ_LOAD(x, 0, xb), true);
    for (uint c = 0u; c < p.channels; c++) {
        float acc = 0.0;
        for (uint n = 0u; n < p.n2; n++) {
            vec2 d = dc[p.dc_first / 2u + (c * p.h + h) * p.n2 + n], s = out_get(id * p.n2 + n);
            acc += d.x * s.x - d.y * s.y;
        }
        SUBQ_STORE(y, 4, p.y_first + ((id / p.h) * p.channels + c) * p.h + h, 2.0 * acc);
    }
}
