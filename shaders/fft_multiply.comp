#version 450
// The spectral product in place: spectrum[r, f] *= kernel[kr, f], one invocation per complex
// point; kernel row kr = c - kernel_row0 for channel c of global row row0 + r (a kernel shared by
// the batch; the binding starts at channel kernel_row0), or r (one per batch element: the binding
// starts at the launch's first row). Binding only the launch's rows keeps every binding as small
// as the launch's scratch, whatever the size of the whole spectrum.
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) buffer Spectrum { vec2 s[]; };
layout(std430, binding = 1) readonly buffer Kernel { vec2 k[]; };

layout(push_constant) uniform Params {
    uint rows, row0, channels, points; // points: complex values per row
    uint kernel_first;                 // in complex values
    uint shared_kernel, kernel_row0;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.rows * p.points) return;
    uint r = id / p.points, f = id % p.points;
    uint row = p.row0 + r;
    uint kr = p.shared_kernel != 0u ? row % p.channels - p.kernel_row0 : r;
    vec2 a = s[id], b = k[p.kernel_first + kr * p.points + f];
    s[id] = vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
