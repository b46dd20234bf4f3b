// The four-step (Bailey) causal FFT convolution of src/fft/fourstep_causal.c, three dispatches
// per launch of rows. A row u = pre * x of length L travels as M = L complex points
// z[n] = u[2n] + i u[2n + 1] (the standard real FFT of 2L points; z[n] = 0 for n >= M / 2, the
// causal padding, is never read or stored), with M = N1 * N2, n = N2 n1 + n2, k = k1 + N1 k2:
//   forward (fft_fourstep_forward.comp): FFTs of the columns n2 over n1, times exp(-2 pi i n2 k1 / M),
//       into the scratch as rows k1 of N2 points;
//   rows (fft_fourstep_rows.comp): FFTs of the rows over n2 (Z[k] at row k1, column k2), the real
//       row's spectrum from Z[k] and Z[M - k] times the kernel's, back into the packed form, and
//       its conjugate transformed again over k2;
//   inverse (fft_fourstep_inverse.comp): times the twiddle, FFTs of the columns over k1: the
//       conjugate of the output's packed points, of which only n < M / 2 are kept (the crop).
// Row g of a launch is batch element g % batch, channel g / batch of the launch's views.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint LOG_N1 = 1u;
layout(constant_id = 2) const uint LOG_N2 = 1u;
layout(constant_id = 3) const uint LOG_POINTS = 1u; // log2 of the points each invocation holds
layout(constant_id = 4) const uint WIDTH = 1u;      // columns, or pairs of rows, per workgroup
layout(constant_id = 5) const uint FLAGS = 0u;
layout(constant_id = 6) const uint DTYPES = 0u;     // dtype.glsl

const bool HAS_PRE = (FLAGS & 1u) != 0u;
const bool HAS_POST = (FLAGS & 2u) != 0u;
const bool HAS_SHORTCUT = (FLAGS & 4u) != 0u;

const uint N1 = 1u << LOG_N1;
const uint N2 = 1u << LOG_N2;
const uint M = N1 * N2;

// Element offsets (floats, or the tensors' dtypes) of the launch's views; strides of batch and
// channel (the L axis is dense).
layout(push_constant) uniform Params {
    uint scratch_first, spectrum_first, x_first, pre_first, post_first, shortcut_first, y_first;
    uint x_stride[2], pre_stride[2], post_stride[2], y_stride[2], spectrum_stride[2];
    uint shortcut_stride;
    uint batch, rows;
} p;

uint workgroup_index() { return gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x; }
