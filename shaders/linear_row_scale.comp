#version 450
// The power of two that linear_coopmat_f32.comp scales each row of x and of W by before splitting
// it into f16 halves: shift[r] = s such that the row's largest |element| times 2^s lies in
// [2^14, 2^15). Rows r < M are x's, rows M <= r < M + N are W's. One subgroup per row.
// A row of zeros, or one holding an infinity, keeps s = 0 (its outputs are infinite or NaN in
// fp32 anyway, and the split carries infinities and NaNs through).
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer X { vec4 x4[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w4[]; };
layout(std430, binding = 2) writeonly buffer Shift { int shift[]; };

// All in elements, multiples of 4 (the host checks).
layout(push_constant) uniform Params {
    uint x_first, x_stride;
    uint w_first, w_stride;
    uint M, N, K;
} p;

void main() {
    uint row = gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID;
    if (row >= p.M + p.N) return;
    bool in_x = row < p.M;
    uint first = in_x ? (p.x_first + row * p.x_stride) / 4u : (p.w_first + (row - p.M) * p.w_stride) / 4u;
    float largest = 0.0;
    for (uint c = gl_SubgroupInvocationID; c < p.K / 4u; c += gl_SubgroupSize) {
        vec4 v = abs(in_x ? x4[first + c] : w4[first + c]);
        largest = max(largest, max(max(v.x, v.y), max(v.z, v.w)));
    }
    largest = subgroupMax(largest);
    bool finite = !isnan(largest) && !isinf(largest);
    if (subgroupElect()) {
        int e;
        frexp(largest, e); // largest in [2^(e-1), 2^e)
        shift[row] = finite && largest > 0.0 ? clamp(15 - e, -126, 126) : 0;
    }
}
