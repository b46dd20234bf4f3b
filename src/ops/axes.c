#include "ops/axes.h"

void subq_axes_init(subq_axes *axes, int rank, const int64_t *shape, int skip,
                    const subq_tensor *const tensors[SUBQ_AXES_TENSORS])
{
    axes->rank = 0;
    for (int a = 0; a < rank; a++) {
        if (a == skip) continue;
        axes->shape[axes->rank] = shape[a];
        for (int t = 0; t < SUBQ_AXES_TENSORS; t++) {
            const subq_tensor *tensor = tensors[t] ? tensors[t] : tensors[0];
            axes->strides[t][axes->rank] = tensor->strides[a];
        }
        axes->rank++;
    }
}

static void remove_axis(subq_axes *axes, int a)
{
    for (int i = a; i + 1 < axes->rank; i++) {
        axes->shape[i] = axes->shape[i + 1];
        for (int t = 0; t < SUBQ_AXES_TENSORS; t++) axes->strides[t][i] = axes->strides[t][i + 1];
    }
    axes->rank--;
}

static bool mergeable(const subq_axes *axes, int a)
{
    for (int t = 0; t < SUBQ_AXES_TENSORS; t++)
        if (axes->strides[t][a] != axes->strides[t][a + 1] * axes->shape[a + 1]) return false;
    return true;
}

void subq_axes_collapse(subq_axes *axes)
{
    for (int a = axes->rank - 1; a >= 0; a--)
        if (axes->shape[a] == 1) remove_axis(axes, a);
    for (int a = axes->rank - 2; a >= 0; a--)
        if (mergeable(axes, a)) {
            axes->shape[a + 1] *= axes->shape[a];
            remove_axis(axes, a);
        }
    if (axes->rank == 0) {
        axes->rank = 1;
        axes->shape[0] = 1;
        for (int t = 0; t < SUBQ_AXES_TENSORS; t++) axes->strides[t][0] = 1;
    }
}

void subq_axes_pad(subq_axes *axes, int rank)
{
    int shift = rank - axes->rank;
    for (int i = axes->rank - 1; i >= 0; i--) {
        axes->shape[i + shift] = axes->shape[i];
        for (int t = 0; t < SUBQ_AXES_TENSORS; t++) axes->strides[t][i + shift] = axes->strides[t][i];
    }
    for (int i = 0; i < shift; i++) {
        axes->shape[i] = 1;
        for (int t = 0; t < SUBQ_AXES_TENSORS; t++) axes->strides[t][i] = 0;
    }
    axes->rank = rank;
}
