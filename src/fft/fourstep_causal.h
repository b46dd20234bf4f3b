/* The four-step (Bailey) causal FFT convolution, for power-of-two rows too long for the fused
 * kernel's shared memory:
 *   y[b,c,:] = post * (irfft(rfft(u, 2L) * S[kb,c,:], 2L)[:L] + shortcut[c] * u),  u = pre * x[b,c,:],
 * in three dispatches per launch of rows (shaders/fft_fourstep.glsl): column FFTs, row FFTs with
 * the spectral product between them, inverse column FFTs with the crop and the epilogue. A row
 * travels as M = L complex points and needs 8L bytes of scratch (context_scratch.h); x is read
 * once (twice with a shortcut: the last pass reads u again), y written once.
 *
 * The spectrum: rfft(k zero-padded to 2L) / (2L), f32 [Bk, C, L + 1, 2] (the kernel object's,
 * fft_kernel.h), its bins in the order the rows pass reads them: bin k1 + N1 k2 at k1 N2 + k2
 * (rows of N2 points, as the scratch holds the row's transform), bin M = L (Nyquist) at M. The
 * natural order, read with a stride of N1 bins, was 15-40% slower over the whole convolution
 * on an H100 at L = 8K..4M. */
#ifndef SUBQ_FFT_FOURSTEP_CAUSAL_H
#define SUBQ_FFT_FOURSTEP_CAUSAL_H

#include "fft/fft_conv.h"

/* How the passes run (the same results, other speeds): tests cover many plans, benchmarks
 * compare them. M = 2^(log_n1 + log_n2) = L, point n = N2 n1 + n2, bin k = k1 + N1 k2. */
typedef struct subq_fourstep_plan {
    uint32_t log_n1, log_n2;
    uint32_t log_columns;       /* adjacent columns per workgroup of the column passes */
    uint32_t log_column_points; /* points per invocation there: 1..5, at most log_n1 */
    uint32_t log_row_points;    /* points per invocation in the rows pass: 1..5, at most log_n2 */
    uint32_t log_row_pairs;     /* pairs of mirror rows per workgroup there: at most N1 / 2 */
} subq_fourstep_plan;

/* Whether the four-step path takes rows of this length on this device: causal ones, and
 * zero-padded ones whose kernel spans 2L - 1 taps or more (fft_layout.h's doubled rows). */
bool subq_fft_conv_fourstep_supports(const subq_context *ctx, int64_t length);
/* The plan subq_fft_conv_fourstep uses; SUBQ_ERROR_UNSUPPORTED when none does. */
subq_status subq_fft_conv_fourstep_default_plan(const subq_context *ctx, int64_t length, subq_fourstep_plan *plan);
/* Whether a plan is well formed and fits the device's limits. */
bool subq_fft_conv_fourstep_plan_fits(const subq_context *ctx, const subq_fourstep_plan *plan);

/* Record the copy of rfft bins, [rows, L + 1, 2] with the last two axes dense, into the order the
 * default plan for L reads (the kernel object's spectrum). */
subq_status subq_fft_conv_fourstep_order_spectrum(subq_stream *stream, const subq_tensor *bins, subq_tensor *ordered);

/* A doubled power-of-two call as subq_fft_conv checked it, with the kernel object's spectrum. */
subq_status subq_fft_conv_fourstep(const subq_fft_conv_call *call);
/* The same with a plan for L = 2^(log_n1 + log_n2) and a spectrum in its order (call->kernel
 * is not read). */
subq_status subq_fft_conv_fourstep_planned(const subq_fft_conv_call *call, const subq_fourstep_plan *plan,
                                           const subq_tensor *spectrum);

#endif
