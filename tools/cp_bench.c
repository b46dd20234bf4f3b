/* subq cp-bench: context parallelism over NCCL, one process per GPU, on this machine.
 *
 *   subq cp-bench [--ranks P] [--channels C] [--length L] [--reps N]
 *
 * forks P ranks (rank r on the r-th GPU; the NCCL id goes through a file in a fresh temporary
 * directory, see subq_nccl_id_rendezvous), and on each:
 *  1. checks split_to_full and full_to_split over NCCL against the zigzag layout computed on the
 *     host (bit for bit), in 1D and 3D, odd batch and channels;
 *  2. checks Hyena's short-conv pattern (split_to_full, depthwise conv on the rank's channels,
 *     full_to_split) against the same conv of the whole tensor on this GPU alone;
 *  3. times split_to_full and full_to_split of a global [1, C, L] fp32 tensor (default
 *     [1, 4096, 1M]), checking rows of the result, next to a device copy of the same bytes.
 * Needs libcuda.so.1 and libnccl.so.2 (SUBQ_CUDA_LIBRARY, SUBQ_NCCL_LIBRARY). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checks/check.h"
#include "commands.h"
#include "reference/reference.h"

#define TRY(expr)                               \
    do {                                        \
        subq_status try_ = (expr);              \
        if (try_ != SUBQ_OK) return try_;       \
    } while (0)

typedef struct cp_bench {
    int rank, size, reps;
    int64_t channels, length;
    subq_context *ctx;
    subq_stream *stream;
    subq_cp_group *group;
    checker c;
} cp_bench;

static double wall_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* ---- 1. the zigzag layout, bit for bit --------------------------------------------------------- */

static void check_layout(cp_bench *b, int rank, const int64_t *global_shape)
{
    checker *c = &b->c;
    int64_t p = b->size, rest = rank > 3 ? global_shape[3] * (rank > 4 ? global_shape[4] : 1) : 1;
    ref_cp_shape rs = {global_shape[0], global_shape[1], global_shape[2], rest, p};
    size_t total = (size_t)(rs.batch * rs.channels * rs.length * rest), n = total / (size_t)p;
    double *global = check_alloc(total), *x = check_alloc(n), *y = check_alloc(n);
    check_random(c, global, total); /* the same on every rank: one seed */
    for (size_t i = 0; i < total; i++) global[i] = (float)global[i];
    ref_cp_split(&rs, b->rank, global, x);
    ref_cp_full(&rs, b->rank, global, y);
    int64_t split[5], full[5];
    memcpy(split, global_shape, sizeof split);
    memcpy(full, global_shape, sizeof full);
    split[2] /= p;
    full[1] /= p;
    char label[128];
    snprintf(label, sizeof label, "rank %d: NCCL split_to_full/full_to_split of global [%lld, %lld, %lld, ...]",
             b->rank, (long long)global_shape[0], (long long)global_shape[1], (long long)global_shape[2]);
    subq_tensor *tx = check_upload(c, label, rank, split, x), *ty = check_poisoned(c, label, rank, full);
    subq_tensor *back = check_poisoned(c, label, rank, split);
    if (tx && ty && back && check_ok(c, label, subq_cp_split_to_full(b->stream, b->group, tx, ty)) &&
        check_ok(c, label, subq_cp_full_to_split(b->stream, b->group, ty, back)) &&
        check_ok(c, label, subq_stream_wait(b->stream))) {
        check_close(c, label, ty, y, n, 0);
        check_close(c, label, back, x, n, 0);
    }
    subq_tensor_destroy(tx);
    subq_tensor_destroy(ty);
    subq_tensor_destroy(back);
    free(global);
    free(x);
    free(y);
}

/* ---- 2. the short-conv pattern against the whole conv on one GPU ------------------------------- */

