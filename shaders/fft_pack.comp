#version 450
// The convolution's input into the FFT scratch: u = pre * x (or x) at the first N points of each
// axis, zero on the rest of the fill extent; the transform skips what lies beyond.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"
#include "fft_rows.glsl"
layout(constant_id = 1) const uint DTYPES = 0u; // dtype.glsl

SUBQ_FLOAT_BUFFER(0, readonly, x)
SUBQ_FLOAT_BUFFER(1, readonly, pre)
layout(std430, binding = 2) writeonly buffer Real { float real[]; };

void main() {
    Point q = locate(uvec3(p.fill_d, p.fill_h, p.fill_w));
    if (!q.valid) return;
    float u = 0.0;
    if (q.data) {
        u = SUBQ_LOAD(x, 0, p.x_first + q.b * p.x_stride_b + q.c * p.x_stride_c + q.dense);
        if ((p.flags & HAS_PRE) != 0u) u *= SUBQ_LOAD(pre, 1, p.pre_first + q.b * p.pre_stride_b + q.c * p.pre_stride_c + q.dense);
    }
    real[q.real] = u;
}
