/* Context parallelism on the local backend: P = 1, 2, 4 ranks, one context and one thread each,
 * as P processes would drive them. split_to_full against the zigzag gather of SPEC 6 and
 * full_to_split back, bit for bit; the group-driven depthwise conv in Hyena's pattern (split_to_full,
 * conv on the rank's channels, full_to_split) against the full conv; every refusal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "check.h"
#include "reference/reference.h"

#define MAX_RANKS 4

typedef struct cp_world {
    subq_context *contexts[MAX_RANKS]; /* [0] is the checker's */
} cp_world;

typedef struct rank_run {
    checker c; /* this rank's stream and tallies */
    subq_cp_group *group;
    int rank, size;
    const void *job;
    void (*body)(struct rank_run *);
} rank_run;

static int rank_main(void *arg)
{
    rank_run *run = arg;
    run->body(run);
    return 0;
}

/* body on every rank of a new local group of size ranks, one thread each. */
static void run_ranks(checker *c, cp_world *w, int size, void (*body)(rank_run *), const void *job)
{
    subq_cp_group *groups[MAX_RANKS] = {0};
    rank_run runs[MAX_RANKS];
    thrd_t threads[MAX_RANKS];
    if (!check_ok(c, "cp group", subq_cp_group_create_local(size, w->contexts, groups))) return;
    for (int r = 0; r < size; r++) {
        subq_stream *stream = NULL;
        check_ok(c, "cp stream", subq_stream_create(w->contexts[r], &stream));
        checker_init(&runs[r].c, w->contexts[r], stream, c->rng + (uint64_t)r);
        runs[r].c.verbose = c->verbose;
        runs[r] = (rank_run){.c = runs[r].c, .group = groups[r], .rank = r, .size = size, .job = job, .body = body};
    }
    for (int r = 0; r < size; r++)
        if (thrd_create(&threads[r], rank_main, &runs[r]) != thrd_success) {
            fprintf(stderr, "cp: could not start a rank thread\n");
            exit(2);
        }
    for (int r = 0; r < size; r++) thrd_join(threads[r], NULL);
    for (int r = 0; r < size; r++) {
        c->passed += runs[r].c.passed;
        c->failed += runs[r].c.failed;
        subq_stream_destroy(runs[r].c.stream);
        subq_cp_group_destroy(groups[r]);
    }
    c->rng += 0x9e3779b97f4a7c15ull;
}

/* ---- round trips ----------------------------------------------------------------------------- */

typedef struct cp_case {
    int64_t batch, channels, length; /* global */
    int extra;                       /* trailing spatial axes: 0..2 */
    int64_t rest[2];
    bool channels_last; /* x and full_to_split's output as permuted views of [B, L, C] (extra 0) */
    const double *global;
} cp_case;

static int64_t rest_size(const cp_case *k) { return (k->extra > 0 ? k->rest[0] : 1) * (k->extra > 1 ? k->rest[1] : 1); }

static void shapes(const cp_case *k, int size, int64_t split[5], int64_t full[5])
{
    int64_t s[5] = {k->batch, k->channels, k->length / size, k->rest[0], k->rest[1]};
    int64_t f[5] = {k->batch, k->channels / size, k->length, k->rest[0], k->rest[1]};
    memcpy(split, s, sizeof s);
    memcpy(full, f, sizeof f);
}

/* [B, C, L] values in a [B, L, C] tensor, and the [B, C, L] view of it. */
static subq_tensor *channels_last(checker *c, const char *label, const int64_t shape[3], const double *values,
                                  subq_tensor **storage)
{
    int64_t stored[3] = {shape[0], shape[2], shape[1]};
    size_t n = (size_t)(shape[0] * shape[1] * shape[2]);
    double *t = check_alloc(n);
    for (int64_t b = 0; b < shape[0]; b++)
        for (int64_t ch = 0; ch < shape[1]; ch++)
            for (int64_t l = 0; l < shape[2]; l++)
                t[(b * shape[2] + l) * shape[1] + ch] = values[(b * shape[1] + ch) * shape[2] + l];
    *storage = check_upload(c, label, 3, stored, t);
    free(t);
    int64_t strides[3] = {shape[1] * shape[2], 1, shape[1]};
    subq_tensor *view = NULL;
    if (*storage) check_ok(c, label, subq_tensor_view(*storage, 0, 3, shape, strides, &view));
    return view;
}