static subq_status conv_whole(cp_bench *b, const int64_t *shape, const double *x, const double *w, double *out)
{
    checker *c = &b->c;
    size_t n = (size_t)(shape[0] * shape[1] * shape[2]);
    subq_tensor *tx = check_upload(c, "whole conv", 3, shape, x), *ty = check_poisoned(c, "whole conv", 3, shape);
    subq_tensor *tw = check_upload(c, "whole conv", 2, (int64_t[]){shape[1], 4}, w);
    subq_depthwise_conv_options causal = {.padding = SUBQ_PADDING_CAUSAL};
    float *host = malloc(n * sizeof *host);
    subq_status status = tx && ty && tw && host ? subq_depthwise_conv(b->stream, tx, tw, NULL, &causal, ty)
                                               : SUBQ_ERROR_OUT_OF_MEMORY;
    if (status == SUBQ_OK) status = subq_stream_wait(b->stream);
    if (status == SUBQ_OK) status = subq_tensor_download(ty, host, n * sizeof *host);
    for (size_t i = 0; status == SUBQ_OK && i < n; i++) out[i] = host[i];
    free(host);
    subq_tensor_destroy(tx);
    subq_tensor_destroy(ty);
    subq_tensor_destroy(tw);
    return status;
}

static void check_conv(cp_bench *b)
{
    checker *c = &b->c;
    int64_t p = b->size, shape[3] = {2, 6 * p, 2 * p * 257};
    ref_cp_shape rs = {shape[0], shape[1], shape[2], 1, p};
    size_t total = (size_t)(shape[0] * shape[1] * shape[2]), n = total / (size_t)p;
    double *x = check_alloc(total), *w = check_alloc((size_t)shape[1] * 4), *whole = check_alloc(total);
    double *x_local = check_alloc(n), *expected = check_alloc(n);
    check_random(c, x, total);
    check_random(c, w, (size_t)shape[1] * 4);
    const char *label = "NCCL split_to_full + depthwise conv + full_to_split vs the whole conv on one GPU";
    if (check_ok(c, label, conv_whole(b, shape, x, w, whole))) {
        ref_cp_split(&rs, b->rank, x, x_local);
        ref_cp_split(&rs, b->rank, whole, expected);
        int64_t split[3] = {shape[0], shape[1], shape[2] / p}, full[3] = {shape[0], shape[1] / p, shape[2]};
        subq_tensor *tx = check_upload(c, label, 3, split, x_local), *tw = check_upload(c, label, 2, (int64_t[]){shape[1], 4}, w);
        subq_tensor *t = check_poisoned(c, label, 3, full), *u = check_poisoned(c, label, 3, full);
        subq_tensor *ty = check_poisoned(c, label, 3, split);
        subq_depthwise_conv_options causal = {.padding = SUBQ_PADDING_CAUSAL};
        if (tx && tw && t && u && ty && check_ok(c, label, subq_cp_split_to_full(b->stream, b->group, tx, t)) &&
            check_ok(c, label, subq_cp_depthwise_conv(b->stream, b->group, t, tw, NULL, &causal, u)) &&
            check_ok(c, label, subq_cp_full_to_split(b->stream, b->group, u, ty)) &&
            check_ok(c, label, subq_stream_wait(b->stream)))
            check_close(c, label, ty, expected, n, 1e-6);
        subq_tensor *all[] = {tx, tw, t, u, ty};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    }
    free(x);
    free(w);
    free(whole);
    free(x_local);
    free(expected);
}

/* ---- 3. timing a large all-to-all -------------------------------------------------------------- */

typedef struct big_case {
    subq_tensor *source; /* C + L values: x[0, c, l] = source[c + global position of l] */
    subq_tensor *x, *y, *back;
    float *host_source;
} big_case;

/* This rank's zigzag chunks of the global tensor: strided copies from source, in pieces of
 * channels small enough for one binding each. */
static subq_status fill_split(cp_bench *b, big_case *k)
{
    int64_t chunk = b->length / (2 * b->size), local = 2 * chunk, step = 256;
    for (int h = 0; h < 2; h++)
        for (int64_t c0 = 0; c0 < b->channels; c0 += step) {
            int64_t first = (h ? 2 * b->size - 1 - b->rank : b->rank) * chunk;
            int64_t shape[3] = {1, b->channels - c0 < step ? b->channels - c0 : step, chunk};
            subq_tensor *from = NULL, *to = NULL;
            subq_status status = subq_tensor_view(k->source, c0 + first, 3, shape, (int64_t[]){0, 1, 1}, &from);
            if (status == SUBQ_OK)
                status = subq_tensor_view(k->x, c0 * local + h * chunk, 3, shape, (int64_t[]){0, local, 1}, &to);
            if (status == SUBQ_OK) status = subq_tensor_copy(b->stream, from, to);
            subq_tensor_destroy(from);
            subq_tensor_destroy(to);
            TRY(status);
        }
    return subq_stream_wait(b->stream);
}

