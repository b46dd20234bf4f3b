#version 450
// A kernel [Bk, C, *K] (any strides) placed for its FFT: point p < M of each axis gets the sum of
// the taps m = p + shift (mod M) (usually one, more when K > M), times scale = 1/prod(F), which
// pre-pays the unnormalised inverse; points M..F-1 get zero. Every one of the F points is
// written: the kernel plan reads them all. The kernel may be f32, f16 or bf16 (dtype.glsl).
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint DTYPES = 0u;

SUBQ_FLOAT_BUFFER(0, readonly, k)
layout(std430, binding = 1) writeonly buffer Real { float real[]; };

layout(push_constant) uniform Params {
    uint rows, row0, channels;
    uint k_first, k_stride_b, k_stride_c;
    uint k_stride[3];  // D, H, W
    uint k_size[3];
    uint fft[3];
    uint fold[3];      // M
    uint shift[3];
    uint real_stride_d, real_stride_h, real_row;
    float scale;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint plane = p.fft[0] * p.fft[1] * p.fft[2];
    if (id >= p.rows * plane) return;
    uint r = id / plane, rest = id % plane;
    uint pw = rest % p.fft[2], phd = rest / p.fft[2];
    uint ph = phd % p.fft[1], pd = phd / p.fft[1];
    uint row = p.row0 + r;
    uint base = p.k_first + (row / p.channels) * p.k_stride_b + (row % p.channels) * p.k_stride_c;
    float acc = 0.0;
    bool placed = pd < p.fold[0] && ph < p.fold[1] && pw < p.fold[2];
    for (uint md = (pd + p.shift[0]) % p.fold[0]; placed && md < p.k_size[0]; md += p.fold[0])
        for (uint mh = (ph + p.shift[1]) % p.fold[1]; mh < p.k_size[1]; mh += p.fold[1])
            for (uint mw = (pw + p.shift[2]) % p.fold[2]; mw < p.k_size[2]; mw += p.fold[2])
                acc += SUBQ_LOAD(k, 0, base + md * p.k_stride[0] + mh * p.k_stride[1] + mw * p.k_stride[2]);
    real[r * p.real_row + pd * p.real_stride_d + ph * p.real_stride_h + pw] = acc * p.scale;
}
