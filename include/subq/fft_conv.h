/* Long convolutions through the FFT (SPEC.md section 4): causal 1D (Hyena) and non-causal ND with
 * CKConv semantics (zero, circular, or per-axis mixed padding). True convolutions: kernel index 0
 * is lag 0 (causal) or the kernel's centre sits at lag 0 (non-causal). Included by subq.h.
 *
 * A kernel's spectrum is an object of its own: computed once by subq_fft_kernel_create for an input
 * size, reused by every subq_fft_conv call (at inference the kernel does not change), refreshed by
 * subq_fft_kernel_update when the weights do.
 *
 * x, y, pre, post, shortcut and the kernel are each f32, f16 or bf16 (16-bit storage needed); the
 * transforms and the spectrum are fp32 whatever they are. */
#ifndef SUBQ_FFT_CONV_H
#define SUBQ_FFT_CONV_H

#include "subq/subq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum subq_fft_padding {
    SUBQ_FFT_PADDING_ZERO = 0, /* y[n] = sum_m k[m] x[n + K/2 - m], x = 0 outside, for any K (the FFT is
                                  min(N + ceil(K/2), 2N) points, more for K > 2N + 1 where that aliases) */
    SUBQ_FFT_PADDING_CIRCULAR, /* y[n] = sum_m k[m] x[(n - m + (K-1)/2) mod N]; FFT size N */
} subq_fft_padding;

typedef struct subq_fft_conv_options {
    int32_t causal;               /* 1 spatial axis only: y[n] = sum_{m <= n} k[m] x[n - m], K <= N */
    subq_fft_padding padding[3];  /* non-causal: per spatial axis */
} subq_fft_conv_options;

typedef struct subq_fft_kernel subq_fft_kernel;

/* kernel [Bk, C, *K] (Bk = 1: shared by the batch; Bk = B: one per batch element, e.g. FiLM),
 * for inputs [B, C, *input_size] with spatial_rank = 1, 2 or 3 axes. Records the spectrum's
 * computation into the stream; the kernel tensor may be released once the stream has run. */
subq_status subq_fft_kernel_create(subq_stream *stream, const subq_tensor *kernel, int spatial_rank,
                                   const int64_t *input_size, const subq_fft_conv_options *options,
                                   subq_fft_kernel **fft_kernel);
/* New weights of the same shape: recompute the spectrum in place. */
subq_status subq_fft_kernel_update(subq_stream *stream, subq_fft_kernel *fft_kernel,
                                   const subq_tensor *kernel);
/* Not while a stream that uses it has work in flight. */
void subq_fft_kernel_destroy(subq_fft_kernel *fft_kernel);

/* The fused epilogue of the Hyena inner loop: u = pre * x; y = post * (conv(u, k) + shortcut[c] * u).
 * Each member is optional (NULL): pre and post have x's shape, shortcut is [C]. */
typedef struct subq_fft_conv_extras {
    const subq_tensor *pre;
    const subq_tensor *post;
    const subq_tensor *shortcut;
} subq_fft_conv_extras;

/* x, y [B, C, *input_size], channels-first with the spatial axes dense (strides of batch and
 * channel axes are free). extras may be NULL. */
subq_status subq_fft_conv(subq_stream *stream, const subq_tensor *x, const subq_fft_kernel *fft_kernel,
                          const subq_fft_conv_extras *extras, subq_tensor *y);

#ifdef __cplusplus
}
#endif

#endif