/* Row `row` of a [1, rows, n] tensor against expected(i) = source[row + offset(i)]. */
static void check_row(cp_bench *b, const char *label, const subq_tensor *t, int64_t row, const big_case *k,
                      int64_t channel, bool full)
{
    int64_t n = subq_tensor_dim(t, 2);
    float *got = malloc((size_t)n * sizeof *got);
    subq_tensor *view = NULL;
    if (got && check_ok(&b->c, label, subq_tensor_view(t, row * n, 1, &n, NULL, &view)) &&
        check_ok(&b->c, label, subq_tensor_download(view, got, (size_t)n * sizeof *got))) {
        int64_t wrong = 0;
        for (int64_t i = 0; i < n; i++) {
            int64_t position = full ? i : ref_cp_position(b->length, b->size, b->rank, i);
            wrong += got[i] != k->host_source[channel + position];
        }
        if (wrong) check_fail(&b->c, label, "row %lld: %lld of %lld elements differ", (long long)row, (long long)wrong,
                              (long long)n);
        else b->c.passed++;
    }
    subq_tensor_destroy(view);
    free(got);
}

typedef subq_status (*cp_op_fn)(subq_stream *, subq_cp_group *, const subq_tensor *, subq_tensor *);

static double time_op(cp_bench *b, cp_op_fn op, const subq_tensor *in, subq_tensor *out)
{
    subq_status status = SUBQ_OK;
    for (int i = 0; i < 2 && status == SUBQ_OK; i++) status = op(b->stream, b->group, in, out);
    if (status == SUBQ_OK) status = subq_stream_wait(b->stream);
    double start = wall_seconds();
    for (int i = 0; i < b->reps && status == SUBQ_OK; i++) status = op(b->stream, b->group, in, out);
    if (status == SUBQ_OK) status = subq_stream_wait(b->stream);
    double ms = (wall_seconds() - start) * 1e3 / b->reps;
    return check_ok(&b->c, "timing", status) ? ms : -1;
}

/* A device copy of x's bytes, in pieces that fit one binding each, for scale. */
static subq_status copy_pieces(subq_stream *stream, subq_cp_group *group, const subq_tensor *x, subq_tensor *y)
{
    (void)group;
    int64_t rows = subq_tensor_dim(x, 1), n = subq_tensor_dim(x, 2), step = 256;
    for (int64_t r = 0; r < rows; r += step) {
        int64_t shape[2] = {rows - r < step ? rows - r : step, n};
        subq_tensor *from = NULL, *to = NULL;
        subq_status status = subq_tensor_view(x, r * n, 2, shape, NULL, &from);
        if (status == SUBQ_OK) status = subq_tensor_view(y, r * n, 2, shape, NULL, &to);
        if (status == SUBQ_OK) status = subq_tensor_copy(stream, from, to);
        subq_tensor_destroy(from);
        subq_tensor_destroy(to);
        if (status != SUBQ_OK) return status;
    }
    return SUBQ_OK;
}

static void report(const cp_bench *b, const char *what, double ms, double bytes)
{
    if (ms > 0)
        printf("rank %d: %-44s %8.3f ms  %7.1f GB/s\n", b->rank, what, ms, bytes / (ms * 1e-3) / 1e9);
}

