/* Filling push constants from tensors that may be absent (optional arguments given as NULL). */
#ifndef SUBQ_OPS_PUSH_H
#define SUBQ_OPS_PUSH_H

#include "runtime/runtime.h"

/* The element the shader adds to the tensor's binding; 0 for an absent tensor. */
static inline uint32_t subq_push_first(const subq_tensor *t)
{
    return t ? subq_tensor_binding(t).first_element : 0;
}

/* Every stride of t into dst[0..rank); nothing for an absent tensor, leaving dst's zeros. */
static inline void subq_push_strides(uint32_t *dst, const subq_tensor *t)
{
    for (int i = 0; t && i < t->rank; i++) dst[i] = (uint32_t)t->strides[i];
}

/* The batch and channel strides of t (axes 0 and 1), the batch's 0 where t has one batch for all
 * (a kernel shared by the batch); nothing for an absent tensor. */
static inline void subq_push_batch_channel_strides(uint32_t dst[2], const subq_tensor *t)
{
    if (!t) return;
    dst[0] = t->shape[0] == 1 ? 0 : (uint32_t)t->strides[0];
    dst[1] = (uint32_t)t->strides[1];
}

#endif
