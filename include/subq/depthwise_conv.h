/* Depthwise convolution 1d/2d/3d (SPEC.md section 1). Included by subq.h. */
#ifndef SUBQ_DEPTHWISE_CONV_H
#define SUBQ_DEPTHWISE_CONV_H

#include "subq/subq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum subq_padding {
    SUBQ_PADDING_SAME = 0,   /* output size = input size; left pad (K-1)/2, the rest on the right */
    SUBQ_PADDING_CAUSAL,     /* 1d only: left pad K-1 */
    SUBQ_PADDING_EXPLICIT,   /* PyTorch ConvNd(padding=p): p on both sides, output N + 2p - K + 1 */
} subq_padding;

typedef struct subq_depthwise_conv_options {
    subq_padding padding;
    int32_t explicit_padding[3]; /* per spatial axis, with SUBQ_PADDING_EXPLICIT */
    int64_t channels;            /* total channels C over all ranks; 0: x's channels * cp_size */
    int32_t cp_rank;             /* this rank's index in the context-parallel group */
    int32_t cp_size;             /* ranks in the context-parallel group; 0 or 1: none */
} subq_depthwise_conv_options;

/* Depthwise convolution 1d/2d/3d (DistributedDepthwiseConvNd, or PyTorch ConvNd with groups = C).
 * x [B, C_local, *S] channels-first (any strides); weight [G, *K] compact, channel c of C uses
 * prototype c / (C / G); bias [G] or NULL; y [B, C_local, *S_out]. With cp_size P, this rank holds
 * channels [cp_rank * C/P, (cp_rank + 1) * C/P). Cross-correlation, as F.conv1d. Each tensor f32,
 * f16 or bf16 (16-bit storage needed), accumulated in fp32. */
subq_status subq_depthwise_conv(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                                const subq_tensor *bias, const subq_depthwise_conv_options *options,
                                subq_tensor *y);

#ifdef __cplusplus
}
#endif

#endif
