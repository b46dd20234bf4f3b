/* Tensors as strided views into a larger storage, to check ops on any layout. The storage around
 * and between a view's elements holds NaN: an op that reads a gap gets a non-finite result, and
 * one that writes a gap is caught by check_view_close. */
#ifndef SUBQ_CHECK_VIEWS_H
#define SUBQ_CHECK_VIEWS_H

#include "check.h"

typedef struct check_view {
    subq_tensor *storage; /* dense, rank 1 */
    subq_tensor *view;
    int rank;
    int64_t shape[SUBQ_MAX_RANK], strides[SUBQ_MAX_RANK], offset, elements;
} check_view;

/* order: the axes from outermost to innermost in memory (NULL: row-major). Rows of the innermost
 * axis lie `gap` elements further apart than their length; the view starts `offset` elements into
 * its storage (odd offsets give unaligned bindings). */
void check_view_layout(check_view *v, int rank, const int64_t *shape, const int *order, int64_t offset,
                       int64_t gap);
/* Create the storage with values (row-major over the view's shape) at the view's elements, or NaN
 * everywhere for values == NULL (an output). False on failure, which is recorded. */
bool check_view_upload(checker *c, const char *label, check_view *v, const double *values);
/* The view's elements against ref (row-major), and every gap still NaN. */
void check_view_close(checker *c, const char *label, const check_view *v, const double *ref, double tol);
void check_view_release(check_view *v);

/* A view described by kind: dense; rows of the last axis `pad` elements apart beyond their length;
 * or axis 1 innermost (a channels-first view of channels-last storage). Starts `offset` elements in. */
typedef enum check_layout {
    CHECK_LAYOUT_DENSE = 0,
    CHECK_LAYOUT_PADDED,
    CHECK_LAYOUT_TRANSPOSED,
} check_layout;

typedef struct check_place {
    check_layout layout;
    int64_t pad, offset;
} check_place;

/* check_view_layout for a check_place, then check_view_upload. */
bool check_view_place(checker *c, const char *label, check_view *v, int rank, const int64_t *shape,
                      check_place place, const double *values);

#endif
