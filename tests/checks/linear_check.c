/* subq_linear against ref_linear: sizes of 1, primes and non-powers of two around both tile
 * shapes, aligned (16-byte loads and stores) and unaligned operands, strided rows and leading
 * axes, channels-first x, the longest x one binding allows, and a bad-input table. fp32 sums of K products drift
 * like sqrt(K): the tolerance scales with it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"
#include "views.h"

typedef struct place {
    int64_t pad, offset; /* row padding and offset of a PADDED layout; both 0: dense */
} place;

typedef struct linear_case {
    int rank;               /* of x and y */
    int64_t lead[SUBQ_MAX_RANK - 1];
    int64_t k, n;
    bool bias;
    bool x_columns; /* x's second-last axis innermost (channels-first activations), rows x.pad apart */
    place x, w, y;
} linear_case;

static void describe(const linear_case *k, char *buf, size_t size)
{
    int n = snprintf(buf, size, "linear x [");
    for (int i = 0; i + 1 < k->rank; i++) n += snprintf(buf + n, size - (size_t)n, "%lld,", (long long)k->lead[i]);
    snprintf(buf + n, size - (size_t)n, "%lld] -> N=%lld%s%s pads x %lld+%lld w %lld+%lld y %lld+%lld", (long long)k->k,
             (long long)k->n, k->bias ? " bias" : "", k->x_columns ? " x columns" : "", (long long)k->x.pad, (long long)k->x.offset, (long long)k->w.pad,
             (long long)k->w.offset, (long long)k->y.pad, (long long)k->y.offset);
}

static double *random_floats(checker *c, int64_t n)
{
    double *v = check_alloc((size_t)n);
    check_random(c, v, (size_t)n);
    for (int64_t i = 0; i < n; i++) v[i] = (float)v[i]; /* what the device sees */
    return v;
}

static bool make(checker *c, const char *label, check_view *t, int rank, const int64_t *shape, place p,
                 const double *values)
{
    check_layout layout = p.pad || p.offset ? CHECK_LAYOUT_PADDED : CHECK_LAYOUT_DENSE;
    return check_view_place(c, label, t, rank, shape, (check_place){layout, p.pad, p.offset}, values);
}

/* x with its last two axes swapped in memory: K outside the innermost row axis. */
static bool make_columns(checker *c, const char *label, check_view *t, int rank, const int64_t *shape, place p,
                         const double *values)
{
    int order[SUBQ_MAX_RANK];
    for (int i = 0; i < rank; i++) order[i] = i;
    order[rank - 2] = rank - 1;
    order[rank - 1] = rank - 2;
    check_view_layout(t, rank, shape, order, p.offset, p.pad);
    return check_view_upload(c, label, t, values);
}

