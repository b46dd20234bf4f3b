/* Operator checks against the double-precision references: fresh random inputs per case (never
 * zeros), outputs poisoned with NaN first so that an unwritten element fails. Shared by the ctest
 * programs and `subq selftest`. */
#ifndef SUBQ_CHECK_H
#define SUBQ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "subq/subq.h"

typedef struct checker {
    subq_context *ctx;
    subq_stream *stream;
    uint64_t rng;
    int passed, failed;
    bool quick;   /* selftest: a smaller grid */
    bool verbose;
} checker;

typedef void (*check_fn)(checker *c);

typedef struct check_entry {
    const char *name;
    check_fn run;
} check_entry;

/* Every operator's check, NULL-terminated (registry.c). */
extern const check_entry subq_checks[];
const check_entry *check_find(const char *name);

void checker_init(checker *c, subq_context *ctx, subq_stream *stream, uint64_t seed);
uint64_t check_seed_from_env(void);

/* Uniform in +-[0.05, 1], so no value is (near) zero. */
void check_random(checker *c, double *values, size_t n);
int64_t check_random_int(checker *c, int64_t lo, int64_t hi); /* inclusive */
double *check_alloc(size_t n);

/* A dense f32 tensor holding values (converted from double). NULL on failure (reported). */
subq_tensor *check_upload(checker *c, const char *label, int rank, const int64_t *shape,
                          const double *values);
subq_tensor *check_upload_i32(checker *c, const char *label, int rank, const int64_t *shape,
                              const int32_t *values);
/* A dense f32 tensor filled with NaN. */
subq_tensor *check_poisoned(checker *c, const char *label, int rank, const int64_t *shape);
/* A dense copy of t in dtype (subq_tensor_copy converts, rounding to nearest even; waits), or NULL
 * (reported); NULL for a NULL t. */
subq_tensor *check_convert(checker *c, const subq_tensor *t, subq_dtype dtype);
/* v rounded to f32 and then to bf16 (nearest, ties to even): values a bf16 tensor holds exactly. */
double check_round_bf16(double v);
/* n values of a dense f32, f16 or bf16 tensor as f32; false on failure (reported under label). */
bool check_download(checker *c, const char *label, const subq_tensor *t, float *values, size_t n);

/* f32 elements of the largest tensor one binding allows on this device, bounded so that host
 * memory and time stay reasonable on big GPUs (2^25; 2^22 in the quick selftest); 0 on failure. */
int64_t check_largest_binding(checker *c);

/* For fixtures and error tables: an uninitialised tensor, a view (NULL base gives NULL), a dense
 * f32 tensor of fresh random values. Each returns NULL on failure, reported. */
subq_tensor *check_tensor_empty(checker *c, subq_dtype dtype, int rank, const int64_t *shape);
subq_tensor *check_tensor_view(checker *c, const subq_tensor *base, int64_t offset, int rank, const int64_t *shape,
                               const int64_t *strides);
subq_tensor *check_tensor_random(checker *c, int rank, const int64_t *shape);

/* Compare a dense tensor (f32, f16 or bf16) with the reference: every element finite, and
 * max|y - ref| <= tol * max(1, max|ref|). Records one pass or fail. */
void check_close(checker *c, const char *label, const subq_tensor *y, const double *ref, size_t n,
                 double tol);
/* The same comparison for values already on the host. */
void check_close_values(checker *c, const char *label, const float *got, const double *ref, size_t n,
                        double tol);
/* Record a failure when status is not SUBQ_OK; returns whether it was OK. */
bool check_ok(checker *c, const char *label, subq_status status);
/* Expect a call to fail with this status and a message mentioning `mentions`. */
void check_error(checker *c, const char *label, subq_status status, subq_status expected,
                 const char *mentions);
/* check_error expecting SUBQ_ERROR_INVALID_ARGUMENT: the error tables' usual row. */
void check_invalid(checker *c, const char *label, subq_status status, const char *mentions);
void check_fail(checker *c, const char *label, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif
