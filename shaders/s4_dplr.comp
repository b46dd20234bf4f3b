#version 450
#extension GL_GOOGLE_include_directive : require
// The S4 (DPLR, rank 1) kernel's spectrum at the Lk-point FFT nodes, dense [rows, Lk/2 + 1, 2]
// (unnormalised: the inverse divides by Lk). With omega = exp(-2 pi i k / Lk),
// a = 2 (1 - omega), b = 1 + omega, z = a / b, and rho(v) = sum_n v/(a - w b) + conj(v)/(a - conj(w) b)
// (so that the SPEC's Cauchy sum is r = b rho), the SPEC's
//     k_f = (r_BC - r_BQ r_PC / (1 + r_PQ)) * 2 / (1 + omega)
// equals 2 rho_BC - 2 b rho_BQ rho_PC / (1 + b rho_PQ), finite at omega = -1 (k = Lk/2).
// w = A dt, v_XY = X Y dt, Q = conj(P). One invocation per (row, k) of the launch, two modes
// (constant_id 1):
//  KERNEL  row = c * H + h: the kernel, X = B
//  STATE   row = (b * C + c) * H + h: the state's response (lrnnx's k_state), X = the state s as an
//          input, s / dt + A s / 2 with A = diag(Lambda) - P Q^T over both members of each pair
//          (its low-rank part is P 2 Re(sum_n Q s)), so that dA s = (I - dt/2 A)^-1 dt X.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint MODE = 0u;
const uint KERNEL = 0u, STATE = 1u;

layout(push_constant) uniform Push {
    uint first[6];
    uint n2, n_ssm, h, rows, row0, points, lk, channels, state_first;
    float rate;
} p;

#include "s4_complex.glsl"

layout(std430, binding = 0) readonly buffer ARealBuf { float a_real[]; };
layout(std430, binding = 1) readonly buffer AImagBuf { float a_imag[]; };
layout(std430, binding = 2) readonly buffer BBuf { float b_param[]; };
layout(std430, binding = 3) readonly buffer CBuf { float c_param[]; };
layout(std430, binding = 4) readonly buffer DtBuf { float inv_dt[]; };
layout(std430, binding = 5) readonly buffer PBuf { float p_param[]; };
layout(std430, binding = 6) writeonly buffer Spectrum { vec2 spectrum[]; };
layout(std430, binding = 7) readonly buffer StateBuf { float state_[]; };

vec2 load2(uint which, uint i) {
    if (which == 2u) return vec2(b_param[p.first[2] + 2u * i], b_param[p.first[2] + 2u * i + 1u]);
    if (which == 3u) return vec2(c_param[p.first[3] + 2u * i], c_param[p.first[3] + 2u * i + 1u]);
    if (which == 7u) return vec2(state_[p.state_first + 2u * i], state_[p.state_first + 2u * i + 1u]);
    return vec2(p_param[p.first[5] + 2u * i], p_param[p.first[5] + 2u * i + 1u]);
}

vec2 term(vec2 v, vec2 w, vec2 a, vec2 b) {
    return cdiv(v, a - cmul(w, b)) + cdiv(cconj(v), a - cmul(cconj(w), b));
}

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.rows * p.points) return;
    uint k = id % p.points, row = p.row0 + id / p.points, h = row % p.h, c_row = row % (p.channels * p.h);
    uint s_row = (row / (p.channels * p.h)) * p.h + h; // the state's (b, h) in STATE mode
    float angle = -S4_TWO_PI * float(k) / float(p.lk);
    vec2 omega = vec2(cos(angle), sin(angle));
    vec2 a = 2.0 * (vec2(1.0, 0.0) - omega), b = vec2(1.0, 0.0) + omega;
    float dt = exp(inv_dt[p.first[4] + h]) * p.rate;
    float qs = 0.0; // 2 Re sum_n Q s
    if (MODE == STATE)
        for (uint n = 0u; n < p.n2; n++) qs += 2.0 * dot(load2(5u, (h % p.n_ssm) * p.n2 + n), load2(7u, s_row * p.n2 + n));
    vec2 bc = vec2(0.0), bq = vec2(0.0), pc = vec2(0.0), pq = vec2(0.0);
    for (uint n = 0u; n < p.n2; n++) {
        uint s = (h % p.n_ssm) * p.n2 + n;
        vec2 lambda = vec2(-exp(a_real[p.first[0] + s]), -a_imag[p.first[1] + s]), w = dt * lambda;
        vec2 pn = load2(5u, s), qn = cconj(pn), cn = load2(3u, c_row * p.n2 + n), xn;
        if (MODE == STATE) {
            vec2 sn = load2(7u, s_row * p.n2 + n);
            xn = sn + 0.5 * dt * (cmul(lambda, sn) - qs * pn); // dt (s / dt + A s / 2)
        } else {
            xn = dt * load2(2u, s);
        }
        bc += term(cmul(xn, cn), w, a, b);
        bq += term(cmul(xn, qn), w, a, b);
        pc += term(dt * cmul(pn, cn), w, a, b);
        pq += term(dt * cmul(pn, qn), w, a, b);
    }
    vec2 kf = 2.0 * bc - 2.0 * cdiv(cmul(b, cmul(bq, pc)), vec2(1.0, 0.0) + cmul(b, pq));
    if (k == 0u || 2u * k == p.lk) kf.y = 0.0; // irfft ignores these imaginary parts
    spectrum[id] = kf;
}