static void check_channels_last(checker *c, const char *label, const subq_tensor *storage, const int64_t shape[3],
                                const double *expected)
{
    size_t n = (size_t)(shape[0] * shape[1] * shape[2]);
    float *got = malloc(n * sizeof *got), *back = malloc(n * sizeof *back);
    if (!got || !back) exit(2);
    if (check_ok(c, label, subq_tensor_download(storage, got, n * sizeof *got))) {
        for (int64_t b = 0; b < shape[0]; b++)
            for (int64_t ch = 0; ch < shape[1]; ch++)
                for (int64_t l = 0; l < shape[2]; l++)
                    back[(b * shape[1] + ch) * shape[2] + l] = got[(b * shape[2] + l) * shape[1] + ch];
        check_close_values(c, label, back, expected, n, 0);
    }
    free(got);
    free(back);
}

static void round_trip(rank_run *run)
{
    const cp_case *k = run->job;
    checker *c = &run->c;
    int rank = 3 + k->extra;
    int64_t split[5], full[5];
    shapes(k, run->size, split, full);
    ref_cp_shape rs = {k->batch, k->channels, k->length, rest_size(k), run->size};
    size_t n = (size_t)(k->batch * k->channels * (k->length / run->size) * rs.rest);
    double *x = check_alloc(n), *y = check_alloc(n);
    ref_cp_split(&rs, run->rank, k->global, x);
    ref_cp_full(&rs, run->rank, k->global, y);
    char label[200];
    snprintf(label, sizeof label, "cp P=%d rank %d B=%lld C=%lld L=%lld rest %lldx%lld%s", run->size, run->rank,
             (long long)k->batch, (long long)k->channels, (long long)k->length, (long long)k->rest[0],
             (long long)k->rest[1], k->channels_last ? " channels-last" : "");
    subq_tensor *x_storage = NULL, *back_storage = NULL, *tx, *back;
    if (k->channels_last) {
        double *nan_values = check_alloc(n);
        for (size_t i = 0; i < n; i++) nan_values[i] = NAN;
        tx = channels_last(c, label, split, x, &x_storage);
        back = channels_last(c, label, split, nan_values, &back_storage);
        free(nan_values);
    } else {
        tx = check_upload(c, label, rank, split, x);
        back = check_poisoned(c, label, rank, split);
    }
    subq_tensor *ty = check_poisoned(c, label, rank, full);
    if (tx && ty && back && check_ok(c, label, subq_cp_split_to_full(c->stream, run->group, tx, ty)) &&
        check_ok(c, label, subq_stream_wait(c->stream))) {
        check_close(c, label, ty, y, n, 0);
        if (check_ok(c, label, subq_cp_full_to_split(c->stream, run->group, ty, back)) &&
            check_ok(c, label, subq_stream_wait(c->stream))) {
            if (k->channels_last) check_channels_last(c, label, back_storage, split, x);
            else check_close(c, label, back, x, n, 0);
        }
    }
    subq_tensor *all[] = {tx, x_storage, back, back_storage, ty};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    free(x);
    free(y);
}

static void run_case(checker *c, cp_world *w, int size, cp_case k)
{
    size_t n = (size_t)(k.batch * k.channels * k.length * rest_size(&k));
    double *global = check_alloc(n);
    check_random(c, global, n);
    for (size_t i = 0; i < n; i++) global[i] = (float)global[i]; /* moves are exact: compare bits */
    k.global = global;
    if (!k.extra) k.rest[0] = k.rest[1] = 1;
    if (k.extra == 1) k.rest[1] = 1;
    run_ranks(c, w, size, round_trip, &k);
    free(global);
}

static void grid_round_trips(checker *c, cp_world *w)
{
    const int sizes[] = {1, 2, 4};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        int p = sizes[i];
        run_case(c, w, p, (cp_case){.batch = 3, .channels = 5 * p, .length = 2 * p * 3});
        run_case(c, w, p, (cp_case){.batch = 1, .channels = p, .length = 2 * p});
        run_case(c, w, p, (cp_case){.batch = 2, .channels = 3 * p, .length = 2 * p * 5, .channels_last = true});
        run_case(c, w, p, (cp_case){.batch = 1, .channels = 2 * p, .length = 2 * p * 2, .extra = 1, .rest = {3}});
        run_case(c, w, p, (cp_case){.batch = 3, .channels = p, .length = 2 * p, .extra = 2, .rest = {2, 3}});
        run_case(c, w, p, (cp_case){.batch = 1, .channels = 7 * p, .length = 2 * p * 1031});
        /* rows of a multiple of four elements: the copies move vec4s between strided rows */
        run_case(c, w, p, (cp_case){.batch = 2, .channels = 3 * p, .length = 2 * p * 1032});
    }
}

