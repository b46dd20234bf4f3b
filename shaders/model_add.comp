#version 450
// y = a + b over n elements of dense tensors (the model's residual connections); y may be a.
layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint a_first, b_first, y_first, n;
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.n) return;
    y[p.y_first + id] = a[p.a_first + id] + b[p.b_first + id];
}
