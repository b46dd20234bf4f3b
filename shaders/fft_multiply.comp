#version 450
// The spectral product in place: spectrum[r, f] *= kernel[kr, f], one invocation per complex
// point; kernel row kr = c of global row row0 + r (a kernel shared by the batch), or r (one per
// batch element: the kernel binding starts at the launch's first row).
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) buffer Spectrum { vec2 s[]; };
layout(std430, binding = 1) readonly buffer Kernel { vec2 k[]; };

layout(push_constant) uniform Params {
    uint rows, row0, channels, points; // points: complex values per row
    uint kernel_first;                 // in complex values
    uint shared_kernel;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.rows * p.points) return;
    uint r = id / p.points, f = id % p.points;
    uint row = p.row0 + r;
    uint kr = p.shared_kernel != 0u ? row % p.channels : r;
    vec2 a = s[id], b = k[p.kernel_first + kr * p.points + f];
    s[id] = vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
