#version 450
// CKConv's coordinate grid (include/subq/ckconv.h): one invocation per element of grid [P, D].
// Point p's index along axis d comes from p in row-major order over the axes' point counts.

layout(local_size_x_id = 0) in;

layout(std430, binding = 0) writeonly buffer Grid { float grid[]; };

layout(push_constant) uniform Params {
    uint first;
    uint dims;        // D
    uint points;      // P
    uint count[3];    // 2g - 1 per axis
    uint centre[3];   // g - 1 per axis
    float step[3];    // 1 / (L_cache - 1) per axis
} p;

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (id >= p.points * p.dims) return;
    uint d = id % p.dims, point = id / p.dims;
    for (uint axis = p.dims - 1u; axis > d; axis--) point /= p.count[axis];
    int i = int(point % p.count[d]) - int(p.centre[d]);
    grid[p.first + id] = float(i) * p.step[d];
}