static void run_case(checker *c, linear_case k)
{
    char label[256];
    describe(&k, label, sizeof label);
    int64_t m = 1, x_shape[SUBQ_MAX_RANK], y_shape[SUBQ_MAX_RANK];
    for (int i = 0; i + 1 < k.rank; i++) {
        m *= k.lead[i];
        x_shape[i] = y_shape[i] = k.lead[i];
    }
    x_shape[k.rank - 1] = k.k;
    y_shape[k.rank - 1] = k.n;
    double *x = random_floats(c, m * k.k), *w = random_floats(c, k.n * k.k), *b = random_floats(c, k.n);
    double *ref = check_alloc((size_t)(m * k.n));
    ref_linear(x, w, k.bias ? b : NULL, ref, m, k.n, k.k);
    check_view tx = {0}, tw = {0}, ty = {0};
    subq_tensor *tb = k.bias ? check_upload(c, label, 1, &k.n, b) : NULL;
    bool x_made = k.x_columns ? make_columns(c, label, &tx, k.rank, x_shape, k.x, x)
                              : make(c, label, &tx, k.rank, x_shape, k.x, x);
    if ((tb || !k.bias) && x_made &&
        make(c, label, &tw, 2, (int64_t[]){k.n, k.k}, k.w, w) && make(c, label, &ty, k.rank, y_shape, k.y, NULL) &&
        check_ok(c, label, subq_linear(c->stream, tx.view, tw.view, tb, ty.view)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_view_close(c, label, &ty, ref, 1e-6 * sqrt((double)k.k));
    check_view_release(&tx);
    check_view_release(&tw);
    check_view_release(&ty);
    subq_tensor_destroy(tb);
    free(x);
    free(w);
    free(b);
    free(ref);
}

static void run_mnk(checker *c, int64_t m, int64_t n, int64_t k, bool bias)
{
    run_case(c, (linear_case){.rank = 2, .lead = {m}, .k = k, .n = n, .bias = bias});
}

/* The 32 x 32 tiles (few blocks): every size class against 32 and 4 (the vector width). */
static void grid_tiny_tiles(checker *c)
{
    const int64_t sizes[][3] = {{1, 1, 1}, {1, 7, 5}, {3, 1, 9}, {2, 4, 4}, {17, 13, 31}, {64, 64, 64},
                                {65, 67, 129}, {127, 33, 4}, {5, 131, 256}, {200, 96, 768}, {97, 2, 1000}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        run_mnk(c, sizes[i][0], sizes[i][1], sizes[i][2], i % 2 == 0);
}

/* The 64 x 64 and 128 x 128 tiles (enough blocks of each), unaligned and aligned, ragged edges. */
static void grid_large_tiles(checker *c)
{
    if (c->quick) return;
    run_mnk(c, 1021, 517, 33, true);
    run_mnk(c, 1030, 520, 64, false);
    run_mnk(c, 2053, 2051, 19, true);
    run_mnk(c, 2050, 2048, 64, false);
}

static void grid_views(checker *c)
{
    const place rows4 = {4, 0}, odd = {3, 1}, chunk = {2 * 96, 96}; /* chunk: the middle third of [M, 3K] */
    run_case(c, (linear_case){.rank = 2, .lead = {37}, .k = 96, .n = 40, .bias = true, .x = chunk, .y = rows4});
    run_case(c, (linear_case){.rank = 2, .lead = {37}, .k = 96, .n = 40, .x = odd, .w = odd, .y = odd});
    run_case(c, (linear_case){.rank = 3, .lead = {2, 9}, .k = 20, .n = 12, .bias = true, .x = rows4, .w = rows4});
    run_case(c, (linear_case){.rank = 5, .lead = {2, 1, 3, 2}, .k = 7, .n = 5, .x = odd, .y = rows4});
    run_case(c, (linear_case){.rank = 1, .k = 33, .n = 17, .bias = true});
    run_case(c, (linear_case){.rank = 4, .lead = {3, 5, 7}, .k = 64, .n = 72, .w = rows4, .y = {0, 4}});
}

/* x channels-first (M contiguous, K strided): scalar loads (an innermost row axis not a multiple
 * of 4), vector loads, padded rows, more than one leading axis, and Hyena's out_proj shape, whose
 * whole 128 x 128 blocks take the f32 tensor-core GEMM and ragged N the SIMT one. */
static void grid_columns(checker *c)
{
    const place gap = {4, 0}, odd = {3, 1};
    run_case(c, (linear_case){.rank = 3, .lead = {2, 37}, .k = 20, .n = 12, .bias = true, .x_columns = true});
    run_case(c, (linear_case){.rank = 3, .lead = {3, 64}, .k = 96, .n = 40, .x_columns = true, .x = gap});
    run_case(c, (linear_case){.rank = 2, .lead = {130}, .k = 33, .n = 17, .x_columns = true, .x = odd});
    run_case(c, (linear_case){.rank = 4, .lead = {2, 3, 40}, .k = 7, .n = 5, .bias = true, .x_columns = true});
    if (c->quick) return;
    run_case(c, (linear_case){.rank = 3, .lead = {2, 256}, .k = 768, .n = 256, .bias = true, .x_columns = true});
    run_case(c, (linear_case){.rank = 3, .lead = {2, 128}, .k = 516, .n = 260, .x_columns = true, .x = gap});
}

/* Rows of x and of W at magnitudes from 2^-60 to 2^60 (beyond f16's range, which the tensor-core
 * f32 GEMM splits rows into): each element of y is held to 1e-6 sqrt(K) of its own row's and
 * column's scale, not of the largest element. */
static void run_row_scales(checker *c, int64_t m, int64_t n, int64_t k)
{
    char label[128];
    snprintf(label, sizeof label, "linear rows scaled 2^-60..2^60 M=%lld N=%lld K=%lld", (long long)m, (long long)n,
             (long long)k);
    double *x = random_floats(c, m * k), *w = random_floats(c, n * k), *ref = check_alloc((size_t)(m * n));
    ref_linear(x, w, NULL, ref, m, n, k);
    int *shift = malloc((size_t)(m + n) * sizeof *shift);
    for (int64_t r = 0; r < m + n; r++) shift[r] = r < m ? (int)(r * 37 % 121) - 60 : (int)(r * 13 % 61) - 30;
    for (int64_t i = 0; i < m * k; i++) x[i] = ldexp(x[i], shift[i / k]);
    for (int64_t i = 0; i < n * k; i++) w[i] = ldexp(w[i], shift[m + i / k]);
    subq_tensor *tx = check_upload(c, label, 2, (int64_t[]){m, k}, x), *tw = check_upload(c, label, 2, (int64_t[]){n, k}, w);
    check_view ty = {0}; /* poisoned */
    float *got = malloc((size_t)(m * n) * sizeof *got);
    if (tx && tw && make(c, label, &ty, 2, (int64_t[]){m, n}, (place){0, 0}, NULL) &&
        check_ok(c, label, subq_linear(c->stream, tx, tw, NULL, ty.view)) &&
        check_ok(c, label, subq_stream_wait(c->stream)) && check_download(c, label, ty.view, got, (size_t)(m * n))) {
        for (int64_t i = 0; i < m * n; i++) got[i] = ldexpf(got[i], -(shift[i / n] + shift[m + i % n]));
        check_close_values(c, label, got, ref, (size_t)(m * n), 1e-6 * sqrt((double)k));
    }
    subq_tensor_destroy(tx);
    subq_tensor_destroy(tw);
    check_view_release(&ty);
    free(got);
    free(shift);
    free(x);
    free(w);
    free(ref);
}

/* K of Hyena's projections (768), whole tensor-core blocks and ragged edges; then padded rows with
 * a K that is a multiple of 4 but not of 8, and a bias. */
static void grid_tensor_core_f32(checker *c)
{
    if (c->quick) return;
    run_row_scales(c, 256, 256, 768);
    run_row_scales(c, 300, 260, 768);
    const place rows8 = {8, 4}, rows4 = {4, 8};
    run_case(c, (linear_case){.rank = 3, .lead = {2, 130}, .k = 516, .n = 260, .bias = true, .x = rows8, .w = rows4,
                              .y = rows4});
}

/* y as large as one binding allows (bounded on big GPUs), and a K long enough to come in several
 * dispatches (more than 32768 steps of 16). */
static void grid_largest(checker *c)
{
    int64_t elements = check_largest_binding(c);
    if (!elements) return;
    run_mnk(c, elements / 4096, 4096, 1, true);
    if (!c->quick) run_mnk(c, 1, 3, 32768 * 16 + 5, true);
}

typedef struct error_fixture {
    subq_tensor *storage, *x, *x_strided, *w, *w_k7, *w_rank3, *w_t, *wi, *bias6, *y, *y_wrong, *y_t, *y_in_x, *y_in_w;
} error_fixture;

static void errors_table(checker *c, const error_fixture *f)
{
    subq_stream *s = c->stream;
    check_invalid(c, "NULL stream", subq_linear(NULL, f->x, f->w, NULL, f->y), "stream");
    check_invalid(c, "NULL x", subq_linear(s, NULL, f->w, NULL, f->y), "x: expected a tensor");
    check_invalid(c, "NULL weight", subq_linear(s, f->x, NULL, NULL, f->y), "weight: expected a tensor");
    check_invalid(c, "NULL y", subq_linear(s, f->x, f->w, NULL, NULL), "y: expected a tensor");
    check_invalid(c, "x strided", subq_linear(s, f->x_strided, f->w, NULL, f->y),
                  "x: expected its last axis (K) contiguous (stride 1), or the axis before it");
    check_invalid(c, "weight K", subq_linear(s, f->x, f->w_k7, NULL, f->y), "weight: expected shape [N, 6]");
    check_invalid(c, "weight rank", subq_linear(s, f->x, f->w_rank3, NULL, f->y), "weight: expected rank 2");
    check_invalid(c, "weight K strided", subq_linear(s, f->x, f->w_t, NULL, f->y), "weight: expected its K axis contiguous");
    check_invalid(c, "weight dtype", subq_linear(s, f->x, f->wi, NULL, f->y), "weight: expected dtype f32");
    check_invalid(c, "bias shape", subq_linear(s, f->x, f->w, f->bias6, f->y), "bias: expected shape [5]");
    check_invalid(c, "y shape", subq_linear(s, f->x, f->w, NULL, f->y_wrong), "y: expected shape [4, 5]");
    check_invalid(c, "y N strided", subq_linear(s, f->x, f->w, NULL, f->y_t), "y: expected its last axis (N) contiguous");
    check_invalid(c, "y overlaps x", subq_linear(s, f->x, f->w, NULL, f->y_in_x), "y: shares memory with x");
    check_invalid(c, "y overlaps weight", subq_linear(s, f->x, f->w, NULL, f->y_in_w), "y: shares memory with weight");
}

/* x [4, 6], weight [5, 6], y [4, 5]; x and weight live in one storage, next to each other. */
static void check_errors(checker *c)
{
    error_fixture f = {.storage = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){64}),
                       .w_k7 = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){5, 7}),
                       .w_rank3 = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 5, 6}),
                       .wi = check_tensor_empty(c, SUBQ_I32, 2, (int64_t[]){5, 6}),
                       .bias6 = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){6}),
                       .y = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){4, 5}),
                       .y_wrong = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){5, 4})};
    f.x = check_tensor_view(c, f.storage, 0, 2, (int64_t[]){4, 6}, NULL);
    f.w = check_tensor_view(c, f.storage, 24, 2, (int64_t[]){5, 6}, NULL);
    f.x_strided = check_tensor_view(c, f.storage, 0, 2, (int64_t[]){4, 6}, (int64_t[]){12, 2});
    f.w_t = check_tensor_view(c, f.storage, 24, 2, (int64_t[]){5, 6}, (int64_t[]){1, 5});
    f.y_t = check_tensor_view(c, f.y, 0, 2, (int64_t[]){4, 5}, (int64_t[]){1, 4});
    f.y_in_x = check_tensor_view(c, f.storage, 2, 2, (int64_t[]){4, 5}, NULL);
    f.y_in_w = check_tensor_view(c, f.storage, 30, 2, (int64_t[]){4, 5}, NULL);
    subq_tensor *all[] = {f.storage, f.x, f.x_strided, f.w, f.w_k7, f.w_rank3, f.w_t, f.wi, f.bias6, f.y, f.y_wrong,
                          f.y_t, f.y_in_x, f.y_in_w};
    bool ready = true;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) ready = ready && all[i];
    if (ready) errors_table(c, &f);
    for (size_t i = sizeof all / sizeof *all; i-- > 0;) subq_tensor_destroy(all[i]);
}

void check_linear(checker *c)
{
    grid_tiny_tiles(c);
    grid_large_tiles(c);
    grid_views(c);
    grid_columns(c);
    grid_tensor_core_f32(c);
    grid_largest(c);
    check_errors(c);
}
