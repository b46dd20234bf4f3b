/* The geometry of an FFT convolution (SPEC.md section 4), shared by the kernel object and every
 * path that records the convolution.
 *
 * Each axis is a circular convolution of F points whose output points [0, N) are the answer: the
 * input fills [0, N) (zero-padded axes leave [N, F) zero), and kernel tap m sits at point
 * (m - shift) mod M (taps that land on one point add up; M = F but for circular axes), so no
 * crop or phase shift is left for the output. Per axis:
 *   causal    F = 2N, shift 0                      y[n] = sum_{m <= n} k[m] x[n - m], K <= N
 *   zero      F = SPEC's min(N + ceil(K/2), 2N), grown to N + K/2 for K > 2N + 1 (where the SPEC's
 *             size would alias), rounded up to even (VkFFT's multi-pass R2C needs even sizes);
 *             shift K/2                            y[n] = sum_m k[m] x[n + K/2 - m]
 *   circular  F = M = N, shift (K-1)/2             y[n] = sum_m k[m] x[(n - m + (K-1)/2) mod N]
 *             (N = 1: F = 2, zero padded, as VkFFT has no 1-point transform)
 * On zero-padded axes the pack writes `filled` = N rounded up to even points (the extra one zero)
 * and the plan skips the rest: VkFFT 1.2.26's zero padding drops the last point of an odd
 * extent (multi-pass R2C axis, every other axis).
 * Arrays are in C order (the last axis is contiguous and is the R2C axis). */
#ifndef SUBQ_FFT_LAYOUT_H
#define SUBQ_FFT_LAYOUT_H

#include "fft/fft_plan.h"

typedef struct subq_fft_layout {
    int axes;
    bool causal;
    int64_t size[SUBQ_FFT_MAX_AXES];   /* N */
    int64_t kernel[SUBQ_FFT_MAX_AXES]; /* K */
    int64_t fft[SUBQ_FFT_MAX_AXES];    /* F */
    int64_t fold[SUBQ_FFT_MAX_AXES];   /* M */
    int64_t shift[SUBQ_FFT_MAX_AXES];  /* in [0, M) */
    int64_t filled[SUBQ_FFT_MAX_AXES]; /* points the pack writes: N, or N rounded up to even if F > N */
} subq_fft_layout;

/* Checks the options against the sizes; messages name options.causal, options.padding[i] or
 * kernel. */
subq_status subq_fft_layout_make(int axes, const int64_t *size, const int64_t *kernel,
                                 const subq_fft_conv_options *options, subq_fft_layout *layout);
/* A 1D layout of F = 2N points and no folding: the causal one, and the zero-padded one of a kernel
 * of K >= 2N - 1 taps (CKConv's). Both convolve u's N points circularly on 2N and keep the first N,
 * which is what the causal rows' paths compute (fused_causal.h, fourstep_causal.h). */
bool subq_fft_layout_doubled_row(const subq_fft_layout *layout);
/* Complex points per row of the spectrum: prod(F[:-1]) * (F[-1]/2 + 1). */
int64_t subq_fft_layout_spectrum_row(const subq_fft_layout *layout);
/* Strides in floats of the real scratch, axes aligned right in three (missing axes 0), and the
 * row stride (2 * spectrum_row). */
void subq_fft_layout_real_strides(const subq_fft_layout *layout, uint32_t strides[3], uint32_t *row);
/* Rows per launch: all of them if the scratch fits one binding, else even shares that do. */
subq_status subq_fft_layout_chunk_rows(const subq_context *ctx, const subq_fft_layout *layout, int64_t rows,
                                       int64_t *chunk);
/* The plan for the convolution (forward and inverse, zero-padded axes skipped) or for the
 * kernel's spectrum (forward only: the placed kernel fills all F points). */
subq_fft_plan_key subq_fft_layout_plan_key(const subq_fft_layout *layout, int64_t rows, bool inverse);

#endif
