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
    bool profile; /* also print one op's per-kernel GPU times (text output only) */
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
    bool when_named; /* a tuning sweep rather than a comparison: runs only when asked for by name */
} bench_entry;

extern const bench_entry subq_benches[]; /* NULL-terminated (bench_registry.c) */

/* GPU time of what `record` records, per op, over b->reps batches. */
subq_status bench_time(bench *b, bench_record_fn record, void *user, bench_timing *timing);
/* A dense f32 tensor of uniform values in +-[0.05, 1]; NULL on failure (reported). */
subq_tensor *bench_random_tensor(bench *b, int rank, const int64_t *shape);
/* The same values rounded to dtype (f32, f16 or bf16). */
subq_tensor *bench_random_tensor_as(bench *b, subq_dtype dtype, int rank, const int64_t *shape);
/* bench_time, then one result line, or bench_fail naming op; returns the failure count (0 or 1).
 * `bytes` is the op's minimum traffic (each input read once, each output written once), so GB/s
 * over the copy bandwidth says how close to the memory limit it runs; `flops` > 0 (a multiply-add
 * counts 2) also prints TFLOP/s. */
int bench_measure(bench *b, const char *op, const char *shape, bench_record_fn record, void *user, double bytes,
                  double flops);
int bench_fail(const char *what);

#endif