static void run_big(cp_bench *b)
{
    int64_t p = b->size, local = b->length / p, block = b->channels / p;
    int64_t split[3] = {1, b->channels, local}, full[3] = {1, block, b->length};
    int64_t source_n = b->channels + b->length;
    double bytes = (double)b->channels * (double)local * sizeof(float);
    big_case k = {.host_source = malloc((size_t)source_n * sizeof(float))};
    subq_status status = k.host_source ? SUBQ_OK : SUBQ_ERROR_OUT_OF_MEMORY;
    for (int64_t i = 0; status == SUBQ_OK && i < source_n; i++)
        k.host_source[i] = (float)(0.05 + (double)((i * 2654435761u) % 1000003) / 1000003.0);
    if (status == SUBQ_OK) status = subq_tensor_create(b->ctx, SUBQ_F32, 1, &source_n, &k.source);
    if (status == SUBQ_OK) status = subq_tensor_upload(k.source, k.host_source, (size_t)source_n * sizeof(float));
    if (status == SUBQ_OK) status = subq_tensor_create(b->ctx, SUBQ_F32, 3, split, &k.x);
    if (status == SUBQ_OK) status = subq_tensor_create(b->ctx, SUBQ_F32, 3, full, &k.y);
    if (status == SUBQ_OK) status = subq_tensor_create(b->ctx, SUBQ_F32, 3, split, &k.back);
    if (status == SUBQ_OK) status = fill_split(b, &k);
    char label[160];
    snprintf(label, sizeof label, "global [1, %lld, %lld]", (long long)b->channels, (long long)b->length);
    if (check_ok(&b->c, label, status)) {
        double to_full = time_op(b, subq_cp_split_to_full, k.x, k.y);
        double to_split = time_op(b, subq_cp_full_to_split, k.y, k.back);
        double copy = time_op(b, copy_pieces, k.x, k.back);
        /* the copy overwrote back: one more full_to_split before checking it */
        if (check_ok(&b->c, label, subq_cp_full_to_split(b->stream, b->group, k.y, k.back)) &&
            check_ok(&b->c, label, subq_stream_wait(b->stream))) {
            for (int64_t row = 0; row < block; row += block / 2 > 0 ? block / 2 : 1)
                check_row(b, "split_to_full rows", k.y, row, &k, b->rank * block + row, true);
            check_row(b, "split_to_full rows", k.y, block - 1, &k, b->rank * block + block - 1, true);
            for (int64_t row = 0; row < b->channels; row += b->channels / 2)
                check_row(b, "full_to_split rows", k.back, row, &k, row, false);
        }
        printf("rank %d: %s fp32, %d ranks, %.2f GiB per rank, mean of %d back-to-back calls\n", b->rank, label, b->size,
               bytes / (1 << 30), b->reps);
        report(b, "split_to_full (pack + NCCL all-to-all + unpack)", to_full, bytes);
        report(b, "full_to_split (pack + NCCL all-to-all + unpack)", to_split, bytes);
        report(b, "device copy of the same bytes (for scale)", copy, bytes);
    }
    subq_tensor *all[] = {k.source, k.x, k.y, k.back};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    free(k.host_source);
}

/* ---- one rank ------------------------------------------------------------------------------------ */

/* The rank-th GPU among the Vulkan devices. */
static subq_status gpu_for_rank(int rank, char *selector, size_t size)
{
    uint32_t count = 0;
    TRY(subq_device_count(&count));
    int seen = 0;
    for (uint32_t i = 0; i < count; i++) {
        subq_device_info info;
        TRY(subq_device_get_info(i, &info));
        if (info.type == SUBQ_DEVICE_CPU || info.type == SUBQ_DEVICE_OTHER) continue;
        if (seen++ == rank) {
            snprintf(selector, size, "%u", i);
            return SUBQ_OK;
        }
    }
    fprintf(stderr, "rank %d: only %d GPUs here\n", rank, seen);
    return SUBQ_ERROR_NO_DEVICE;
}

static subq_status start_rank(cp_bench *b, const char *id_path)
{
    char selector[16];
    TRY(gpu_for_rank(b->rank, selector, sizeof selector));
    subq_context_options options = {.device = selector};
    TRY(subq_context_create(&options, &b->ctx));
    TRY(subq_stream_create(b->ctx, &b->stream));
    subq_device_info info;
    subq_context_get_device_info(b->ctx, &info);
    printf("rank %d: Vulkan device %s '%s'\n", b->rank, selector, info.name);
    subq_nccl_id id;
    TRY(subq_nccl_id_rendezvous(id_path, b->rank, &id));
    return subq_cp_group_create_nccl(b->ctx, b->rank, b->size, &id, &b->group);
}