/* ---- Hyena's short-conv pattern: split_to_full, conv on the rank's channels, full_to_split ---- */

typedef struct conv_job {
    int64_t batch, channels, groups, length, kernel;
    const double *x, *weight, *bias, *y; /* global x and y = conv(x) [B, C, L] */
} conv_job;

static void conv_body(rank_run *run)
{
    const conv_job *k = run->job;
    checker *c = &run->c;
    int64_t p = run->size, local = k->length / p;
    int64_t split[3] = {k->batch, k->channels, local}, full[3] = {k->batch, k->channels / p, k->length};
    int64_t w_shape[2] = {k->groups, k->kernel};
    ref_cp_shape rs = {k->batch, k->channels, k->length, 1, p};
    size_t n = (size_t)(k->batch * k->channels * local);
    double *x = check_alloc(n), *expected = check_alloc(n);
    ref_cp_split(&rs, run->rank, k->x, x);
    ref_cp_split(&rs, run->rank, k->y, expected);
    char label[160];
    snprintf(label, sizeof label, "cp depthwise conv P=%d rank %d B=%lld C=%lld G=%lld L=%lld K=%lld", run->size,
             run->rank, (long long)k->batch, (long long)k->channels, (long long)k->groups, (long long)k->length,
             (long long)k->kernel);
    subq_tensor *tx = check_upload(c, label, 3, split, x), *tw = check_upload(c, label, 2, w_shape, k->weight);
    subq_tensor *tb = check_upload(c, label, 1, &k->groups, k->bias);
    subq_tensor *t_full = check_poisoned(c, label, 3, full), *u_full = check_poisoned(c, label, 3, full);
    subq_tensor *ty = check_poisoned(c, label, 3, split);
    subq_depthwise_conv_options causal = {.padding = SUBQ_PADDING_CAUSAL};
    if (tx && tw && tb && t_full && u_full && ty &&
        check_ok(c, label, subq_cp_split_to_full(c->stream, run->group, tx, t_full)) &&
        check_ok(c, label, subq_cp_depthwise_conv(c->stream, run->group, t_full, tw, tb, &causal, u_full)) &&
        check_ok(c, label, subq_cp_full_to_split(c->stream, run->group, u_full, ty)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_close(c, label, ty, expected, n, 1e-5);
    subq_tensor *all[] = {tx, tw, tb, t_full, u_full, ty};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    free(x);
    free(expected);
}

static void grid_conv(checker *c, cp_world *w)
{
    const int sizes[] = {2, 4};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        conv_job k = {.batch = 2, .channels = 6 * sizes[i], .groups = 3, .length = 2 * sizes[i] * 13, .kernel = 4};
        ref_dwconv_shape shape = {.batch = k.batch, .channels_local = k.channels, .cp_size = 1, .groups = k.groups,
                                  .ndim = 1, .size = {k.length}, .kernel = {k.kernel}, .padding = REF_DWCONV_CAUSAL};
        size_t n = (size_t)(k.batch * k.channels * k.length);
        double *x = check_alloc(n), *y = check_alloc(n), *weight = check_alloc((size_t)(k.groups * k.kernel));
        double *bias = check_alloc((size_t)k.groups);
        check_random(c, x, n);
        check_random(c, weight, (size_t)(k.groups * k.kernel));
        check_random(c, bias, (size_t)k.groups);
        ref_depthwise_conv(&shape, x, weight, bias, y);
        k.x = x, k.y = y, k.weight = weight, k.bias = bias;
        run_ranks(c, w, sizes[i], conv_body, &k);
        free(x);
        free(y);
        free(weight);
        free(bias);
    }
}

/* ---- refusals: every rank runs the same table (P = 2), so each row is one collective ---------- */

typedef struct error_fixture {
    subq_tensor *x, *y, *x_odd, *x_c3, *x_i32, *x2d, *y_bad, *x_long, *y_long, *y_full_odd, *w;
} error_fixture;

static void refusals_single(rank_run *run, const error_fixture *f)
{
    checker *c = &run->c;
    subq_stream *s = c->stream;
    subq_cp_group *g = run->group;
    check_invalid(c, "cp NULL stream", subq_cp_split_to_full(NULL, g, f->x, f->y), "stream: expected a stream");
    check_invalid(c, "cp NULL group", subq_cp_split_to_full(s, NULL, f->x, f->y), "group: expected");
    check_invalid(c, "cp NULL x", subq_cp_split_to_full(s, g, NULL, f->y), "x: expected a tensor");
    check_invalid(c, "cp NULL y", subq_cp_full_to_split(s, g, f->y, NULL), "y: expected a tensor");
    check_invalid(c, "cp x rank 2", subq_cp_split_to_full(s, g, f->x2d, f->y), "x: expected rank 3..5");
    check_invalid(c, "cp x i32", subq_cp_split_to_full(s, g, f->x_i32, f->y), "x: expected dtype f32");
    check_invalid(c, "cp C % P", subq_cp_split_to_full(s, g, f->x_c3, f->y), "not divisible by the group size 2");
    check_invalid(c, "cp L % 2P split", subq_cp_split_to_full(s, g, f->x_odd, f->y), "not divisible by 2P = 4");
    check_invalid(c, "cp L % 2P full", subq_cp_full_to_split(s, g, f->y_full_odd, f->x), "L = 6 is not divisible");
    check_invalid(c, "cp y shape", subq_cp_split_to_full(s, g, f->x, f->y_bad), "y: expected shape [1, 2, 8]");
    check_invalid(c, "cp y shape full_to_split", subq_cp_full_to_split(s, g, f->y, f->y), "y: expected shape [1, 4, 4]");
    subq_tensor *alias = check_tensor_view(c, f->x, 0, 3, (int64_t[]){1, 2, 8}, NULL);
    if (alias) check_invalid(c, "cp y aliases x", subq_cp_split_to_full(s, g, f->x, alias), "y: shares memory with x");
    subq_tensor_destroy(alias);
    subq_depthwise_conv_options wrong = {.cp_size = 2, .cp_rank = 1 - run->rank};
    check_invalid(c, "cp conv options disagree", subq_cp_depthwise_conv(s, g, f->y, f->w, NULL, &wrong, f->y_long),
                  "options.cp_rank/cp_size");
    check_invalid(c, "cp conv NULL group", subq_cp_depthwise_conv(s, NULL, f->y, f->w, NULL, NULL, f->y_long), "group");
}

/* Rows where ranks differ: each must fail on every rank, nobody hangs. */
static void refusals_disagree(rank_run *run, const error_fixture *f)
{
    checker *c = &run->c;
    subq_stream *s = c->stream;
    subq_cp_group *g = run->group;
    bool first = run->rank == 0;
    check_invalid(c, "cp shapes disagree",
                  subq_cp_split_to_full(s, g, first ? f->x : f->x_long, first ? f->y : f->y_long),
                  "every rank must pass the same shapes");
    check_invalid(c, "cp one rank refuses", subq_cp_split_to_full(s, g, f->x, first ? f->y : NULL),
                  first ? "rank 1 refused its arguments" : "y: expected a tensor");
    check_invalid(c, "cp ops disagree",
                  first ? subq_cp_split_to_full(s, g, f->x, f->y) : subq_cp_full_to_split(s, g, f->y, f->x),
                  first ? "rank 1 called full_to_split" : "rank 0 called split_to_full");
}

static void refusals_body(rank_run *run)
{
    checker *c = &run->c;
    error_fixture f = {
        .x = check_tensor_random(c, 3, (int64_t[]){1, 4, 4}), .y = check_tensor_random(c, 3, (int64_t[]){1, 2, 8}),
        .x_odd = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 4, 3}),
        .x_c3 = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 3, 4}),
        .x_i32 = check_tensor_empty(c, SUBQ_I32, 3, (int64_t[]){1, 4, 4}),
        .x2d = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){4, 4}),
        .y_bad = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 2, 6}),
        .x_long = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 4, 8}),
        .y_long = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 2, 16}),
        .y_full_odd = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 2, 6}),
        .w = check_tensor_random(c, 2, (int64_t[]){4, 3}),
    };
    subq_tensor *all[] = {f.x, f.y, f.x_odd, f.x_c3, f.x_i32, f.x2d, f.y_bad, f.x_long, f.y_long, f.y_full_odd, f.w};
    bool made = true;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) made = made && all[i];
    if (made) {
        refusals_single(run, &f);
        refusals_disagree(run, &f);
        /* After the refusals the group still works. */
        subq_tensor *y = check_poisoned(c, "cp after refusals", 3, (int64_t[]){1, 2, 8});
        if (y && check_ok(c, "cp after refusals", subq_cp_split_to_full(c->stream, run->group, f.x, y)))
            check_ok(c, "cp after refusals", subq_stream_wait(c->stream));
        subq_tensor_destroy(y);
    }
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
}

