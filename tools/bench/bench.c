#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"

/* GPU clocks drop as soon as the GPU idles (seen on the H100: 345 MHz instead of 1980, timings 2-4x
 * off): while the host makes random inputs, and between single synchronised dispatches. So: warm
 * up for WARMUP_SECONDS, then time batches of back-to-back ops, each batch about BATCH_MS long,
 * and report the time per op. */
#define WARMUP_SECONDS 0.3
#define WARMUP_BATCH 8
#define BATCH_MS 5.0
#define MAX_BATCH 256

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double wall_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* The first call may compile pipelines for a second while the GPU idles: warm up after it. */
static subq_status warm_up(bench *b, bench_record_fn record, void *user)
{
    subq_status status = record(user, b->stream);
    if (status == SUBQ_OK) status = subq_stream_wait(b->stream);
    double start = wall_seconds();
    while (status == SUBQ_OK && wall_seconds() - start < WARMUP_SECONDS) {
        for (int i = 0; i < WARMUP_BATCH && status == SUBQ_OK; i++) status = record(user, b->stream);
        if (status == SUBQ_OK) status = subq_stream_wait(b->stream);
    }
    return status;
}

/* GPU milliseconds per op of one submission of `count` back-to-back ops. */
static subq_status time_batch(bench *b, bench_record_fn record, void *user, int count, double *ms_per_op)
{
    subq_status status = SUBQ_OK;
    for (int i = 0; i < count && status == SUBQ_OK; i++) status = record(user, b->stream);
    if (status == SUBQ_OK) status = subq_stream_wait(b->stream);
    if (status == SUBQ_OK) status = subq_stream_gpu_time_ms(b->stream, ms_per_op);
    *ms_per_op /= count;
    return status;
}

subq_status bench_time(bench *b, bench_record_fn record, void *user, bench_timing *timing)
{
    double *times = calloc((size_t)b->reps, sizeof *times);
    if (!times) return SUBQ_ERROR_OUT_OF_MEMORY;
    double single = 0;
    subq_status status = warm_up(b, record, user);
    if (status == SUBQ_OK) status = time_batch(b, record, user, 1, &single);
    int count = single > 0 ? (int)(BATCH_MS / single) : MAX_BATCH;
    count = count < 1 ? 1 : count > MAX_BATCH ? MAX_BATCH : count;
    for (int i = 0; i < b->reps && status == SUBQ_OK; i++) status = time_batch(b, record, user, count, &times[i]);
    if (status == SUBQ_OK) {
        qsort(times, (size_t)b->reps, sizeof *times, compare_doubles);
        *timing = (bench_timing){times[b->reps / 2], times[0], times[b->reps - 1]};
    }
    free(times);
    return status;
}

static float random_value(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    float u = (float)(*state >> 40) / (float)(1 << 24);
    float magnitude = 0.05f + 0.95f * u;
    return (*state >> 39) & 1 ? magnitude : -magnitude;
}

