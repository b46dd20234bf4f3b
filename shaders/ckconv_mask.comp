#version 450
// CKConv's masks (include/subq/ckconv.h), in place on kernel [Bk, P, C]: one invocation per
// element multiplies it by the mask of its channel at its grid point. Every tensor is dense.

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint GAUSSIAN = 1u; // else exponential

layout(std430, binding = 0) readonly buffer Grid { float grid[]; };
layout(std430, binding = 1) readonly buffer Params { float params[]; };
layout(std430, binding = 2) buffer Kernel { float kernel[]; };

layout(push_constant) uniform Push {
    uint grid_first, params_first, kernel_first;
    uint dims, points, channels, elements;
    float min_std, max_std;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.elements) return;
    uint c = id % p.channels, point = (id / p.channels) % p.points;
    // One exp of the summed exponent: the product of per-axis exps, with one rounding.
    float exponent = 0.0;
    for (uint d = 0u; d < p.dims; d++) {
        float x = grid[p.grid_first + point * p.dims + d];
        float w = params[p.params_first + d * p.channels + c];
        if (GAUSSIAN != 0u) {
            float sigma = clamp(w, p.min_std, p.max_std);
            exponent -= 0.5 * x * x / (sigma * sigma);
        } else {
            exponent -= abs(x) * abs(w);
        }
    }
    kernel[p.kernel_first + id] *= exp(exponent);
}
