#version 450
// One layer of a CKConv kernel network after its Linear, on [P, H] rows (src/modules/ckconv_kernel.c):
// y[b, p, j] = f(x[b, p, j]), then FiLM y = gamma[b, l, j] * y + beta[b, l, j] when conditioned.
// MODE 0: f = sin (SIREN); 1: f = the activation; 2: random Fourier features, x [P, H/2] holds W p
// and y[p, j] = cos(x[p, j]) for j < H/2, sin(x[p, j - H/2]) after. x's batch stride is 0 when x is
// shared by the batch (the layers before FiLM made it batch-dependent). film [B, layers, 2, H] dense.
#extension GL_GOOGLE_include_directive : require
#include "activation.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint MODE = 0u;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Film { float film[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint x_first, film_first, y_first;
    uint points, hidden, batch, x_batch_stride;
    uint activation, has_film, layer, layers;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.batch * p.points * p.hidden) return;
    uint j = id % p.hidden, point = (id / p.hidden) % p.points, b = id / p.hidden / p.points;
    float v;
    if (MODE == 2u) {
        uint half_h = p.hidden / 2u;
        float a = x[p.x_first + b * p.x_batch_stride + point * half_h + j % half_h];
        v = j < half_h ? cos(a) : sin(a);
    } else {
        float a = x[p.x_first + b * p.x_batch_stride + point * p.hidden + j];
        v = MODE == 0u ? sin(a) : subq_activate(a, p.activation);
    }
    if (p.has_film != 0u) {
        uint base = p.film_first + (b * p.layers + p.layer) * 2u * p.hidden;
        v = film[base + j] * v + film[base + p.hidden + j];
    }
    y[p.y_first + id] = v;
}
