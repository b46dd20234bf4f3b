#version 450
// The SIREN kernel network (include/subq/ckconv.h), fused: one invocation per (batch element b,
// grid point, block of CBLOCK output channels) runs every sine layer for its point in registers
// (H <= MAX_H) and writes its channels of kernel [Bk, P, C]. Blocks of the same point recompute the
// hidden layers: cheaper than a round trip through memory at the small widths SIREN uses, and
// it bounds each invocation's loop iterations (lavapipe ends a shader's loops after 65535).
// Every tensor is dense; weights are PyTorch Linear layout ([out, in]).

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint CBLOCK = 32u;

const uint MAX_H = 64u; // SUBQ_CKCONV_MAX_HIDDEN

layout(std430, binding = 0) readonly buffer Grid { float grid[]; };
layout(std430, binding = 1) readonly buffer W0 { float w0[]; };
layout(std430, binding = 2) readonly buffer B0 { float b0[]; };
layout(std430, binding = 3) readonly buffer WH { float wh[]; };
layout(std430, binding = 4) readonly buffer BH { float bh[]; };
layout(std430, binding = 5) readonly buffer WOut { float wout[]; };
layout(std430, binding = 6) readonly buffer BOut { float bout[]; };
layout(std430, binding = 7) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 8) readonly buffer Beta { float beta[]; };
layout(std430, binding = 9) writeonly buffer Kernel { float kernel[]; };

layout(push_constant) uniform Params {
    uint grid_first, w0_first, b0_first, wh_first, bh_first, wout_first, bout_first;
    uint gamma_first, beta_first, kernel_first;
    uint dims, hidden, layers, channels, points, batch;
    uint film;
} p;

float h[MAX_H];
float next_h[MAX_H];

// h = gamma * h + beta with layer l's FiLM of batch element b.
void film(uint b, uint l) {
    if (p.film == 0u) return;
    uint base = (b * p.layers + l) * p.hidden;
    for (uint j = 0u; j < p.hidden; j++)
        h[j] = gamma[p.gamma_first + base + j] * h[j] + beta[p.beta_first + base + j];
}

void first_layer(uint point) {
    for (uint j = 0u; j < p.hidden; j++) {
        float acc = b0[p.b0_first + j];
        for (uint d = 0u; d < p.dims; d++)
            acc += w0[p.w0_first + j * p.dims + d] * grid[p.grid_first + point * p.dims + d];
        h[j] = sin(acc);
    }
}

// Hidden layer l (1 .. layers - 1): weights wh[l - 1].
void hidden_layer(uint l) {
    uint wbase = p.wh_first + (l - 1u) * p.hidden * p.hidden, bbase = p.bh_first + (l - 1u) * p.hidden;
    for (uint j = 0u; j < p.hidden; j++) {
        float acc = bh[bbase + j];
        for (uint i = 0u; i < p.hidden; i++) acc += wh[wbase + j * p.hidden + i] * h[i];
        next_h[j] = sin(acc);
    }
    for (uint j = 0u; j < p.hidden; j++) h[j] = next_h[j];
}

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint blocks = (p.channels + CBLOCK - 1u) / CBLOCK;
    if (id >= p.batch * p.points * blocks) return;
    uint block = id % blocks, point = (id / blocks) % p.points, b = id / blocks / p.points;
    first_layer(point);
    film(b, 0u);
    for (uint l = 1u; l < p.layers; l++) {
        hidden_layer(l);
        film(b, l);
    }
    uint c_end = min(p.channels, (block + 1u) * CBLOCK);
    uint out_base = p.kernel_first + (b * p.points + point) * p.channels;
    for (uint c = block * CBLOCK; c < c_end; c++) {
        float acc = bout[p.bout_first + c];
        for (uint i = 0u; i < p.hidden; i++) acc += wout[p.wout_first + c * p.hidden + i] * h[i];
        kernel[out_base + c] = acc;
    }
}
