/* A subq_fft_conv call after its checks, and the paths that record one. subq_fft_conv (fft_conv.c)
 * validates and hands the call to a path: a specialised path adds one `if` there, ahead of the
 * general path that handles every call. */
#ifndef SUBQ_FFT_CONV_INTERNAL_H
#define SUBQ_FFT_CONV_INTERNAL_H

#include "fft/fft_kernel.h"

typedef struct subq_fft_conv_call {
    subq_stream *stream;
    const subq_tensor *x;        /* [B, C, *N], spatial axes dense */
    const subq_fft_kernel *kernel;
    const subq_tensor *pre;      /* x's shape, or NULL */
    const subq_tensor *post;     /* x's shape, or NULL */
    const subq_tensor *shortcut; /* [C], or NULL */
    subq_tensor *y;              /* x's shape, spatial axes dense, no overlap with any input */
    int64_t batch, channels;
} subq_fft_conv_call;

/* Pack, VkFFT R2C, spectral product, VkFFT C2R, epilogue; in chunks of rows when the scratch of
 * all rows would not fit one binding (fft_conv_general.c). */
subq_status subq_fft_conv_general(const subq_fft_conv_call *call);

#endif
