/* The fused causal FFT convolution: the Hyena inner loop in one dispatch,
 *   y[b,c,:] = post * (irfft(rfft(u, P) * S[kb,c,:], P)[:L] + shortcut[c] * u),  u = pre * x[b,c,:],
 * with x read once and y written once; the FFTs run in registers and shared memory, so L is
 * bounded by the device's shared memory (L <= 8192 with 32 KiB).
 *
 * The spectrum it needs: P = subq_fft_conv_fused_fft_size(L), the smallest power of two >= 2L
 * (2L itself when L is a power of two), and S = rfft(k zero-padded to P) / P, f32 [Bk, C, P/2 + 1, 2]
 * (interleaved complex, frequencies 0..P/2 in order, the last two axes dense; Bk = 1 shared by
 * the batch or Bk = B). For a power-of-two L that is [Bk, C, L + 1, 2] with F = 2L. The imaginary
 * parts of bins 0 and P/2 are ignored, as irfft does.
 * Zero-padded rows of power-of-two length with kernels of 2L - 1 taps or more (CKConv's) are the
 * same computation on their placed kernel's spectrum (fft_layout.h) and take this path too. */
#ifndef SUBQ_FFT_FUSED_CAUSAL_H
#define SUBQ_FFT_FUSED_CAUSAL_H

#include <stdbool.h>

#include "subq/subq.h"

int64_t subq_fft_conv_fused_fft_size(int64_t length);

/* Whether the device's shared memory and workgroup limits allow rows of this length. */
bool subq_fft_conv_fused_supports(const subq_context *ctx, int64_t length);

/* x, y [B, C, L] and the optional pre, post [B, C, L] with the L axis dense (batch and channel
 * strides free); spectrum as above; optional shortcut [C]. y shares memory with no input. */
subq_status subq_fft_conv_fused(subq_stream *stream, const subq_tensor *x, const subq_tensor *spectrum,
                                const subq_tensor *pre, const subq_tensor *post, const subq_tensor *shortcut,
                                subq_tensor *y);

/* How the kernel runs (the same results, other speeds): tests cover every plan, benchmarks
 * compare them. A signal (a pair of rows as one P-point complex FFT, or one row packed into a
 * P/2-point one) is spread over 2^log_size / 2^log_per_thread invocations. */
typedef struct subq_fused_plan {
    uint32_t log_size;       /* log2 of the complex FFT's points: log2 P, or log2 P - 1 if packed */
    uint32_t log_per_thread; /* log2 of the points each invocation holds in registers: 1..5 */
    uint32_t pairs;          /* signals per workgroup */
    bool split;              /* exchange real and imaginary parts in turn: half the shared memory */
    bool pad;                /* a padding element per 128 bytes of shared memory (bank conflicts) */
    bool packed;             /* one row per signal, even points real and odd imaginary: half the
                                shared memory per row */
    bool unroll;             /* the passes unrolled rather than looped */
} subq_fused_plan;

/* The plan subq_fft_conv_fused uses, gated meaning with any of pre, post or shortcut and half
 * with x in f16 or bf16; SUBQ_ERROR_UNSUPPORTED when none fits the device. */
subq_status subq_fft_conv_fused_default_plan(const subq_context *ctx, int64_t length, bool gated, bool half,
                                             subq_fused_plan *plan);
/* Whether a plan fits the device's limits. */
bool subq_fft_conv_fused_plan_fits(const subq_context *ctx, const subq_fused_plan *plan);
/* Signals per workgroup for the rest of a plan, as the default plans choose them; false when no
 * count fits the device. */
bool subq_fft_conv_fused_plan_fill_pairs(const subq_context *ctx, subq_fused_plan *plan);
/* subq_fft_conv_fused with a given plan; it must be for P of this L and fit the device. */
subq_status subq_fft_conv_fused_planned(subq_stream *stream, const subq_fused_plan *plan, const subq_tensor *x,
                                        const subq_tensor *spectrum, const subq_tensor *pre,
                                        const subq_tensor *post, const subq_tensor *shortcut, subq_tensor *y);

#endif
