/* The fused 2D FFT convolution: one workgroup per image, its half spectrum kept in shared memory
 * from the row FFTs through the column FFTs, the product and the inverses
 * (shaders/fft_conv_fused_2d.comp); x read once, y written once.
 *
 * It takes non-causal 2D layouts (fft_layout.h) whose grid F0 x F1 is a power of two on both
 * axes (8 to 2048 points) with no folding, when the kept half spectrum (N0 rows of F1/2 complex
 * values, padded) and the FFT scratch fit the device's shared memory: up to 64 x 64 images with
 * CKConv's 127 x 127 kernels in 48 KiB. The kernel object then holds its spectrum column by
 * column: each row [F1/2 + 1, F0, 2] instead of [F0, F1/2 + 1, 2]. */
#ifndef SUBQ_FFT_FUSED_2D_H
#define SUBQ_FFT_FUSED_2D_H

#include "fft/fft_conv.h"

/* Whether the fused path takes convolutions of this layout on this device. */
bool subq_fft_conv_fused_2d_supports(const subq_context *ctx, const subq_fft_layout *layout);

/* Record the copy of R2C rows [rows, F0 * (F1/2 + 1), 2] (last two axes dense) into the column
 * order above. */
subq_status subq_fft_conv_fused_2d_order_spectrum(subq_stream *stream, const subq_fft_layout *layout,
                                                  const subq_tensor *bins, subq_tensor *ordered);

/* A call as subq_fft_conv checked it, whose kernel's layout the fused path supports. */
subq_status subq_fft_conv_fused_2d(const subq_fft_conv_call *call);

#endif