/* ---- refusals of one thread: creation, contexts, timeouts, NCCL ids and availability ---------- */

static void refusals_create(checker *c, cp_world *w)
{
    subq_cp_group *groups[2] = {0};
    subq_context *with_null[2] = {w->contexts[0], NULL};
    check_invalid(c, "cp create size 0", subq_cp_group_create_local(0, w->contexts, groups), "size: expected 1..");
    check_invalid(c, "cp create NULL contexts", subq_cp_group_create_local(2, NULL, groups), "contexts");
    check_invalid(c, "cp create NULL context", subq_cp_group_create_local(2, with_null, groups), "contexts[1]");
    check_invalid(c, "cp create NULL groups", subq_cp_group_create_local(2, w->contexts, NULL), "groups");
    if (subq_cp_group_rank(NULL) != -1 || subq_cp_group_size(NULL) != 0)
        check_fail(c, "cp NULL group accessors", "expected rank -1 and size 0");

    /* A group on another context than the stream's. */
    subq_tensor *x = check_tensor_random(c, 3, (int64_t[]){1, 1, 2}), *y = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 1, 2});
    if (x && y && check_ok(c, "cp group", subq_cp_group_create_local(1, &w->contexts[1], groups))) {
        check_invalid(c, "cp group of another context", subq_cp_split_to_full(c->stream, groups[0], x, y),
                      "group: belongs to another context");
        subq_cp_group_destroy(groups[0]);
    }
    subq_tensor_destroy(x);
    subq_tensor_destroy(y);
}

