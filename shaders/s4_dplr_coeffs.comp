#version 450
#extension GL_GOOGLE_include_directive : require
// S4's (DPLR, rank 1) step coefficients at rate 1 for s4_dplr_state.comp, one invocation per SSM
// row h (parameter row h mod n_ssm): coeffs[h, n] = (D, E, R, P, B), vec2 each, with
// D = (2/dt - Lambda)^-1, E = 2/dt + Lambda, R = Q D / (1 + 2 Re sum_n Q D P), Q = conj P.
layout(local_size_x_id = 0) in;

layout(push_constant) uniform Push {
    uint first[5]; // A_real, A_imag, B, P, inv_dt
    uint n2, n_ssm, h, coeffs_first;
} p;

#include "s4_complex.glsl"

layout(std430, binding = 0) readonly buffer ARealBuf { float a_real[]; };
layout(std430, binding = 1) readonly buffer AImagBuf { float a_imag[]; };
layout(std430, binding = 2) readonly buffer BBuf { vec2 b_param[]; };
layout(std430, binding = 3) readonly buffer PBuf { vec2 p_param[]; };
layout(std430, binding = 4) readonly buffer DtBuf { float inv_dt[]; };
layout(std430, binding = 5) buffer CoeffBuf { vec2 coeffs[]; };

const uint D = 0u, E = 1u, R = 2u, P = 3u, B = 4u;

void main() {
    uint h = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (h >= p.h) return;
    float dt = exp(inv_dt[p.first[4] + h]), qdp = 0.0;
    uint row = (h % p.n_ssm) * p.n2;
    for (uint n = 0u; n < p.n2; n++) {
        vec2 lambda = vec2(-exp(a_real[p.first[0] + row + n]), -a_imag[p.first[1] + row + n]);
        vec2 d = cdiv(vec2(1.0, 0.0), vec2(2.0 / dt, 0.0) - lambda), pn = p_param[p.first[3] / 2u + row + n];
        qdp += 2.0 * dot(pn, pn) * d.x;
        uint at = p.coeffs_first / 2u + (h * p.n2 + n) * 5u;
        coeffs[at + D] = d;
        coeffs[at + E] = vec2(2.0 / dt, 0.0) + lambda;
        coeffs[at + P] = pn;
        coeffs[at + B] = b_param[p.first[2] / 2u + row + n];
    }
    for (uint n = 0u; n < p.n2; n++) {
        uint at = p.coeffs_first / 2u + (h * p.n2 + n) * 5u;
        coeffs[at + R] = cmul(cconj(coeffs[at + P]), coeffs[at + D]) / (1.0 + qdp);
    }
}
