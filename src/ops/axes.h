/* The index space of ops that walk several same-shaped tensors with their own strides (gates,
 * activations, the rows of a norm): shapes shrunk to the fewest axes that still describe every
 * tensor, so that shaders divide as little as possible per element. */
#ifndef SUBQ_OPS_AXES_H
#define SUBQ_OPS_AXES_H

#include "runtime/runtime.h"

#define SUBQ_AXES_TENSORS 3

typedef struct subq_axes {
    int rank;
    int64_t shape[SUBQ_MAX_RANK];
    int64_t strides[SUBQ_AXES_TENSORS][SUBQ_MAX_RANK];
} subq_axes;

/* The axes of `shape` (rank <= 5) except `skip` (-1: none), with each tensor's strides; a NULL
 * tensor gets the strides of tensors[0]. */
void subq_axes_init(subq_axes *axes, int rank, const int64_t *shape, int skip,
                    const subq_tensor *const tensors[SUBQ_AXES_TENSORS]);
/* Drop size-1 axes and merge neighbours that are contiguous in every tensor. Leaves rank >= 1. */
void subq_axes_collapse(subq_axes *axes);
/* Pad to `rank` axes with leading size-1 axes (what fixed-size shader arrays expect). */
void subq_axes_pad(subq_axes *axes, int rank);

#endif
