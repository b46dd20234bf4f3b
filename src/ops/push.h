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

#endif
