/* Benchmarks: GPU time per op from timestamps around batches of back-to-back ops (median over
 * batches, after warm-up), on random inputs, next to the copy bandwidth measured in the same run. */
#ifndef SUBQ_BENCH_H
#define SUBQ_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "subq/subq.h"

typedef struct bench {
    subq_context *ctx;
    subq_stream *stream;
    subq_device_info info;
    int reps;
    bool json;
    double copy_gbps; /* bytes read + written per second, measured first */
    uint64_t rng;
} bench;

typedef subq_status (*bench_record_fn)(void *user, subq_stream *stream);

/* GPU milliseconds per op over the timed batches. */
typedef struct bench_timing {
    double median, min, max;
} bench_timing;

typedef struct bench_entry {
    const char *name;
    int (*run)(bench *b);
} bench_entry;

extern const bench_entry subq_benches[]; /* NULL-terminated (bench_registry.c) */

/* GPU time of what `record` records, per op, over b->reps batches. */
subq_status bench_time(bench *b, bench_record_fn record, void *user, bench_timing *timing);
/* A dense f32 tensor of uniform values in +-[0.05, 1]; NULL on failure (reported). */
subq_tensor *bench_random_tensor(bench *b, int rank, const int64_t *shape);
/* One result line: `bytes` is the minimum traffic of the op (each input read once, each output
 * written once), so GB/s over the copy bandwidth says how close to the memory limit it runs. */
void bench_report(const bench *b, const char *op, const char *shape, const bench_timing *t, double bytes);
/* bench_report for compute-bound ops: `flops` (a multiply-add counts 2) also prints as TFLOP/s. */
void bench_report_flops(const bench *b, const char *op, const char *shape, const bench_timing *t, double bytes,
                        double flops);
int bench_fail(const char *what);

#endif