subq_tensor *bench_random_tensor(bench *b, int rank, const int64_t *shape)
{
    subq_tensor *t = NULL;
    if (subq_tensor_create(b->ctx, SUBQ_F32, rank, shape, &t) != SUBQ_OK) {
        bench_fail("creating a tensor");
        return NULL;
    }
    size_t n = (size_t)subq_tensor_numel(t);
    float *values = malloc(n * sizeof *values);
    if (!values) {
        subq_tensor_destroy(t);
        bench_fail("host memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) values[i] = random_value(&b->rng);
    subq_status status = subq_tensor_upload(t, values, n * sizeof *values);
    free(values);
    if (status != SUBQ_OK) {
        subq_tensor_destroy(t);
        bench_fail("uploading");
        return NULL;
    }
    return t;
}

subq_tensor *bench_random_tensor_as(bench *b, subq_dtype dtype, int rank, const int64_t *shape)
{
    subq_tensor *values = bench_random_tensor(b, rank, shape), *t = NULL;
    if (!values || dtype == SUBQ_F32) return values;
    subq_status status = subq_tensor_create(b->ctx, dtype, rank, shape, &t);
    if (status == SUBQ_OK) status = subq_tensor_copy(b->stream, values, t);
    if (status == SUBQ_OK) status = subq_stream_submit(b->stream);
    if (status == SUBQ_OK) status = subq_stream_wait(b->stream);
    subq_tensor_destroy(values);
    if (status == SUBQ_OK) return t;
    subq_tensor_destroy(t);
    bench_fail("converting a tensor");
    return NULL;
}

static void report(const bench *b, const char *op, const char *shape, const bench_timing *t, double bytes,
                        double flops)
{
    double ms = t->median;
    double gbps = bytes / (ms * 1e-3) / 1e9, tflops = flops / (ms * 1e-3) / 1e12;
    double fraction = b->copy_gbps > 0 ? gbps / b->copy_gbps : 0;
    if (b->json) {
        printf("{\"op\": \"%s\", \"shape\": \"%s\", \"ms\": %.6f, \"min_ms\": %.6f, \"max_ms\": %.6f, "
               "\"gbps\": %.2f, \"copy_gbps\": %.2f, \"copy_fraction\": %.4f, ",
               op, shape, ms, t->min, t->max, gbps, b->copy_gbps, fraction);
        if (flops > 0) printf("\"tflops\": %.3f, ", tflops);
        printf("\"device\": \"%s\"}\n", b->info.name);
    } else {
        printf("%-22s %-38s %9.4f ms (min %.4f, max %.4f) %7.1f GB/s %6.1f%% of copy", op, shape, ms, t->min,
               t->max, gbps, 100 * fraction);
        if (flops > 0) printf(" %8.2f TFLOP/s", tflops);
        printf("\n");
    }
    fflush(stdout);
}

typedef struct kernel_total {
    const char *kernel, *statistics; /* a kernel's pipelines apart where statistics tell them apart */
    int count;
    double ms;
} kernel_total;

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static int by_time(const void *a, const void *b)
{
    double x = ((const kernel_total *)a)->ms, y = ((const kernel_total *)b)->ms;
    return (x < y) - (x > y);
}

/* Per kernel: calls and GPU time of one op with its dispatches serialised, slowest first; and what
 * the compiler says of its pipeline where the context captures it (SUBQ_PIPELINE_STATISTICS=1). */
static void print_profile(const subq_profile_entry *entries, int count)
{
    kernel_total totals[SUBQ_PROFILE_MAX];
    int kinds = 0;
    double all = 0;
    for (int i = 0; i < count; i++) {
        int k = 0;
        while (k < kinds && !(same_text(totals[k].kernel, entries[i].kernel) &&
                              same_text(totals[k].statistics, entries[i].statistics)))
            k++;
        if (k == kinds) totals[kinds++] = (kernel_total){entries[i].kernel, entries[i].statistics, 0, 0};
        totals[k].count++;
        totals[k].ms += entries[i].ms;
        all += entries[i].ms;
    }
    qsort(totals, (size_t)kinds, sizeof *totals, by_time);
    for (int k = 0; k < kinds; k++) {
        printf("    %-36s %4d x %9.4f ms %5.1f%%\n", totals[k].kernel, totals[k].count, totals[k].ms,
               all > 0 ? 100 * totals[k].ms / all : 0);
        if (totals[k].statistics) printf("        %s\n", totals[k].statistics);
    }
    printf("    %-36s %4d   %9.4f ms (dispatches serialised)\n", "total", count, all);
}

static subq_status profile_once(bench *b, bench_record_fn record, void *user)
{
    const subq_profile_entry *entries;
    int count;
    subq_status status = subq_stream_set_profiling(b->stream, 1);
    if (status == SUBQ_OK) status = record(user, b->stream);
    if (status == SUBQ_OK) status = subq_stream_wait(b->stream);
    if (status == SUBQ_OK) status = subq_stream_profile(b->stream, &entries, &count);
    if (status == SUBQ_OK) print_profile(entries, count);
    subq_status off = subq_stream_set_profiling(b->stream, 0);
    return status != SUBQ_OK ? status : off;
}

int bench_measure(bench *b, const char *op, const char *shape, bench_record_fn record, void *user, double bytes,
                  double flops)
{
    bench_timing t;
    if (bench_time(b, record, user, &t) != SUBQ_OK) return bench_fail(op);
    report(b, op, shape, &t, bytes, flops);
    if (b->profile && !b->json && profile_once(b, record, user) != SUBQ_OK) return bench_fail(op);
    return 0;
}

int bench_fail(const char *what)
{
    fprintf(stderr, "subq bench: %s: %s\n", what, subq_last_error());
    return 1;
}

typedef struct copy_args {
    subq_tensor *x, *y;
} copy_args;

static subq_status record_copy(void *user, subq_stream *stream)
{
    copy_args *a = user;
    return subq_tensor_copy(stream, a->x, a->y);
}

/* The anchor: a dense copy of the largest tensor up to 512 MiB that one binding allows. */
static int measure_copy(bench *b)
{
    uint64_t bytes = (uint64_t)512 << 20;
    if (bytes > b->info.max_storage_buffer_range) bytes = b->info.max_storage_buffer_range & ~(uint64_t)255;
    int64_t n = (int64_t)(bytes / sizeof(float));
    copy_args a = {bench_random_tensor(b, 1, &n), NULL};
    if (!a.x || subq_tensor_create(b->ctx, SUBQ_F32, 1, &n, &a.y) != SUBQ_OK) return bench_fail("copy tensors");
    bench_timing t;
    subq_status status = bench_time(b, record_copy, &a, &t);
    subq_tensor_destroy(a.x);
    subq_tensor_destroy(a.y);
    if (status != SUBQ_OK) return bench_fail("copy");
    b->copy_gbps = 2.0 * (double)bytes / (t.median * 1e-3) / 1e9;
    char shape[64];
    snprintf(shape, sizeof shape, "%lld floats", (long long)n);
    report(b, "copy", shape, &t, 2.0 * (double)bytes, 0);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: subq bench [--json] [--reps N] [--profile] [name...]\nbenchmarks:");
    for (const bench_entry *e = subq_benches; e->name; e++) fprintf(stderr, " %s", e->name);
    fprintf(stderr, "\n");
    return 2;
}

static bool wanted(const bench_entry *e, int count, char **names)
{
    for (int i = 0; i < count; i++)
        if (!strcmp(names[i], e->name)) return true;
    return count == 0 && !e->when_named;
}

int command_bench(int argc, char **argv)
{
    bench b = {.reps = 20, .rng = 0x5eed};
    char *names[16];
    int name_count = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) b.json = true;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) b.reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--profile")) b.profile = true;
        else if (argv[i][0] == '-' || name_count == 16) return usage();
        else names[name_count++] = argv[i];
    }
    for (int i = 0; i < name_count; i++) {
        bool known = false;
        for (const bench_entry *e = subq_benches; e->name; e++) known |= !strcmp(e->name, names[i]);
        if (!known) return usage();
    }
    if (b.reps < 1) return usage();
    if (subq_context_create(NULL, &b.ctx) != SUBQ_OK || subq_stream_create(b.ctx, &b.stream) != SUBQ_OK)
        return bench_fail("context");
    subq_context_get_device_info(b.ctx, &b.info);
    if (!b.json) printf("device: %s; per op, median of %d batches of back-to-back ops (GPU timestamps)\n", b.info.name,
                           b.reps);
    int failed = measure_copy(&b);
    for (const bench_entry *e = subq_benches; e->name && !failed; e++)
        if (wanted(e, name_count, names)) failed = e->run(&b);
    subq_stream_destroy(b.stream);
    subq_context_destroy(b.ctx);
    return failed;
}
