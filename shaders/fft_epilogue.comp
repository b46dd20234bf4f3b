#version 450
// y = post * (conv + shortcut[c] * u), u = pre * x: conv is the inverse transform in the real
// scratch (the kernel spectrum carries the 1/prod(F) of the unnormalised inverse).
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"
#include "fft_rows.glsl"
layout(constant_id = 1) const uint DTYPES = 0u; // dtype.glsl

layout(std430, binding = 0) readonly buffer Real { float real[]; };
SUBQ_FLOAT_BUFFER(1, readonly, x)
SUBQ_FLOAT_BUFFER(2, readonly, pre)
SUBQ_FLOAT_BUFFER(3, readonly, post)
SUBQ_FLOAT_BUFFER(4, readonly, shortcut)
SUBQ_FLOAT_BUFFER(5, writeonly, y)

void main() {
    Point q = locate(uvec3(p.size_d, p.size_h, p.size_w));
    if (!q.valid) return;
    float v = real[q.real];
    if ((p.flags & HAS_SHORTCUT) != 0u) {
        float u = SUBQ_LOAD(x, 1, p.x_first + q.b * p.x_stride_b + q.c * p.x_stride_c + q.dense);
        if ((p.flags & HAS_PRE) != 0u) u *= SUBQ_LOAD(pre, 2, p.pre_first + q.b * p.pre_stride_b + q.c * p.pre_stride_c + q.dense);
        v += SUBQ_LOAD(shortcut, 4, p.shortcut_first + q.c * p.shortcut_stride) * u;
    }
    if ((p.flags & HAS_POST) != 0u) v *= SUBQ_LOAD(post, 3, p.post_first + q.b * p.post_stride_b + q.c * p.post_stride_c + q.dense);
    SUBQ_STORE(y, 5, p.y_first + q.b * p.y_stride_b + q.c * p.y_stride_c + q.dense, v);
}
