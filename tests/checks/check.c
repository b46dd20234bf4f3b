#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t check_seed_from_env(void)
{
    const char *env = getenv("SUBQ_SEED");
    if (env && *env) return strtoull(env, NULL, 0);
    return (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
}

void checker_init(checker *c, subq_context *ctx, subq_stream *stream, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    c->stream = stream;
    c->rng = seed;
}

static double uniform01(checker *c) { return (double)(splitmix(&c->rng) >> 11) * 0x1.0p-53; }

void check_random(checker *c, double *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double magnitude = 0.05 + 0.95 * uniform01(c);
        values[i] = uniform01(c) < 0.5 ? -magnitude : magnitude;
    }
}

int64_t check_random_int(checker *c, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(splitmix(&c->rng) % (uint64_t)(hi - lo + 1));
}

double *check_alloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    if (!p) {
        fprintf(stderr, "check: out of host memory (%zu doubles)\n", n);
        exit(2);
    }
    return p;
}

void check_fail(checker *c, const char *label, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "FAIL %s: ", label);
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    c->failed++;
}

bool check_ok(checker *c, const char *label, subq_status status)
{
    if (status == SUBQ_OK) return true;
    check_fail(c, label, "%s: %s", subq_status_name(status), subq_last_error());
    return false;
}

static int64_t numel(int rank, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= shape[i];
    return n;
}

static subq_tensor *upload_bytes(checker *c, const char *label, subq_dtype dtype, int rank,
                                 const int64_t *shape, const void *bytes)
{
    subq_tensor *t = NULL;
    if (!check_ok(c, label, subq_tensor_create(c->ctx, dtype, rank, shape, &t))) return NULL;
    size_t size = (size_t)numel(rank, shape) * subq_dtype_size(dtype);
    if (!check_ok(c, label, subq_tensor_upload(t, bytes, size))) {
        subq_tensor_destroy(t);
        return NULL;
    }
    return t;
}

subq_tensor *check_upload(checker *c, const char *label, int rank, const int64_t *shape,
                          const double *values)
{
    size_t n = (size_t)numel(rank, shape);
    float *f = malloc(n * sizeof *f);
    if (!f) exit(2);
    for (size_t i = 0; i < n; i++) f[i] = (float)values[i];
    subq_tensor *t = upload_bytes(c, label, SUBQ_F32, rank, shape, f);
    free(f);
    return t;
}

subq_tensor *check_upload_i32(checker *c, const char *label, int rank, const int64_t *shape,
                              const int32_t *values)
{
    return upload_bytes(c, label, SUBQ_I32, rank, shape, values);
}

subq_tensor *check_poisoned(checker *c, const char *label, int rank, const int64_t *shape)
{
    size_t n = (size_t)numel(rank, shape);
    double *nan_values = check_alloc(n);
    for (size_t i = 0; i < n; i++) nan_values[i] = NAN;
    subq_tensor *t = check_upload(c, label, rank, shape, nan_values);
    free(nan_values);
    return t;
}

subq_tensor *check_convert(checker *c, const subq_tensor *t, subq_dtype dtype)
{
    if (!t) return NULL;
    int rank = subq_tensor_rank(t);
    int64_t shape[SUBQ_MAX_RANK];
    for (int i = 0; i < rank; i++) shape[i] = subq_tensor_dim(t, i);
    subq_tensor *out = check_tensor_empty(c, dtype, rank, shape);
    if (out && check_ok(c, "convert", subq_tensor_copy(c->stream, t, out)) &&
        check_ok(c, "convert", subq_stream_wait(c->stream)))
        return out;
    subq_tensor_destroy(out);
    return NULL;
}

double check_round_bf16(double v)
{
    float f = (float)v;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void check_close_values(checker *c, const char *label, const float *got, const double *ref, size_t n,
                        double tol)
{
    double scale = 1.0, worst = 0.0;
    size_t worst_at = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(ref[i]));
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i])) {
            check_fail(c, label, "element %zu is %f (not written, or not finite); reference %g", i,
                       got[i], ref[i]);
            return;
        }
        double err = fabs(got[i] - ref[i]);
        if (err > worst) {
            worst = err;
            worst_at = i;
        }
    }
    if (worst > tol * scale)
        check_fail(c, label, "max error %.3g at element %zu (got %.9g, reference %.9g), allowed %.3g",
                   worst, worst_at, got[worst_at], ref[worst_at], tol * scale);
    else {
        c->passed++;
        if (c->verbose) printf("ok   %s (max error %.2g)\n", label, worst);
    }
}

bool check_download(checker *c, const char *label, const subq_tensor *t, float *values, size_t n)
{
    subq_tensor *wide = subq_tensor_dtype(t) == SUBQ_F32 ? NULL : check_convert(c, t, SUBQ_F32);
    if (subq_tensor_dtype(t) != SUBQ_F32 && !wide) return false;
    bool ok = check_ok(c, label, subq_tensor_download(wide ? wide : t, values, n * sizeof *values));
    subq_tensor_destroy(wide);
    return ok;
}

void check_close(checker *c, const char *label, const subq_tensor *y, const double *ref, size_t n,
                 double tol)
{
    float *got = malloc(n * sizeof *got);
    if (!got) exit(2);
    if (check_download(c, label, y, got, n)) check_close_values(c, label, got, ref, n, tol);
    free(got);
}

void check_error(checker *c, const char *label, subq_status status, subq_status expected,
                 const char *mentions)
{
    if (status != expected) {
        check_fail(c, label, "expected status '%s', got '%s' (%s)", subq_status_name(expected),
                   subq_status_name(status), subq_last_error());
    } else if (mentions && !strstr(subq_last_error(), mentions)) {
        check_fail(c, label, "message should mention '%s': %s", mentions, subq_last_error());
    } else {
        c->passed++;
        if (c->verbose) printf("ok   %s: %s\n", label, subq_last_error());
    }
}

const check_entry *check_find(const char *name)
{
    for (const check_entry *e = subq_checks; e->name; e++)
        if (strcmp(e->name, name) == 0) return e;
    return NULL;
}

void check_invalid(checker *c, const char *label, subq_status status, const char *mentions)
{
    check_error(c, label, status, SUBQ_ERROR_INVALID_ARGUMENT, mentions);
}

subq_tensor *check_tensor_empty(checker *c, subq_dtype dtype, int rank, const int64_t *shape)
{
    subq_tensor *t = NULL;
    check_ok(c, "fixture", subq_tensor_create(c->ctx, dtype, rank, shape, &t));
    return t;
}

subq_tensor *check_tensor_view(checker *c, const subq_tensor *base, int64_t offset, int rank, const int64_t *shape,
                               const int64_t *strides)
{
    subq_tensor *t = NULL;
    if (base) check_ok(c, "fixture view", subq_tensor_view(base, offset, rank, shape, strides, &t));
    return t;
}

subq_tensor *check_tensor_random(checker *c, int rank, const int64_t *shape)
{
    double *values = check_alloc((size_t)numel(rank, shape));
    check_random(c, values, (size_t)numel(rank, shape));
    subq_tensor *t = check_upload(c, "fixture", rank, shape, values);
    free(values);
    return t;
}

int64_t check_largest_binding(checker *c)
{
    subq_device_info info;
    if (!check_ok(c, "device info", subq_context_get_device_info(c->ctx, &info))) return 0;
    int64_t elements = (int64_t)(info.max_storage_buffer_range / sizeof(float));
    int64_t limit = c->quick ? (int64_t)1 << 22 : (int64_t)1 << 25;
    return elements < limit ? elements : limit;
}
