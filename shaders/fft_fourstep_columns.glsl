// The column passes of the four-step FFT convolution (fft_fourstep.glsl): a workgroup takes
// WIDTH adjacent columns n2 of one row, each an N1-point FFT over T = N1 / E invocations.
// Invocation j + WIDTH * t holds points t + T * m of column n2 = n2_0 + j, so for each m the
// workgroup reads and writes runs of WIDTH neighbours.
#include "fft_fourstep.glsl"
#define STOCKHAM_LOG_N LOG_N1
#define STOCKHAM_LOG_E LOG_POINTS
#include "fft_stockham.glsl"

layout(std430, binding = 0) buffer Scratch { vec2 scratch[]; };
SUBQ_FLOAT_BUFFER(1, readonly, x)
SUBQ_FLOAT_BUFFER(2, readonly, pre)

// Point i of column j at WIDTH * (i + i / E) + j: a warp's invocations hit distinct banks both
// when they write a first pass's outputs (E apart) and when they read points t + T * m. No
// shared memory when a column fits one invocation.
shared float sh[PASSES > 1u ? WIDTH * (N + N / E) : 1u];
uint column, row, n2, batch_index, channel;

void stockham_put(uint i, float v) { sh[WIDTH * (i + (i >> LOG_E)) + column] = v; }
float stockham_get(uint i) { return sh[WIDTH * (i + (i >> LOG_E)) + column]; }

// The invocation's column and row; false for a workgroup past the launch's rows.
bool locate()
{
    uint groups = N2 / WIDTH, wg = workgroup_index();
    row = wg / groups;
    column = gl_LocalInvocationID.x % WIDTH;
    t = gl_LocalInvocationID.x / WIDTH;
    n2 = (wg % groups) * WIDTH + column;
    batch_index = row % p.batch;
    channel = row / p.batch;
    return row < p.rows;
}

// exp(-2 pi i j / M); j < M <= 2^24 is exact in float.
vec2 twiddle(uint j) { return turn(float(j) / float(M)); }

uint scratch_at(uint k1) { return p.scratch_first / 2u + row * M + k1 * N2 + n2; }

// u[i] = pre[i] * x[i] of the invocation's row.
float gated(uint i)
{
    float v = SUBQ_LOAD(x, 1, p.x_first + batch_index * p.x_stride[0] + channel * p.x_stride[1] + i);
    return HAS_PRE ? v * SUBQ_LOAD(pre, 2, p.pre_first + batch_index * p.pre_stride[0] + channel * p.pre_stride[1] + i)
                   : v;
}
