/* Intermediate tensors a module reuses from one forward to the next: one slot per role, each a
 * dense storage that grows when a larger shape asks for it. Storage outgrown is retired, not freed,
 * until the module goes: a stream may still have work in flight that reads it. */
#ifndef SUBQ_MODULES_SCRATCH_H
#define SUBQ_MODULES_SCRATCH_H

#include "runtime/runtime.h"

typedef struct subq_scratch_slot {
    subq_tensor *base;   /* 1-D dense, capacity elements */
    subq_tensor view;    /* the last shape asked for, over base's storage */
} subq_scratch_slot;

typedef struct subq_scratch {
    subq_context *ctx;
    subq_scratch_slot *slots;
    int32_t slot_count;
    subq_tensor **retired;
    int32_t retired_count;
} subq_scratch;

subq_status subq_scratch_init(subq_scratch *scratch, subq_context *ctx, int32_t slots);
void subq_scratch_release(subq_scratch *scratch);
/* A dense f32 tensor of this shape in slot `slot`, valid until the slot is asked again. */
subq_status subq_scratch_get(subq_scratch *scratch, int32_t slot, int rank, const int64_t *shape,
                             subq_tensor **tensor);

/* A view over t's storage with no reference of its own: for recording calls while t lives.
 * strides NULL: dense. The caller keeps it inside t's elements. */
static inline subq_tensor subq_view_of(const subq_tensor *t, int64_t offset, int rank, const int64_t *shape,
                                       const int64_t *strides)
{
    subq_tensor v = {.storage = t->storage, .dtype = t->dtype, .rank = rank, .offset = t->offset + offset};
    int64_t stride = 1;
    for (int i = rank - 1; i >= 0; i--) {
        v.shape[i] = shape[i];
        v.strides[i] = strides ? strides[i] : stride;
        stride *= shape[i];
    }
    return v;
}

/* [B, *S, C] channels-last seen as [B, C, *S]: PyTorch's movedim(-1, 1). */
static inline subq_tensor subq_view_channels_first(const subq_tensor *t)
{
    int64_t shape[SUBQ_MAX_RANK], strides[SUBQ_MAX_RANK];
    int r = t->rank;
    shape[0] = t->shape[0], strides[0] = t->strides[0];
    shape[1] = t->shape[r - 1], strides[1] = t->strides[r - 1];
    for (int i = 1; i < r - 1; i++) shape[i + 1] = t->shape[i], strides[i + 1] = t->strides[i];
    return subq_view_of(t, 0, r, shape, strides);
}

/* [B, C, *S] seen as [B, *S, C] (subq_view_channels_first undone). */
static inline subq_tensor subq_view_channels_last(const subq_tensor *t)
{
    int64_t shape[SUBQ_MAX_RANK], strides[SUBQ_MAX_RANK];
    int r = t->rank;
    shape[0] = t->shape[0], strides[0] = t->strides[0];
    shape[r - 1] = t->shape[1], strides[r - 1] = t->strides[1];
    for (int i = 2; i < r; i++) shape[i - 1] = t->shape[i], strides[i - 1] = t->strides[i];
    return subq_view_of(t, 0, r, shape, strides);
}

#endif