static int run_rank(cp_bench *b, const char *id_path, uint64_t seed)
{
    subq_status status = start_rank(b, id_path);
    if (status != SUBQ_OK) {
        fprintf(stderr, "rank %d: %s: %s\n", b->rank, subq_status_name(status), subq_last_error());
    } else {
        checker_init(&b->c, b->ctx, b->stream, seed);
        b->c.verbose = true;
        int64_t p = b->size;
        check_layout(b, 3, (int64_t[]){3, 3 * p, 2 * p * 7});
        check_layout(b, 5, (int64_t[]){1, p, 2 * p * 2, 3, 5});
        check_conv(b);
        run_big(b);
        printf("rank %d: %d checks passed, %d failed\n", b->rank, b->c.passed, b->c.failed);
    }
    subq_cp_group_destroy(b->group);
    subq_stream_destroy(b->stream);
    subq_context_destroy(b->ctx);
    return status == SUBQ_OK && b->c.failed == 0 ? 0 : 1;
}

/* ---- the launcher -------------------------------------------------------------------------------- */

static int parse(int argc, char **argv, cp_bench *b)
{
    *b = (cp_bench){.size = 2, .reps = 10, .channels = 4096, .length = 1 << 20};
    for (int i = 1; i + 1 < argc; i += 2) {
        long long v = atoll(argv[i + 1]);
        if (!strcmp(argv[i], "--ranks")) b->size = (int)v;
        else if (!strcmp(argv[i], "--channels")) b->channels = v;
        else if (!strcmp(argv[i], "--length")) b->length = v;
        else if (!strcmp(argv[i], "--reps")) b->reps = (int)v;
        else return fprintf(stderr, "cp-bench: unknown option %s\n", argv[i]), 2;
    }
    if (argc % 2 == 0 || b->size < 1 || b->reps < 1 || b->channels % b->size || b->length % (2 * b->size))
        return fprintf(stderr, "usage: subq cp-bench [--ranks P] [--channels C, C %% P = 0] [--length L, "
                               "L %% 2P = 0] [--reps N]\n"), 2;
    return 0;
}

/* Waits for the ranks; once one fails the others get 30 s before they are stopped (a rank left
 * alone waits on NCCL forever). */
static int wait_ranks(const pid_t *pids, int size)
{
    int failed = 0, left = size;
    double deadline = 0;
    while (left > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            left--;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                failed++;
                if (!deadline) deadline = wall_seconds() + 30;
            }
            continue;
        }
        if (deadline && wall_seconds() > deadline) {
            for (int r = 0; r < size; r++) kill(pids[r], SIGKILL);
            deadline = 0;
        }
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
    }
    return failed;
}

int command_cp_bench(int argc, char **argv)
{
    cp_bench b;
    int bad = parse(argc, argv, &b);
    if (bad) return bad;
    char dir[] = "/tmp/subq-cp-XXXXXX", path[64];
    if (!mkdtemp(dir)) return fprintf(stderr, "cp-bench: mkdtemp failed\n"), 1;
    snprintf(path, sizeof path, "%s/nccl-id", dir);
    uint64_t seed = check_seed_from_env();
    pid_t pids[64];
    if (b.size > 64) return fprintf(stderr, "cp-bench: at most 64 ranks\n"), 2;
    fflush(stdout);
    for (int r = 0; r < b.size; r++) {
        pids[r] = fork();
        if (pids[r] == 0) {
            b.rank = r;
            int code = run_rank(&b, path, seed);
            fflush(stdout);
            _exit(code);
        }
        if (pids[r] < 0) return fprintf(stderr, "cp-bench: fork failed\n"), 1;
    }
    int failed = wait_ranks(pids, b.size);
    remove(path);
    remove(dir);
    printf("cp-bench: %d of %d ranks failed (seed 0x%llx)\n", failed, b.size, (unsigned long long)seed);
    return failed ? 1 : 0;
}