/* Rank 1 never comes: rank 0 gives up after SUBQ_TIMEOUT_S, and the group stays refused. */
static void refusals_timeout(checker *c, cp_world *w)
{
    subq_cp_group *groups[2] = {0};
    const char *saved = getenv("SUBQ_TIMEOUT_S");
    char restore[64];
    snprintf(restore, sizeof restore, "%s", saved ? saved : "");
    setenv("SUBQ_TIMEOUT_S", "1", 1);
    subq_tensor *x = check_tensor_random(c, 3, (int64_t[]){1, 2, 2}), *y = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){1, 1, 4});
    if (x && y && check_ok(c, "cp group", subq_cp_group_create_local(2, w->contexts, groups))) {
        check_error(c, "cp peer never arrives", subq_cp_split_to_full(c->stream, groups[0], x, y),
                    SUBQ_ERROR_DEVICE_LOST, "did not join the collective within 1 s");
        check_error(c, "cp group after a timeout", subq_cp_split_to_full(c->stream, groups[0], x, y),
                    SUBQ_ERROR_DEVICE_LOST, "unusable");
        subq_cp_group_destroy(groups[0]);
        subq_cp_group_destroy(groups[1]);
    }
    subq_tensor_destroy(x);
    subq_tensor_destroy(y);
    if (saved) setenv("SUBQ_TIMEOUT_S", restore, 1);
    else unsetenv("SUBQ_TIMEOUT_S");
}

