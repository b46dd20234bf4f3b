// Complex helpers of the S4 shaders: vec2 = (re, im).
#ifndef S4_COMPLEX_GLSL
#define S4_COMPLEX_GLSL

const float S4_TWO_PI = 6.28318530717958647692;

vec2 cmul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
vec2 cdiv(vec2 a, vec2 b) { return vec2(a.x * b.x + a.y * b.y, a.y * b.x - a.x * b.y) / dot(b, b); }
vec2 cconj(vec2 a) { return vec2(a.x, -a.y); }
vec2 cexp(vec2 a) { float m = exp(a.x); return vec2(m * cos(a.y), m * sin(a.y)); }
vec2 clog(vec2 a) { return vec2(log(length(a)), atan(a.y, a.x)); }

// exp(t * z) for a large step count t: the phase t * Im(z) is reduced to [-pi, pi] in turns with
// an exact product (fma), since sin and cos are only accurate near that range. Im(z) / 2pi itself
// carries fp32 rounding, as in PyTorch's complex64 formulation.
vec2 cexp_steps(vec2 z, float t) {
    float turns = z.y / S4_TWO_PI;
    float p = t * turns;
    float lo = fma(t, turns, -p);
    float frac = (p - round(p)) + lo;
    float m = exp(z.x * t), angle = S4_TWO_PI * frac;
    return vec2(m * cos(angle), m * sin(angle));
}
#endif
