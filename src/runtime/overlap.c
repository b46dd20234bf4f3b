/* Whether two views of one storage share an element: an integer search for index vectors i, j
 * with offset_a + sum i * stride_a == offset_b + sum j * stride_b. Interleaved views (the q, k, v
 * column blocks of one projection) span overlapping byte ranges yet share nothing. */
#include <stdlib.h>

#include "runtime/runtime.h"

#define MAX_TERMS (2 * SUBQ_MAX_RANK)
#define SEARCH_BUDGET 4096 /* nodes; past it the answer is "they may share" */

typedef struct term {
    int64_t stride, lo, hi; /* the sum takes k * stride with lo <= k <= hi */
} term;

static int by_stride_descending(const void *a, const void *b)
{
    int64_t x = ((const term *)a)->stride, y = ((const term *)b)->stride;
    return (x < y) - (x > y);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Can the terms from `at` on sum to d? rest_min/rest_max[i]: the range of the sum from i on. */
static bool reachable(const term *t, int count, int at, int64_t d, const int64_t *rest_min,
                      const int64_t *rest_max, int *budget)
{
    if (at == count) return d == 0;
    if (--*budget < 0) return true;
    int64_t s = t[at].stride;
    int64_t lo = -floor_div(-(d - rest_max[at + 1]), s), hi = floor_div(d - rest_min[at + 1], s);
    if (lo < t[at].lo) lo = t[at].lo;
    if (hi > t[at].hi) hi = t[at].hi;
    for (int64_t k = lo; k <= hi; k++)
        if (reachable(t, count, at + 1, d - k * s, rest_min, rest_max, budget)) return true;
    return false;
}

/* Terms of one stride add up to one term: i * s - j * s ranges over (lo_a + lo_b)..(hi_a + hi_b).
 * Views cut from one tensor share their strides, so this turns a search over every row of the
 * q, k, v blocks into one step. Expects t sorted by stride. */
static int merge_equal_strides(term *t, int count)
{
    int merged = 0;
    for (int i = 0; i < count; i++) {
        if (merged > 0 && t[merged - 1].stride == t[i].stride) {
            t[merged - 1].lo += t[i].lo;
            t[merged - 1].hi += t[i].hi;
        } else {
            t[merged++] = t[i];
        }
    }
    return merged;
}

bool subq_tensors_share_elements(const subq_tensor *a, const subq_tensor *b)
{
    if (!subq_tensors_overlap(a, b)) return false;
    if (a->dtype != b->dtype) return true;
    term t[MAX_TERMS];
    int count = 0;
    for (int i = 0; i < a->rank; i++)
        if (a->strides[i] && a->shape[i] > 1) t[count++] = (term){a->strides[i], 0, a->shape[i] - 1};
    for (int i = 0; i < b->rank; i++)
        if (b->strides[i] && b->shape[i] > 1) t[count++] = (term){b->strides[i], -(b->shape[i] - 1), 0};
    qsort(t, (size_t)count, sizeof *t, by_stride_descending);
    count = merge_equal_strides(t, count);
    int64_t rest_min[MAX_TERMS + 1] = {0}, rest_max[MAX_TERMS + 1] = {0};
    for (int i = count - 1; i >= 0; i--) {
        rest_min[i] = rest_min[i + 1] + t[i].lo * t[i].stride;
        rest_max[i] = rest_max[i + 1] + t[i].hi * t[i].stride;
    }
    int budget = SEARCH_BUDGET;
    /* a's element at i equals b's at j when sum i * sa - sum j * sb == offset_b - offset_a */
    return reachable(t, count, 0, b->offset - a->offset, rest_min, rest_max, &budget);
}