/* Without NCCL or CUDA the NCCL calls say so, and nothing else changes. */
static void refusals_nccl_missing(checker *c, subq_context *ctx)
{
    subq_nccl_id id = {{1}};
    subq_cp_group *g = NULL;
    setenv("SUBQ_NCCL_LIBRARY", "/nonexistent/libnccl.so.2", 1);
    setenv("SUBQ_CUDA_LIBRARY", "/nonexistent/libcuda.so.1", 1);
    check_error(c, "nccl id without NCCL", subq_nccl_id_create(&id), SUBQ_ERROR_UNSUPPORTED,
                "NCCL is unavailable");
    check_error(c, "nccl group without CUDA", subq_cp_group_create_nccl(ctx, 0, 1, &id, &g), SUBQ_ERROR_UNSUPPORTED,
                "is unavailable");
    unsetenv("SUBQ_NCCL_LIBRARY");
    unsetenv("SUBQ_CUDA_LIBRARY");
    check_invalid(c, "nccl group rank >= size", subq_cp_group_create_nccl(ctx, 2, 2, &id, &g), "rank: expected 0..1");
    check_invalid(c, "nccl group size 0", subq_cp_group_create_nccl(ctx, 0, 0, &id, &g), "size");
    check_invalid(c, "nccl group NULL id", subq_cp_group_create_nccl(ctx, 0, 1, NULL, &g), "id");
    check_invalid(c, "nccl group NULL context", subq_cp_group_create_nccl(NULL, 0, 1, &id, &g), "context");
    check_invalid(c, "nccl group NULL out", subq_cp_group_create_nccl(ctx, 0, 1, &id, NULL), "group");
}

static void check_same_id(checker *c, const char *label, const subq_nccl_id *want, const subq_nccl_id *got)
{
    if (memcmp(want, got, sizeof *want)) check_fail(c, label, "the ids differ");
    else c->passed++;
}

static void nccl_ids(checker *c)
{
    subq_nccl_id id, back = {{0}};
    for (int i = 0; i < SUBQ_NCCL_ID_BYTES; i++) id.bytes[i] = (uint8_t)check_random_int(c, 0, 255);
    char text[SUBQ_NCCL_ID_TEXT_BYTES];
    if (check_ok(c, "nccl id to text", subq_nccl_id_to_text(&id, text)) &&
        check_ok(c, "nccl id from text", subq_nccl_id_from_text(text, &back)))
        check_same_id(c, "nccl id text round trip", &id, &back);
    check_invalid(c, "nccl id short text", subq_nccl_id_from_text("00ff", &back), "text: expected 256 hex digits");
    text[7] = 'g';
    check_invalid(c, "nccl id non-hex text", subq_nccl_id_from_text(text, &back), "text");
    subq_nccl_id_to_text(&id, text);

    char dir[] = "/tmp/subq-cp-XXXXXX", path[64];
    if (!mkdtemp(dir)) return check_fail(c, "nccl rendezvous", "mkdtemp failed");
    snprintf(path, sizeof path, "%s/id", dir);
    FILE *file = fopen(path, "w");
    if (file) {
        fputs(text, file);
        fclose(file);
    }
    memset(&back, 0, sizeof back);
    if (check_ok(c, "nccl rendezvous from a file", subq_nccl_id_rendezvous(path, 1, &back)))
        check_same_id(c, "nccl rendezvous from a file", &id, &back);
    setenv("SUBQ_NCCL_ID", text, 1);
    memset(&back, 0, sizeof back);
    if (check_ok(c, "nccl rendezvous from SUBQ_NCCL_ID", subq_nccl_id_rendezvous(NULL, 3, &back)))
        check_same_id(c, "nccl rendezvous from SUBQ_NCCL_ID", &id, &back);
    setenv("SUBQ_NCCL_ID", "xyz", 1);
    check_invalid(c, "nccl rendezvous bad SUBQ_NCCL_ID", subq_nccl_id_rendezvous(path, 1, &back), "SUBQ_NCCL_ID");
    unsetenv("SUBQ_NCCL_ID");
    check_invalid(c, "nccl rendezvous no path", subq_nccl_id_rendezvous(NULL, 1, &back), "path");
    check_invalid(c, "nccl rendezvous rank -1", subq_nccl_id_rendezvous(path, -1, &back), "rank");
    check_invalid(c, "nccl rendezvous NULL id", subq_nccl_id_rendezvous(path, 1, NULL), "id");
    remove(path);
    remove(dir);
}

void check_cp(checker *c)
{
    cp_world w = {.contexts = {c->ctx}};
    for (int r = 1; r < MAX_RANKS; r++)
        if (!check_ok(c, "cp context", subq_context_create(NULL, &w.contexts[r]))) goto done;
    refusals_nccl_missing(c, c->ctx);
    nccl_ids(c);
    grid_round_trips(c, &w);
    grid_conv(c, &w);
    run_ranks(c, &w, 2, refusals_body, NULL);
    refusals_create(c, &w);
    refusals_timeout(c, &w);
done:
    for (int r = 1; r < MAX_RANKS; r++) subq_context_destroy(w.contexts[r]);
}
