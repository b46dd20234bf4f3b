#version 450
#extension GL_GOOGLE_include_directive : require
// The S4D kernel K[c, h, l] = 2 Re sum_n C[c,h,n] dB[h,n] dA[h,n]^l (ZOH and bilinear alike: the
// SPEC's C' is C dB), dense [Cc, H, lk]; one invocation per element.
layout(local_size_x_id = 0) in;

layout(push_constant) uniform Push {
    uint first[5];
    uint n2, n_ssm, h, channels, len, bilinear, k_first;
    float rate;
} p;

#include "s4d.glsl"

layout(std430, binding = 5) writeonly buffer KBuf { float k[]; };

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.channels * p.h * p.len) return;
    uint l = id % p.len, h = (id / p.len) % p.h, c = id / (p.len * p.h);
    float acc = 0.0;
    for (uint n = 0u; n < p.n2; n++) {
        s4d_mode m = s4d_discretise(h, n, p.rate);
        vec2 coef = cmul(s4d_c(c, h, n), m.db);
        vec2 z = cexp_steps(m.log_da, float(l));
        acc += coef.x * z.x - coef.y * z.y;
    }
    k[p.k_first + id] = 2.0 * acc;
}
