/* Strided views for operator checks: a dense storage tensor and a view into it with padding,
 * an offset or permuted axes, the host-side gather of the view's elements, and a comparison that
 * also proves the op wrote nothing outside the view. */
#ifndef SUBQ_CHECK_STRIDED_H
#define SUBQ_CHECK_STRIDED_H

#include "check.h"

typedef enum strided_layout {
    LAYOUT_DENSE = 0,
    LAYOUT_PADDED,     /* last axis contiguous; every other axis spaced as if the last had `pad` more */
    LAYOUT_TRANSPOSED, /* axis 1 innermost in memory: a channels-first view of channels-last storage */
} strided_layout;

typedef struct strided {
    subq_tensor *storage, *view;
    int64_t storage_n;
    int rank;
    int64_t shape[SUBQ_MAX_RANK], strides[SUBQ_MAX_RANK], offset;
} strided;

/* A view of the shape in this layout, `offset` elements into its storage, and `pad` as above.
 * values: the view's elements in row-major order of its shape (NULL: all NaN, for outputs); the
 * rest of the storage holds NaN. Returns false (failure recorded) if anything failed. */
bool strided_make(checker *c, const char *label, strided *t, int rank, const int64_t *shape,
                  strided_layout layout, int64_t pad, int64_t offset, const double *values);
void strided_free(strided *t);
int64_t strided_numel(const strided *t);
/* The view's elements compared with ref (row-major), and every storage element outside the view
 * still NaN. */
void strided_check(checker *c, const char *label, const strided *t, const double *ref, double tol);

#endif
