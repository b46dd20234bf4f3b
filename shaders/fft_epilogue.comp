#version 450
// y = post * (conv + shortcut[c] * u), u = pre * x: conv is the inverse transform in the real
// scratch (the kernel spectrum carries the 1/prod(F) of the unnormalised inverse).
#extension GL_GOOGLE_include_directive : require
#include "fft_rows.glsl"

layout(std430, binding = 0) readonly buffer Real { float real[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Pre { float pre[]; };
layout(std430, binding = 3) readonly buffer Post { float post[]; };
layout(std430, binding = 4) readonly buffer Shortcut { float shortcut[]; };
layout(std430, binding = 5) writeonly buffer Y { float y[]; };

void main() {
    Point q = locate(uvec3(p.size_d, p.size_h, p.size_w));
    if (!q.valid) return;
    float v = real[q.real];
    if ((p.flags & HAS_SHORTCUT) != 0u) {
        float u = x[p.x_first + q.b * p.x_stride_b + q.c * p.x_stride_c + q.dense];
        if ((p.flags & HAS_PRE) != 0u) u *= pre[p.pre_first + q.b * p.pre_stride_b + q.c * p.pre_stride_c + q.dense];
        v += shortcut[p.shortcut_first + q.c * p.shortcut_stride] * u;
    }
    if ((p.flags & HAS_POST) != 0u) v *= post[p.post_first + q.b * p.post_stride_b + q.c * p.post_stride_c + q.dense];
    y[p.y_first + q.b * p.y_stride_b + q.c * p.y_stride_c + q.dense] = v;
}
