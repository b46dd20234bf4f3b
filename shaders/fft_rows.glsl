// Shared by fft_pack.comp and fft_epilogue.comp: one invocation per point of `rows` rows of
// [B, C, D, H, W] tensors (missing leading spatial axes have size 1), the last axis innermost;
// the pack covers the `fill` extent (a zero beyond `size`), the epilogue `size`.
// Row r of a launch is the global row row0 + r = b * C + c; x, pre, post and y have free batch
// and channel strides and dense spatial axes; the real scratch row r holds the plan's layout.
layout(local_size_x_id = 0) in;

layout(push_constant) uniform Params {
    uint rows, row0, channels;
    uint size_d, size_h, size_w;
    uint fill_d, fill_h, fill_w;
    uint real_stride_d, real_stride_h, real_row;
    uint x_first, x_stride_b, x_stride_c;
    uint pre_first, pre_stride_b, pre_stride_c;
    uint post_first, post_stride_b, post_stride_c;
    uint y_first, y_stride_b, y_stride_c;
    uint shortcut_first, shortcut_stride;
    uint flags;
} p;

const uint HAS_PRE = 1u;
const uint HAS_POST = 2u;
const uint HAS_SHORTCUT = 4u;

struct Point {
    bool valid;  // inside the launch
    bool data;   // inside [D, H, W] = size (else a padding point of the fill extent)
    uint b, c;   // of the global row
    uint dense;  // offset of the point inside a dense [D, H, W] plane
    uint real;   // its element in the real scratch
};

Point locate(uvec3 extent) {
    Point q;
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint plane = extent.x * extent.y * extent.z;
    q.valid = id < p.rows * plane;
    uint r = id / plane, rest = id % plane;
    uint w = rest % extent.z, hd = rest / extent.z;
    uint h = hd % extent.y, d = hd / extent.y;
    uint row = p.row0 + r;
    q.data = d < p.size_d && h < p.size_h && w < p.size_w;
    q.b = row / p.channels;
    q.c = row % p.channels;
    q.dense = (d * p.size_h + h) * p.size_w + w;
    q.real = r * p.real_row + d * p.real_stride_d + h * p.real_stride_h + w;
    return q;
}
