#version 450
// The power of two that linear_coopmat_f32.comp scales each row of x and of W by before splitting
// it into f16 halves: shift[r] = s such that the row's largest |element| times 2^s lies in
// [2^14, 2^15). Rows r < M are x's, rows M <= r < M + N are W's. One subgroup per row; with
// COLUMNS (channels-first x, M-contiguous) x's rows come first, COLUMN_ROWS per workgroup, four
// neighbouring rows per invocation and the K axis split over the workgroup's slices.
// A row of zeros, or one holding an infinity, keeps s = 0 (its outputs are infinite or NaN in
// fp32 anyway, and the split carries infinities and NaNs through).
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint COLUMNS = 0u;

const uint WG = gl_WorkGroupSize.x;
const uint COLUMN_ROWS = 128u;            // the host's ROW_SCALE_COLUMNS
const uint LANES = COLUMN_ROWS / 4u;      // invocations along M
const uint SLICES = WG / LANES;           // along K

layout(std430, binding = 0) readonly buffer X { vec4 x4[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w4[]; };
layout(std430, binding = 2) writeonly buffer Shift { int shift[]; };

// All in elements, multiples of 4 (the host checks).
layout(push_constant) uniform Params {
    uint x_first, x_stride; // between rows; COLUMNS: between indices of the leading axis
    uint w_first, w_stride;
    uint M, N, K;
    uint x_k_stride, x_lead_size; // COLUMNS
} p;

int shift_for(float largest) {
    bool finite = !isnan(largest) && !isinf(largest);
    int e;
    frexp(largest, e); // largest in [2^(e-1), 2^e)
    return finite && largest > 0.0 ? clamp(15 - e, -126, 126) : 0;
}

void subgroup_row(uint row) {
    if (row >= p.M + p.N) return;
    bool in_x = row < p.M;
    uint first = in_x ? (p.x_first + row * p.x_stride) / 4u : (p.w_first + (row - p.M) * p.w_stride) / 4u;
    float largest = 0.0;
    for (uint c = gl_SubgroupInvocationID; c < p.K / 4u; c += gl_SubgroupSize) {
        vec4 v = abs(in_x ? x4[first + c] : w4[first + c]);
        largest = max(largest, max(max(v.x, v.y), max(v.z, v.w)));
    }
    largest = subgroupMax(largest);
    if (subgroupElect()) shift[row] = shift_for(largest);
}

shared vec4 column_max[WG];

void columns(uint group) {
    uint lane = gl_LocalInvocationID.x % LANES, slice = gl_LocalInvocationID.x / LANES;
    uint m = group * COLUMN_ROWS + 4u * lane; // M is a multiple of 4
    vec4 largest = vec4(0.0);
    if (m < p.M) {
        uint first = (p.x_first + m / p.x_lead_size * p.x_stride + m % p.x_lead_size) / 4u;
        for (uint k = slice; k < p.K; k += SLICES) largest = max(largest, abs(x4[first + k * (p.x_k_stride / 4u)]));
    }
    column_max[gl_LocalInvocationID.x] = largest;
    barrier();
    if (slice != 0u || m >= p.M) return;
    for (uint s = 1u; s < SLICES; s++) largest = max(largest, column_max[s * LANES + lane]);
    for (uint i = 0u; i < 4u; i++) shift[m + i] = shift_for(largest[i]);
}

void main() {
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    uint x_groups = COLUMNS != 0u ? (p.M + COLUMN_ROWS - 1u) / COLUMN_ROWS : 0u;
    if (group < x_groups) columns(group);
    else if (COLUMNS != 0u) subgroup_row(p.M + (group - x_groups) * gl_NumSubgroups + gl_SubgroupID);
    else subgroup_row(group * gl_NumSubgroups + gl_SubgroupID);
}
