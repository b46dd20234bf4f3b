#include "strided.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int64_t strided_numel(const strided *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->shape[i];
    return n;
}

/* Storage index of the view's element number i in row-major order. */
static int64_t storage_index(const strided *t, int64_t i)
{
    int64_t at = t->offset;
    for (int a = t->rank - 1; a >= 0; a--) {
        at += (i % t->shape[a]) * t->strides[a];
        i /= t->shape[a];
    }
    return at;
}

static void layout_strides(strided *t, strided_layout layout, int64_t pad)
{
    int order[SUBQ_MAX_RANK]; /* axes from innermost to outermost in memory */
    int n = 0;
    if (layout == LAYOUT_TRANSPOSED && t->rank > 1) order[n++] = 1;
    for (int a = t->rank - 1; a >= 0; a--)
        if (!(layout == LAYOUT_TRANSPOSED && t->rank > 1 && a == 1)) order[n++] = a;
    int64_t stride = 1;
    for (int i = 0; i < t->rank; i++) {
        t->strides[order[i]] = stride;
        stride *= t->shape[order[i]] + (layout == LAYOUT_PADDED && i == 0 ? pad : 0);
    }
    t->storage_n = t->offset + stride;
}

bool strided_make(checker *c, const char *label, strided *t, int rank, const int64_t *shape,
                  strided_layout layout, int64_t pad, int64_t offset, const double *values)
{
    memset(t, 0, sizeof *t);
    t->rank = rank;
    t->offset = offset;
    memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
    layout_strides(t, layout, pad);
    float *fill = malloc((size_t)t->storage_n * sizeof *fill);
    if (!fill) exit(2);
    for (int64_t i = 0; i < t->storage_n; i++) fill[i] = NAN;
    if (values)
        for (int64_t i = 0, n = strided_numel(t); i < n; i++) fill[storage_index(t, i)] = (float)values[i];
    bool ok = check_ok(c, label, subq_tensor_create(c->ctx, SUBQ_F32, 1, &t->storage_n, &t->storage)) &&
              check_ok(c, label, subq_tensor_upload(t->storage, fill, (size_t)t->storage_n * sizeof *fill)) &&
              check_ok(c, label, subq_tensor_view(t->storage, offset, rank, shape, t->strides, &t->view));
    free(fill);
    return ok;
}

void strided_free(strided *t)
{
    subq_tensor_destroy(t->view);
    subq_tensor_destroy(t->storage);
    memset(t, 0, sizeof *t);
}

void strided_check(checker *c, const char *label, const strided *t, const double *ref, double tol)
{
    int64_t n = strided_numel(t);
    float *got = malloc((size_t)t->storage_n * sizeof *got);
    char *inside = calloc((size_t)t->storage_n, 1);
    float *view = malloc((size_t)n * sizeof *view);
    if (!got || !inside || !view) exit(2);
    if (check_ok(c, label, subq_tensor_download(t->storage, got, (size_t)t->storage_n * sizeof *got))) {
        for (int64_t i = 0; i < n; i++) {
            int64_t at = storage_index(t, i);
            inside[at] = 1;
            view[i] = got[at];
        }
        int64_t stray = -1;
        for (int64_t i = 0; i < t->storage_n && stray < 0; i++)
            if (!inside[i] && !isnan(got[i])) stray = i;
        if (stray >= 0)
            check_fail(c, label, "storage element %lld, outside the output view, was written (%g)",
                       (long long)stray, got[stray]);
        else
            check_close_values(c, label, view, ref, (size_t)n, tol);
    }
    free(got);
    free(inside);
    free(view);
}
