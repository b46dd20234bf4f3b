/* subq_linear's GEMMs: the SIMT one (linear.c) for any dtypes and layouts, and the tensor-core ones
 * (linear_coopmat.c) for f16 operands and for f32 ones, which hand their ragged edges back to the
 * SIMT one. */
#ifndef SUBQ_OPS_LINEAR_H
#define SUBQ_OPS_LINEAR_H

#include "runtime/runtime.h"

typedef struct linear_push {
    uint32_t x_first, w_first, bias_first, y_first;
    uint32_t m, n;
    uint32_t k_begin, k_end;
    uint32_t w_stride;
    uint32_t has_bias;
    uint32_t accumulate;
    uint32_t rows[4];
    uint32_t x_stride[4];
    uint32_t y_stride[4];
    uint32_t x_k_stride; /* 1: x's rows are K-contiguous; else its innermost row axis is M-contiguous */
} linear_push;

/* x stored channels-first: its innermost row axis M-contiguous, K strided (the shaders' X_COLUMNS). */
static inline bool subq_linear_x_columns(const linear_push *p)
{
    return p->x_k_stride != 1;
}

/* tensors: x, weight, bias (may be NULL), y; extra: a fifth binding, read only (NULL: none). */
subq_status subq_linear_dispatch_parts(subq_stream *stream, const subq_kernel *kernel,
                                       const subq_tensor *const tensors[4], const subq_tensor *extra,
                                       linear_push *p, uint64_t invocations, uint32_t workgroup, uint32_t bk);
subq_status subq_linear_simt(subq_stream *stream, const subq_tensor *const tensors[4], linear_push *p);
bool subq_linear_coopmat_fits(const subq_context *ctx, const subq_tensor *const tensors[4], const linear_push *p);
subq_status subq_linear_coopmat(subq_stream *stream, const subq_tensor *const tensors[4], const linear_push *p);

#endif
