#include "views.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void check_view_layout(check_view *v, int rank, const int64_t *shape, const int *order, int64_t offset,
                       int64_t gap)
{
    memset(v, 0, sizeof *v);
    v->rank = rank;
    memcpy(v->shape, shape, (size_t)rank * sizeof *shape);
    int64_t stride = 1;
    for (int k = rank - 1; k >= 0; k--) {
        int axis = order ? order[k] : k;
        v->strides[axis] = stride;
        stride *= shape[axis] + (k == rank - 1 ? gap : 0);
    }
    int64_t span = 1;
    for (int i = 0; i < rank; i++) span += (shape[i] - 1) * v->strides[i];
    v->offset = offset;
    v->elements = offset + span + gap;
}

/* Storage position of the i-th element in row-major order over the view's shape. */
static int64_t position(const check_view *v, int64_t i)
{
    int64_t at = v->offset;
    for (int k = v->rank - 1; k >= 0; k--) {
        at += (i % v->shape[k]) * v->strides[k];
        i /= v->shape[k];
    }
    return at;
}

static int64_t count(const check_view *v)
{
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) n *= v->shape[i];
    return n;
}

bool check_view_upload(checker *c, const char *label, check_view *v, const double *values)
{
    double *storage = check_alloc((size_t)v->elements);
    for (int64_t i = 0; i < v->elements; i++) storage[i] = NAN;
    for (int64_t i = 0; values && i < count(v); i++) storage[position(v, i)] = values[i];
    v->storage = check_upload(c, label, 1, &v->elements, storage);
    free(storage);
    return v->storage &&
           check_ok(c, label, subq_tensor_view(v->storage, v->offset, v->rank, v->shape, v->strides, &v->view));
}

void check_view_close(checker *c, const char *label, const check_view *v, const double *ref, double tol)
{
    size_t n = (size_t)count(v);
    float *storage = malloc((size_t)v->elements * sizeof *storage);
    float *got = malloc(n * sizeof *got);
    bool *in_view = calloc((size_t)v->elements, sizeof *in_view);
    if (!storage || !got || !in_view) exit(2);
    if (check_ok(c, label, subq_tensor_download(v->storage, storage, (size_t)v->elements * sizeof *storage))) {
        for (size_t i = 0; i < n; i++) {
            int64_t at = position(v, (int64_t)i);
            got[i] = storage[at];
            in_view[at] = true;
        }
        int64_t stray = -1;
        for (int64_t i = 0; i < v->elements && stray < 0; i++)
            if (!in_view[i] && !isnan(storage[i])) stray = i;
        if (stray >= 0)
            check_fail(c, label, "storage element %lld outside the view was written (%g)", (long long)stray,
                       storage[stray]);
        else
            check_close_values(c, label, got, ref, n, tol);
    }
    free(storage);
    free(got);
    free(in_view);
}

void check_view_release(check_view *v)
{
    subq_tensor_destroy(v->view);
    subq_tensor_destroy(v->storage);
    v->view = v->storage = NULL;
}

bool check_view_place(checker *c, const char *label, check_view *v, int rank, const int64_t *shape,
                      check_place place, const double *values)
{
    int order[SUBQ_MAX_RANK];
    bool transposed = place.layout == CHECK_LAYOUT_TRANSPOSED && rank > 1;
    for (int k = 0, axis = 0; k < rank; k++, axis++) {
        if (transposed && axis == 1) axis++;
        order[k] = transposed && k == rank - 1 ? 1 : axis;
    }
    check_view_layout(v, rank, shape, order, place.offset, place.layout == CHECK_LAYOUT_PADDED ? place.pad : 0);
    return check_view_upload(c, label, v, values);
}
