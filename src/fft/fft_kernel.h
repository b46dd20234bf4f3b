/* The kernel object's insides, for the paths that record an FFT convolution.
 *
 * The spectrum is an f32 tensor [Bk, C, S, 2]: per kernel row the R2C of the placed kernel
 * (fft_layout.h), S = prod(F[:-1]) * (F[-1]/2 + 1) complex points (re, im), axes in C order, the
 * last one (the R2C axis) fastest, scaled by 1/prod(F) so that an unnormalised inverse gives the
 * convolution. Causal 1D: [Bk, C, L + 1, 2], F = 2L, scaled by 1/(2L); kernel row b * C + c (or
 * c when Bk = 1); its bins in the four-step path's order where that path takes the rows
 * (fourstep_causal.h), column by column where the fused 2D path takes the layout (fused_2d.h). */
#ifndef SUBQ_FFT_KERNEL_H
#define SUBQ_FFT_KERNEL_H

#include "fft/fft_layout.h"

const subq_tensor *subq_fft_kernel_spectrum(const subq_fft_kernel *kernel);
const subq_fft_layout *subq_fft_kernel_layout(const subq_fft_kernel *kernel);
subq_context *subq_fft_kernel_context(const subq_fft_kernel *kernel);
int64_t subq_fft_kernel_batch(const subq_fft_kernel *kernel);    /* Bk */
int64_t subq_fft_kernel_channels(const subq_fft_kernel *kernel); /* C */
int64_t subq_fft_kernel_length(const subq_fft_kernel *kernel);   /* L = N of the last axis */

#endif
