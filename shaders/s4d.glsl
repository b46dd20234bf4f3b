// S4D's discretisation (SPEC.md section 7) from the parameters, for SSM row h (parameter row
// h mod n_ssm) and mode n: A = -exp(A_real) - i A_imag, dt = exp(inv_dt[h]) * rate, dtA = dt A.
// Bindings 0-4 hold A_real [n_ssm, N2], A_imag [n_ssm, N2], B [1, n_ssm, N2, 2], C [Cc, H, N2, 2],
// inv_dt [H, 1], all dense; the including shader declares p.first[5], p.n2, p.n_ssm, p.bilinear.
#include "s4_complex.glsl"

layout(std430, binding = 0) readonly buffer ARealBuf { float a_real[]; };
layout(std430, binding = 1) readonly buffer AImagBuf { float a_imag[]; };
layout(std430, binding = 2) readonly buffer BBuf { float b_param[]; };
layout(std430, binding = 3) readonly buffer CBuf { float c_param[]; };
layout(std430, binding = 4) readonly buffer DtBuf { float inv_dt[]; };

struct s4d_mode {
    vec2 log_da; // log of the discrete transition: dtA (ZOH) or log((1 + dtA/2) / (1 - dtA/2))
    vec2 da;     // exp(log_da)
    vec2 db;     // ZOH: B (exp(dtA) - 1) / A; bilinear: B dt / (1 - dtA/2)
};

s4d_mode s4d_discretise(uint h, uint n, float rate) {
    uint row = (h % p.n_ssm) * p.n2 + n;
    vec2 a = vec2(-exp(a_real[p.first[0] + row]), -a_imag[p.first[1] + row]);
    float dt = exp(inv_dt[p.first[4] + h]) * rate;
    vec2 dta = dt * a, b = vec2(b_param[p.first[2] + 2u * row], b_param[p.first[2] + 2u * row + 1u]);
    s4d_mode m;
    if (p.bilinear != 0u) {
        vec2 den = vec2(1.0, 0.0) - 0.5 * dta;
        m.da = cdiv(vec2(1.0, 0.0) + 0.5 * dta, den);
        m.log_da = clog(m.da);
        m.db = cdiv(dt * b, den);
    } else {
        m.log_da = dta;
        m.da = cexp(dta);
        m.db = cmul(b, cdiv(m.da - vec2(1.0, 0.0), a));
    }
    return m;
}

vec2 s4d_c(uint c, uint h, uint n) {
    uint i = p.first[3] + 2u * ((c * p.h + h) * p.n2 + n);
    return vec2(c_param[i], c_param[i + 1u]);
}
