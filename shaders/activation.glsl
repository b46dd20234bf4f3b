// Elementwise activations shared by subq's shaders: subq_activate(x, activation) with the values of
// subq_activation (include/subq/subq.h). Include it with
//     #extension GL_GOOGLE_include_directive : require
//     #include "activation.glsl"
// Each function is written for fp32 accuracy of a few ulps rather than speed alone: Vulkan lets
// exp and log be several ulps off and tanh overflow to NaN, so erf and log1p are polynomials fitted
// here (weighted minimax, checked in fp32 against mpmath) and the tanh forms are rewritten as
// sigmoids, which are exact identities.
#ifndef SUBQ_ACTIVATION_GLSL
#define SUBQ_ACTIVATION_GLSL

const uint SUBQ_ACTIVATION_NONE = 0u;
const uint SUBQ_ACTIVATION_SILU = 1u;
const uint SUBQ_ACTIVATION_SIGMOID = 2u;
const uint SUBQ_ACTIVATION_GELU = 3u;
const uint SUBQ_ACTIVATION_GELU_TANH = 4u;
const uint SUBQ_ACTIVATION_SOFTPLUS = 5u;

float subq_sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }

// (erf(|z|), erfc(|z|)), each computed directly where it is the smaller, so that neither comes
// from a cancelling 1 - x: erf to about 2 ulps, and erfc keeps its relative accuracy out to
// |z| = 4, past which erf rounds to 1 in fp32 and erfc is flushed to 0 as 1 - erf would be.
vec2 subq_erf_erfc_abs(float z) {
    float a = abs(z);
    if (a < 1.0) {
        // erf(a) = a * P(a^2), relative error 1.4e-9 on [0, 1]
        float t = a * a;
        float p = 7.853861296e-05;
        p = p * t - 8.010193681e-04;
        p = p * t + 5.188327702e-03;
        p = p * t - 2.685381195e-02;
        p = p * t + 1.128358515e-01;
        p = p * t - 3.761262582e-01;
        p = p * t + 1.128379166e+00;
        p *= a;
        return vec2(p, 1.0 - p);
    }
    if (a >= 4.0) return vec2(1.0, 0.0);
    // erfc(a) = exp(-a^2) * Q(1/a), relative error 1.2e-7 on [1, 4]
    float u = 1.0 / a;
    float q = -1.137441975e-02;
    q = q * u + 3.799798729e-02;
    q = q * u + 4.030837548e-03;
    q = q * u - 2.190739635e-01;
    q = q * u + 4.809427496e-01;
    q = q * u - 4.646685648e-01;
    q = q * u + 4.016007347e-02;
    q = q * u + 5.593157506e-01;
    q = q * u + 2.530977181e-04;
    q *= exp(-a * a);
    return vec2(1.0 - q, q);
}

float subq_erf(float z) {
    float p = subq_erf_erfc_abs(z).x;
    return z < 0.0 ? -p : p;
}

// x/2 * (1 + erf(x / sqrt 2)); for x < 0 the bracket is erfc(|x| / sqrt 2), taken directly.
float subq_gelu(float x) {
    float z = x * 0.70710678118654752;
    vec2 pq = subq_erf_erfc_abs(z);
    return 0.5 * x * (z >= 0.0 ? 1.0 + pq.x : pq.y);
}

// x/2 * (1 + tanh(u)) = x * sigmoid(2u): no tanh, so no overflow to NaN at large |u|.
float subq_gelu_tanh(float x) {
    float u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
    return x / (1.0 + exp(-2.0 * u));
}

// log(1 + e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) <= 1/3, as 2s * R(s^2) with R
// fitted on [0, 1/9] (relative error 4e-9), so no log near 1 is needed.
float subq_log1p_unit(float e) {
    float s = e / (2.0 + e);
    float w = s * s;
    float r = 1.408916758e-01;
    r = r * w + 1.398030151e-01;
    r = r * w + 2.001245512e-01;
    r = r * w + 3.333315734e-01;
    r = r * w + 1.000000004e+00;
    return 2.0 * s * r;
}

// PyTorch's softplus with beta 1 and threshold 20: x itself above 20, else log(1 + exp(x)),
// evaluated as max(x, 0) + log1p(exp(-|x|)) so that neither tail loses digits.
float subq_softplus(float x) {
    if (x > 20.0) return x;
    return max(x, 0.0) + subq_log1p_unit(exp(-abs(x)));
}

float subq_activate(float x, uint activation) {
    switch (activation) {
    case SUBQ_ACTIVATION_SILU: return x / (1.0 + exp(-x));
    case SUBQ_ACTIVATION_SIGMOID: return subq_sigmoid(x);
    case SUBQ_ACTIVATION_GELU: return subq_gelu(x);
    case SUBQ_ACTIVATION_GELU_TANH: return subq_gelu_tanh(x);
    case SUBQ_ACTIVATION_SOFTPLUS: return subq_softplus(x);
    default: return x;
    }
}

#endif
