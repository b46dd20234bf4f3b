/* A Hyena block across P ranks (context parallelism, subq/cp.h), checked against one GPU.
 *
 *   cp_hyena [--ranks P] [--channels C] [--length L] [--batch B] [--reps N] [--no-check] [--local]
 *
 * NCCL (the default): one process per GPU, forked here; rank r runs on the r-th GPU and the ranks
 * meet through an NCCL id in a file of a fresh temporary directory. --local: P threads of this
 * process on the default device with the local backend (no CUDA needed; CI runs it on lavapipe).
 *
 * Every rank creates the same Hyena (1D, non-causal global conv, SPEC.md's typical configuration)
 * and initialises it with one seed, so all hold the same weights. Input values are a function of
 * (tensor, batch, position, channel), so each rank makes exactly its zigzag part [B, L/P, C]
 * (chunks r and 2P-1-r of 2P). Each rank runs subq_hyena_forward_cp and writes its part of the
 * output to the job directory; rank 0 then runs subq_hyena_forward on the whole sequence on its
 * own GPU and writes that too. The launcher gathers the parts in natural order and compares.
 * --no-check: no files, no one-GPU run (for sizes one GPU cannot hold). With --reps N, each rank also times N forwards (after two warm-up ones) and the four all-to-alls
 * of one forward on tensors of the same shapes; rank 0 prints them. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "subq/subq.h"

#define TRY(expr)                                 \
    do {                                          \
        subq_status try_ = (expr);                \
        if (try_ != SUBQ_OK) return try_;         \
    } while (0)

enum { MAX_RANKS = 64 };

typedef struct job {
    int size, reps, check, local;
    int64_t batch, channels, length;
    char dir[64];
} job;

typedef struct rank {
    const job *job;
    int index;
    subq_context *ctx;
    subq_stream *stream;
    subq_cp_group *group;
    subq_hyena *hyena;
    subq_tensor *q, *k, *v, *out;
} rank;

static double seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* Input value of tensor t (q, k, v = 0, 1, 2) at (b, global position s, channel c), in [-1, 1]. */
static float input_value(int t, int64_t b, int64_t s, int64_t c, const job *j)
{
    uint64_t x = (((uint64_t)t * (uint64_t)j->batch + (uint64_t)b) * (uint64_t)j->length + (uint64_t)s) *
                     (uint64_t)j->channels + (uint64_t)c;
    x = (x ^ (x >> 31)) * 0x7fb5d329728ea185ull;
    x = (x ^ (x >> 27)) * 0x81dadef4bc2dd44dull;
    return (float)((double)(x >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* Global position of local position i on rank r of p (zigzag: chunks r and 2p-1-r). */
static int64_t global_position(const job *j, int r, int64_t i)
{
    int64_t chunk = j->length / (2 * j->size);
    return i < chunk ? r * chunk + i : (2 * j->size - 1 - r) * chunk + (i - chunk);
}

/* q, k, v [B, n, C] of rank r's part (whole: n = L, natural order), and out. */
static subq_status make_inputs(rank *k, bool whole)
{
    const job *j = k->job;
    int64_t n = whole ? j->length : j->length / j->size, shape[3] = {j->batch, n, j->channels};
    size_t count = (size_t)(j->batch * n * j->channels);
    float *host = malloc(count * sizeof *host);
    if (!host) return SUBQ_ERROR_OUT_OF_MEMORY;
    subq_tensor **tensors[3] = {&k->q, &k->k, &k->v};
    subq_status status = SUBQ_OK;
    for (int t = 0; t < 3 && status == SUBQ_OK; t++) {
        for (int64_t b = 0; b < j->batch; b++)
            for (int64_t i = 0; i < n; i++) {
                int64_t s = whole ? i : global_position(j, k->index, i);
                for (int64_t c = 0; c < j->channels; c++)
                    host[(b * n + i) * j->channels + c] = input_value(t, b, s, c, j);
            }
        status = subq_tensor_create(k->ctx, SUBQ_F32, 3, shape, tensors[t]);
        if (status == SUBQ_OK) status = subq_tensor_upload(*tensors[t], host, count * sizeof *host);
    }
    if (status == SUBQ_OK) status = subq_tensor_create(k->ctx, SUBQ_F32, 3, shape, &k->out);
    free(host);
    return status;
}

static void free_tensors(rank *k)
{
    subq_tensor *all[] = {k->q, k->k, k->v, k->out};
    for (int i = 0; i < 4; i++) subq_tensor_destroy(all[i]);
    k->q = k->k = k->v = k->out = NULL;
}

static subq_status write_output(const rank *k, const char *name)
{
    size_t count = 1;
    for (int a = 0; a < 3; a++) count *= (size_t)subq_tensor_dim(k->out, a);
    float *host = malloc(count * sizeof *host);
    if (!host) return SUBQ_ERROR_OUT_OF_MEMORY;
    subq_status status = subq_tensor_download(k->out, host, count * sizeof *host);
    char path[96];
    snprintf(path, sizeof path, "%s/%s", k->job->dir, name);
    FILE *f = status == SUBQ_OK ? fopen(path, "wb") : NULL;
    if (status == SUBQ_OK && (!f || fwrite(host, sizeof *host, count, f) != count)) status = SUBQ_ERROR_OUT_OF_MEMORY;
    if (f) fclose(f);
    free(host);
    return status;
}

/* The model: Hyena as SPEC.md's typical 1D configuration, non-causal global conv (CP needs it). */
static subq_status make_hyena(rank *k)
{
    subq_hyena_config cfg = {
        .global_conv = {.data_dim = 1, .hidden_dim = k->job->channels, .cache_size = {k->job->length}},
        .short_conv = {.kind = SUBQ_SHORT_CONV_CONV, .kernel_size = {3}, .causal = 1},
        .pixelhyena_norm = SUBQ_HYENA_NORM_LAYER,
    };
    TRY(subq_hyena_create(k->ctx, &cfg, &k->hyena));
    return subq_hyena_init(k->hyena, 1);
}

/* ---- timing ---------------------------------------------------------------------------------- */

typedef struct a2a_tensors {
    subq_tensor *split[2], *full[2]; /* [B, 3C, L/P] and [B, C, L/P]; [B, 3C/P, L] and [B, C/P, L] */
} a2a_tensors;

/* The four all-to-alls of one forward, on tensors of its shapes (the short conv's, the global conv's). */
static subq_status all_to_alls(rank *k, const a2a_tensors *t)
{
    for (int i = 0; i < 2; i++) {
        TRY(subq_cp_split_to_full(k->stream, k->group, t->split[i], t->full[i]));
        TRY(subq_cp_full_to_split(k->stream, k->group, t->full[i], t->split[i]));
    }
    return SUBQ_OK;
}

static subq_status forward(rank *k)
{
    return subq_hyena_forward_cp(k->stream, k->hyena, k->group, k->q, k->k, k->v, NULL, k->out);
}

/* Mean ms of reps calls after two warm-up calls, the batch recorded back to back. */
static subq_status time_calls(rank *k, subq_status (*call)(rank *, const a2a_tensors *), const a2a_tensors *t,
                              double *ms)
{
    for (int i = 0; i < 2; i++) TRY(call(k, t));
    TRY(subq_stream_wait(k->stream));
    double start = seconds();
    for (int i = 0; i < k->job->reps; i++) TRY(call(k, t));
    TRY(subq_stream_wait(k->stream));
    *ms = (seconds() - start) * 1e3 / k->job->reps;
    return SUBQ_OK;
}

static subq_status forward_call(rank *k, const a2a_tensors *t)
{
    (void)t;
    return forward(k);
}

static subq_status time_rank(rank *k)
{
    const job *j = k->job;
    int64_t p = j->size, local = j->length / p, widths[2] = {3 * j->channels, j->channels};
    a2a_tensors t = {0};
    double forward_ms = 0, a2a_ms = 0;
    subq_status status = time_calls(k, forward_call, NULL, &forward_ms);
    for (int i = 0; i < 2 && status == SUBQ_OK && p > 1; i++) {
        status = subq_tensor_create(k->ctx, SUBQ_F32, 3, (int64_t[]){j->batch, widths[i], local}, &t.split[i]);
        if (status == SUBQ_OK)
            status = subq_tensor_create(k->ctx, SUBQ_F32, 3, (int64_t[]){j->batch, widths[i] / p, j->length}, &t.full[i]);
    }
    if (status == SUBQ_OK && p > 1) status = time_calls(k, all_to_alls, &t, &a2a_ms);
    for (int i = 0; i < 2; i++) {
        subq_tensor_destroy(t.split[i]);
        subq_tensor_destroy(t.full[i]);
    }
    if (status == SUBQ_OK && k->index == 0)
        printf("cp_hyena: P=%d B=%lld C=%lld L=%lld fp32: %.3f ms per forward; all-to-alls %.3f ms (%.1f%%), "
               "mean of %d\n", j->size, (long long)j->batch, (long long)j->channels, (long long)j->length,
               forward_ms, a2a_ms, 100.0 * a2a_ms / forward_ms, j->reps);
    return status;
}

/* ---- one rank ------------------------------------------------------------------------------------ */

static subq_status run_rank(rank *k)
{
    TRY(make_hyena(k));
    TRY(make_inputs(k, false));
    TRY(forward(k));
    TRY(subq_stream_wait(k->stream));
    char name[32];
    snprintf(name, sizeof name, "part-%d", k->index);
    if (k->job->check) TRY(write_output(k, name));
    if (k->job->reps) TRY(time_rank(k));
    free_tensors(k);
    if (k->index != 0 || !k->job->check) return SUBQ_OK;
    /* rank 0: the whole sequence on this GPU alone */
    TRY(make_inputs(k, true));
    TRY(subq_hyena_forward(k->stream, k->hyena, k->q, k->k, k->v, NULL, k->out));
    TRY(subq_stream_wait(k->stream));
    return write_output(k, "whole");
}

static int finish_rank(rank *k, subq_status status)
{
    if (status != SUBQ_OK)
        fprintf(stderr, "cp_hyena rank %d: %s: %s\n", k->index, subq_status_name(status), subq_last_error());
    free_tensors(k);
    subq_hyena_destroy(k->hyena);
    subq_cp_group_destroy(k->group);
    subq_stream_destroy(k->stream);
    if (!k->job->local) subq_context_destroy(k->ctx);
    return status == SUBQ_OK ? 0 : 1;
}

/* NCCL: the r-th GPU among the Vulkan devices, and the group through the id file. */
static subq_status join_nccl(rank *k)
{
    uint32_t count = 0;
    int seen = 0;
    char selector[16] = "";
    TRY(subq_device_count(&count));
    for (uint32_t i = 0; i < count && !selector[0]; i++) {
        subq_device_info info;
        TRY(subq_device_get_info(i, &info));
        if (info.type != SUBQ_DEVICE_CPU && info.type != SUBQ_DEVICE_OTHER && seen++ == k->index)
            snprintf(selector, sizeof selector, "%u", i);
    }
    if (!selector[0]) return fprintf(stderr, "cp_hyena: rank %d has no GPU of its own\n", k->index), SUBQ_ERROR_NO_DEVICE;
    subq_context_options options = {.device = selector};
    TRY(subq_context_create(&options, &k->ctx));
    TRY(subq_stream_create(k->ctx, &k->stream));
    char path[96];
    snprintf(path, sizeof path, "%s/nccl-id", k->job->dir);
    subq_nccl_id id;
    TRY(subq_nccl_id_rendezvous(path, k->index, &id));
    return subq_cp_group_create_nccl(k->ctx, k->index, k->job->size, &id, &k->group);
}

static int nccl_rank(const job *j, int index)
{
    rank k = {.job = j, .index = index};
    subq_status status = join_nccl(&k);
    if (status == SUBQ_OK) status = run_rank(&k);
    return finish_rank(&k, status);
}

static int local_rank(void *arg)
{
    rank *k = arg;
    subq_status status = subq_stream_create(k->ctx, &k->stream);
    if (status == SUBQ_OK) status = run_rank(k);
    return finish_rank(k, status);
}

/* ---- the launcher -------------------------------------------------------------------------------- */

static int launch_nccl(const job *j)
{
    pid_t pids[MAX_RANKS];
    fflush(stdout);
    for (int r = 0; r < j->size; r++) {
        pids[r] = fork();
        if (pids[r] == 0) _exit(nccl_rank(j, r));
        if (pids[r] < 0) return fprintf(stderr, "cp_hyena: fork failed\n"), 1;
    }
    /* a rank left alone waits on NCCL forever: once one fails, the others get 60 s */
    int failed = 0, left = j->size;
    double deadline = 0;
    while (left > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            left--;
            if (!WIFEXITED(status) || WEXITSTATUS(status)) failed++, deadline = deadline ? deadline : seconds() + 60;
        } else if (deadline && seconds() > deadline) {
            for (int r = 0; r < j->size; r++) kill(pids[r], SIGKILL);
            deadline = 0;
        } else {
            nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
        }
    }
    return failed;
}

static int launch_local(const job *j)
{
    subq_context *contexts[MAX_RANKS] = {0};
    subq_cp_group *groups[MAX_RANKS] = {0};
    rank ranks[MAX_RANKS];
    thrd_t threads[MAX_RANKS];
    int failed = 0, made = 0;
    for (; made < j->size; made++)
        if (subq_context_create(NULL, &contexts[made]) != SUBQ_OK) break;
    if (made < j->size || subq_cp_group_create_local(j->size, contexts, groups) != SUBQ_OK) {
        fprintf(stderr, "cp_hyena: %s\n", subq_last_error());
        failed = j->size;
    }
    for (int r = 0; !failed && r < j->size; r++) {
        ranks[r] = (rank){.job = j, .index = r, .ctx = contexts[r], .group = groups[r]};
        if (thrd_create(&threads[r], local_rank, &ranks[r]) != thrd_success) return fprintf(stderr, "thread\n"), 1;
    }
    for (int r = 0; !failed && r < j->size; r++) {
        int code;
        thrd_join(threads[r], &code);
        failed += code;
    }
    for (int r = 0; r < made; r++) subq_context_destroy(contexts[r]);
    return failed;
}

static float *read_floats(const job *j, const char *name, size_t count)
{
    char path[96];
    snprintf(path, sizeof path, "%s/%s", j->dir, name);
    FILE *f = fopen(path, "rb");
    float *values = malloc(count * sizeof *values);
    bool ok = f && values && fread(values, sizeof *values, count, f) == count;
    if (f) fclose(f);
    remove(path);
    if (!ok) free(values);
    return ok ? values : NULL;
}

/* The parts in natural order against the whole: max |cp - one GPU| / max(1, max |one GPU|). */
static int compare(const job *j)
{
    int64_t local = j->length / j->size, c = j->channels;
    size_t part_count = (size_t)(j->batch * local * c);
    float *whole = read_floats(j, "whole", part_count * (size_t)j->size);
    double worst = 0, largest = 0;
    bool complete = whole != NULL;
    for (int r = 0; r < j->size; r++) {
        char name[32];
        snprintf(name, sizeof name, "part-%d", r);
        float *part = read_floats(j, name, part_count);
        complete = complete && part;
        for (int64_t b = 0; part && whole && b < j->batch; b++)
            for (int64_t i = 0; i < local; i++)
                for (int64_t ch = 0; ch < c; ch++) {
                    double want = whole[(b * j->length + global_position(j, r, i)) * c + ch];
                    double got = part[(b * local + i) * c + ch], error = fabs(got - want);
                    worst = error > worst || isnan(error) ? error : worst;
                    largest = fabs(want) > largest ? fabs(want) : largest;
                }
        free(part);
    }
    free(whole);
    if (!complete) return fprintf(stderr, "cp_hyena: an output file is missing\n"), 1;
    double relative = worst / (largest > 1 ? largest : 1);
    bool ok = relative <= 1e-5;
    printf("cp_hyena: %d ranks vs one GPU, B=%lld C=%lld L=%lld: max relative error %.3g (%s)\n", j->size,
           (long long)j->batch, (long long)j->channels, (long long)j->length, relative, ok ? "equal" : "DIFFERENT");
    return ok ? 0 : 1;
}

static int parse(int argc, char **argv, job *j)
{
    *j = (job){.size = 2, .check = 1, .batch = 1, .channels = 64, .length = 4096};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long long v = i + 1 < argc ? atoll(argv[i + 1]) : 0;
        if (!strcmp(a, "--local")) j->local = 1;
        else if (!strcmp(a, "--no-check")) j->check = 0;
        else if (!strcmp(a, "--ranks")) j->size = (int)v, i++;
        else if (!strcmp(a, "--channels")) j->channels = v, i++;
        else if (!strcmp(a, "--length")) j->length = v, i++;
        else if (!strcmp(a, "--batch")) j->batch = v, i++;
        else if (!strcmp(a, "--reps")) j->reps = (int)v, i++;
        else return fprintf(stderr, "cp_hyena: unknown option %s\n", a), 2;
    }
    if (j->size < 1 || j->size > MAX_RANKS || j->batch < 1 || j->reps < 0 || j->channels < 1 ||
        j->channels % j->size || j->length < 2 || j->length % (2 * j->size))
        return fprintf(stderr, "usage: cp_hyena [--ranks P <= %d] [--channels C, C %% P = 0] [--length L, L %% 2P = 0] "
                               "[--batch B] [--reps N] [--no-check] [--local]\n", MAX_RANKS), 2;
    return 0;
}

int main(int argc, char **argv)
{
    job j;
    int bad = parse(argc, argv, &j);
    if (bad) return bad;
    snprintf(j.dir, sizeof j.dir, "/tmp/subq-cp-hyena-XXXXXX");
    if (!mkdtemp(j.dir)) return fprintf(stderr, "cp_hyena: mkdtemp failed\n"), 1;
    int failed = j.local ? launch_local(&j) : launch_nccl(&j);
    int different = failed || !j.check ? 0 : compare(&j);
    char path[96];
    for (int r = 0; r < j.size; r++) {
        snprintf(path, sizeof path, "%s/part-%d", j.dir, r);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/whole", j.dir);
    remove(path);
    snprintf(path, sizeof path, "%s/nccl-id", j.dir);
    remove(path);
    remove(j.dir);
    if (failed) printf("cp_hyena: %d of %d ranks failed\n", failed, j.size);
    return failed || different ? 1 : 0;
}
