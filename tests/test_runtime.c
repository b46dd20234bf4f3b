/* The runtime core: devices, contexts, tensors and views, copies, memory, streams, the pipeline
 * disk cache, several contexts and threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <threads.h>
#include <unistd.h>

#include "checks/check.h"

static checker c;

static void test_devices(void)
{
    uint32_t count = 0, chosen = 99, by_index = 99, by_name = 99;
    if (!check_ok(&c, "device count", subq_device_count(&count))) return;
    subq_device_info info;
    check_ok(&c, "choose default", subq_device_choose(NULL, &chosen));
    check_ok(&c, "device info", subq_device_get_info(chosen, &info));
    check_ok(&c, "choose by index", subq_device_choose("0", &by_index));
    char part[8] = {0};
    memcpy(part, info.name, 4);
    check_ok(&c, "choose by name", subq_device_choose(part, &by_name));
    if (by_index != 0) check_fail(&c, "choose by index", "expected device 0, got %u", by_index);
    else if (chosen >= count) check_fail(&c, "choose default", "index %u of %u devices", chosen, count);
    else c.passed++;
    check_error(&c, "unknown device name", subq_device_choose("no-such-gpu", &chosen), SUBQ_ERROR_NO_DEVICE,
                "no-such-gpu");
    check_error(&c, "device index out of range", subq_device_choose("4096", &chosen), SUBQ_ERROR_NO_DEVICE,
                "out of range");
    check_error(&c, "device info index", subq_device_get_info(count, &info), SUBQ_ERROR_INVALID_ARGUMENT, "index");
    subq_context *ctx = NULL;
    subq_context_options options = {.device = "no-such-gpu"};
    check_error(&c, "context on unknown device", subq_context_create(&options, &ctx), SUBQ_ERROR_NO_DEVICE,
                "no-such-gpu");
}

static void test_tensor_errors(void)
{
    subq_tensor *t = NULL;
    int64_t shape[6] = {2, 3, 4, 1, 1, 1}, zero[2] = {2, 0};
    check_error(&c, "rank 0", subq_tensor_create(c.ctx, SUBQ_F32, 0, shape, &t), SUBQ_ERROR_INVALID_ARGUMENT, "rank");
    check_error(&c, "rank 6", subq_tensor_create(c.ctx, SUBQ_F32, 6, shape, &t), SUBQ_ERROR_INVALID_ARGUMENT, "rank");
    check_error(&c, "zero-size dimension", subq_tensor_create(c.ctx, SUBQ_F32, 2, zero, &t),
                SUBQ_ERROR_INVALID_ARGUMENT, "dimension 1 is 0");
    check_error(&c, "NULL shape", subq_tensor_create(c.ctx, SUBQ_F32, 2, NULL, &t), SUBQ_ERROR_INVALID_ARGUMENT,
                "shape");
    check_error(&c, "bad dtype", subq_tensor_create(c.ctx, (subq_dtype)42, 2, shape, &t),
                SUBQ_ERROR_INVALID_ARGUMENT, "dtype");
    check_error(&c, "NULL context", subq_tensor_create(NULL, SUBQ_F32, 2, shape, &t), SUBQ_ERROR_INVALID_ARGUMENT,
                "context");
    int64_t huge[2] = {(int64_t)1 << 40, 16};
    check_error(&c, "larger than device memory", subq_tensor_create(c.ctx, SUBQ_F32, 2, huge, &t),
                SUBQ_ERROR_OUT_OF_MEMORY, "device memory");
}

static void test_views_and_copies(void)
{
    int64_t shape[2] = {3, 5};
    double values[15];
    check_random(&c, values, 15);
    for (int i = 0; i < 15; i++) values[i] = (float)values[i]; /* exact copies compare exactly */
    subq_tensor *t = check_upload(&c, "matrix", 2, shape, values), *v = NULL, *row = NULL, *dst = NULL;
    if (!t) return;
    int64_t t_shape[2] = {5, 3}, t_strides[2] = {1, 5}, row_shape[1] = {5}, bad_strides[2] = {-1, 5};
    check_error(&c, "view out of bounds", subq_tensor_view(t, 1, 2, shape, NULL, &v), SUBQ_ERROR_INVALID_ARGUMENT,
                "past the 15 elements");
    check_error(&c, "negative stride", subq_tensor_view(t, 0, 2, t_shape, bad_strides, &v),
                SUBQ_ERROR_INVALID_ARGUMENT, "strides[0]");
    if (check_ok(&c, "row view", subq_tensor_view(t, 5, 1, row_shape, NULL, &row)))
        check_close(&c, "download of a row view at an unaligned offset", row, values + 5, 5, 0);
    float host[15];
    if (check_ok(&c, "transposed view", subq_tensor_view(t, 0, 2, t_shape, t_strides, &v))) {
        check_error(&c, "download of a permuted view", subq_tensor_download(v, host, sizeof host),
                    SUBQ_ERROR_INVALID_ARGUMENT, "dense");
        double transposed[15];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 3; j++) transposed[i * 3 + j] = values[j * 5 + i];
        if (check_ok(&c, "copy dst", subq_tensor_create(c.ctx, SUBQ_F32, 2, t_shape, &dst)) &&
            check_ok(&c, "strided copy", subq_tensor_copy(c.stream, v, dst)) &&
            check_ok(&c, "strided copy wait", subq_stream_wait(c.stream)))
            check_close(&c, "copy through a transposed view", dst, transposed, 15, 0);
    }
    check_error(&c, "upload size", subq_tensor_upload(t, host, 3), SUBQ_ERROR_INVALID_ARGUMENT, "bytes");
    check_error(&c, "upload NULL", subq_tensor_upload(t, NULL, sizeof host), SUBQ_ERROR_INVALID_ARGUMENT, "host");
    check_error(&c, "copy shape", subq_tensor_copy(c.stream, t, dst), SUBQ_ERROR_INVALID_ARGUMENT, "destination");
    check_error(&c, "copy onto itself", subq_tensor_copy(c.stream, t, t), SUBQ_ERROR_INVALID_ARGUMENT, "shares memory");
    subq_tensor_destroy(t); /* views keep the storage alive */
    if (row) check_close(&c, "view outlives its base", row, values + 5, 5, 0);
    subq_tensor_destroy(row);
    subq_tensor_destroy(v);
    subq_tensor_destroy(dst);
}

/* Integers that read as float denormals must survive copies bit for bit. */
static void test_i32_copy(void)
{
    int64_t n = 1027;
    int32_t *in = malloc((size_t)n * sizeof *in), *out = malloc((size_t)n * sizeof *out);
    for (int64_t i = 0; i < n; i++) in[i] = (int32_t)(i * 7919 % 100003) - 5000;
    subq_tensor *a = check_upload_i32(&c, "i32", 1, &n, in), *b = NULL;
    if (a && check_ok(&c, "i32 dst", subq_tensor_create(c.ctx, SUBQ_I32, 1, &n, &b)) &&
        check_ok(&c, "i32 copy", subq_tensor_copy(c.stream, a, b)) && check_ok(&c, "wait", subq_stream_wait(c.stream)) &&
        check_ok(&c, "i32 download", subq_tensor_download(b, out, (size_t)n * sizeof *out))) {
        if (memcmp(in, out, (size_t)n * sizeof *in)) check_fail(&c, "i32 copy", "bits changed");
        else c.passed++;
    }
    subq_tensor_destroy(a);
    subq_tensor_destroy(b);
    free(in);
    free(out);
}

/* Allocate and free many tensors of mixed sizes in a scrambled order; each keeps its own data. */
static void test_memory(void)
{
    enum { COUNT = 64 };
    subq_tensor *t[COUNT] = {0};
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < COUNT; i++) {
            if (t[i]) continue;
            int64_t n = check_random_int(&c, 1, i % 9 == 0 ? (int64_t)10 << 20 : 4096);
            float first = (float)i;
            if (!check_ok(&c, "allocate", subq_tensor_create(c.ctx, SUBQ_F32, 1, &n, &t[i]))) return;
            subq_tensor *head = NULL;
            int64_t one = 1;
            check_ok(&c, "head view", subq_tensor_view(t[i], 0, 1, &one, NULL, &head));
            check_ok(&c, "mark", subq_tensor_upload(head, &first, sizeof first));
            subq_tensor_destroy(head);
        }
        for (int i = 0; i < COUNT; i++) {
            int64_t one = 1;
            float got = -1;
            subq_tensor *head = NULL;
            check_ok(&c, "head view", subq_tensor_view(t[i], 0, 1, &one, NULL, &head));
            check_ok(&c, "read mark", subq_tensor_download(head, &got, sizeof got));
            subq_tensor_destroy(head);
            if (got != (float)i) check_fail(&c, "allocations overlap", "tensor %d reads %g", i, got);
        }
        for (int i = round; i < COUNT; i += 2 + round) {
            subq_tensor_destroy(t[i]);
            t[i] = NULL;
        }
    }
    c.passed++;
    for (int i = 0; i < COUNT; i++) subq_tensor_destroy(t[i]);
}

/* a -> b -> c -> a in one submission: each copy depends on the last (read-after-write), and the
 * last overwrites what the first read (write-after-read). Validation checks the barriers. */
static void test_hazard_chain(void)
{
    int64_t n = 100003;
    double *values = check_alloc((size_t)n);
    check_random(&c, values, (size_t)n);
    for (int64_t i = 0; i < n; i++) values[i] = (float)values[i];
    subq_tensor *a = check_upload(&c, "a", 1, &n, values), *b = check_poisoned(&c, "b", 1, &n),
                *d = check_poisoned(&c, "c", 1, &n);
    if (a && b && d) {
        for (int i = 0; i < 3; i++) {
            check_ok(&c, "a->b", subq_tensor_copy(c.stream, a, b));
            check_ok(&c, "b->c", subq_tensor_copy(c.stream, b, d));
            check_ok(&c, "c->a", subq_tensor_copy(c.stream, d, a));
        }
        check_ok(&c, "submit", subq_stream_submit(c.stream));
        check_ok(&c, "a->b again", subq_tensor_copy(c.stream, a, b));
        if (check_ok(&c, "wait", subq_stream_wait(c.stream))) check_close(&c, "hazard chain", b, values, (size_t)n, 0);
    }
    subq_tensor_destroy(a);
    subq_tensor_destroy(b);
    subq_tensor_destroy(d);
    free(values);
}

static void test_stream(void)
{
    subq_stream *s = NULL;
    double ms;
    if (!check_ok(&c, "stream", subq_stream_create(c.ctx, &s))) return;
    check_error(&c, "time before any submission", subq_stream_gpu_time_ms(s, &ms), SUBQ_ERROR_INVALID_ARGUMENT,
                "no submission");
    check_ok(&c, "wait on an empty stream", subq_stream_wait(s));
    check_error(&c, "NULL stream", subq_stream_submit(NULL), SUBQ_ERROR_INVALID_ARGUMENT, "stream");
    subq_stream_destroy(s);
}

/* Three dependent copies timed one by one; switching with work recorded, or reading while off, refused. */
static void test_profile(void)
{
    int64_t n = 4099;
    subq_stream *s = NULL;
    subq_tensor *a = check_poisoned(&c, "a", 1, &n), *b = check_poisoned(&c, "b", 1, &n);
    const subq_profile_entry *entries;
    int count = -1;
    if (a && b && check_ok(&c, "stream", subq_stream_create(c.ctx, &s))) {
        check_invalid(&c, "profile while off", subq_stream_profile(s, &entries, &count), "profiling is off");
        check_ok(&c, "profiling on", subq_stream_set_profiling(s, 1));
        for (int i = 0; i < 3; i++) check_ok(&c, "copy", subq_tensor_copy(s, i % 2 ? b : a, i % 2 ? a : b));
        check_invalid(&c, "switch with work recorded", subq_stream_set_profiling(s, 0), "submit it");
        check_ok(&c, "wait", subq_stream_wait(s));
        check_ok(&c, "profile", subq_stream_profile(s, &entries, &count));
        bool named = count == 3;
        for (int i = 0; named && i < count; i++) named = !strcmp(entries[i].kernel, "copy") && entries[i].ms >= 0;
        if (!named) check_fail(&c, "profile entries", "expected 3 copies with times, got %d entries", count);
        check_ok(&c, "profiling off", subq_stream_set_profiling(s, 0));
        check_invalid(&c, "profile after off", subq_stream_profile(s, &entries, &count), "profiling is off");
    }
    check_invalid(&c, "NULL count", subq_stream_profile(c.stream, &entries, NULL), "count");
    subq_stream_destroy(s);
    subq_tensor_destroy(a);
    subq_tensor_destroy(b);
}

/* A copy's profile entry in a context of its own with pipeline statistics on or off. */
static void profile_copy(subq_context *ctx, const char *label, bool on)
{
    int64_t n = 4099;
    subq_tensor *a = NULL, *b = NULL;
    subq_stream *s = NULL;
    const subq_profile_entry *entries;
    int count = 0;
    if (check_ok(&c, label, subq_tensor_create(ctx, SUBQ_F32, 1, &n, &a)) &&
        check_ok(&c, label, subq_tensor_create(ctx, SUBQ_F32, 1, &n, &b)) &&
        check_ok(&c, label, subq_stream_create(ctx, &s)) && check_ok(&c, label, subq_stream_set_profiling(s, 1)) &&
        check_ok(&c, label, subq_tensor_copy(s, a, b)) && check_ok(&c, label, subq_stream_wait(s)) &&
        check_ok(&c, label, subq_stream_profile(s, &entries, &count))) {
        const char *statistics = count == 1 ? entries[0].statistics : NULL;
        if (count != 1 || (on ? !statistics || !*statistics : statistics != NULL))
            check_fail(&c, label, "expected one entry %s statistics, got %d entries, statistics '%s'",
                       on ? "with" : "without", count, statistics ? statistics : "(none)");
        else c.passed++;
        if (c.verbose && statistics) printf("     %s: %s\n", label, statistics);
    }
    subq_stream_destroy(s);
    subq_tensor_destroy(a);
    subq_tensor_destroy(b);
}

/* Pipeline statistics reach the profile with the option on, or the context is refused, naming the
 * option, where the device lacks VK_KHR_pipeline_executable_properties; with it off, none. */
static void test_pipeline_statistics(void)
{
    for (int on = 0; on < 2; on++) {
        const char *label = on ? "pipeline statistics on" : "pipeline statistics off";
        subq_context_options options = {.pipeline_statistics = on ? SUBQ_TOGGLE_ON : SUBQ_TOGGLE_OFF};
        subq_context *ctx = NULL;
        subq_status status = subq_context_create(&options, &ctx);
        if (on && status == SUBQ_ERROR_UNSUPPORTED)
            check_error(&c, label, status, SUBQ_ERROR_UNSUPPORTED, "options.pipeline_statistics");
        else if (check_ok(&c, label, status))
            profile_copy(ctx, label, on);
        if (ctx && subq_context_validation_message_count(ctx))
            check_fail(&c, label, "%u validation message(s)", subq_context_validation_message_count(ctx));
        subq_context_destroy(ctx);
    }
}

/* A context writes its pipeline cache on destroy; the next one reads it; a corrupt file is ignored. */
static void test_pipeline_cache(void)
{
    char dir[] = "/tmp/subq-cache-XXXXXX", path[256];
    if (!mkdtemp(dir)) return;
    subq_context_options options = {.cache_dir = dir};
    subq_device_info info;
    subq_context_get_device_info(c.ctx, &info);
    snprintf(path, sizeof path, "%s/pipelines-%04x-%04x.bin", dir, info.vendor_id, info.device_id);
    for (int run = 0; run < 3; run++) {
        subq_context *ctx = NULL;
        subq_stream *s = NULL;
        if (!check_ok(&c, "cache context", subq_context_create(&options, &ctx))) break;
        int64_t n = 64;
        subq_tensor *a = NULL, *b = NULL;
        check_ok(&c, "cache run", subq_stream_create(ctx, &s));
        check_ok(&c, "a", subq_tensor_create(ctx, SUBQ_F32, 1, &n, &a));
        check_ok(&c, "b", subq_tensor_create(ctx, SUBQ_F32, 1, &n, &b));
        check_ok(&c, "copy", subq_tensor_copy(s, a, b));
        check_ok(&c, "wait", subq_stream_wait(s));
        subq_tensor_destroy(a);
        subq_tensor_destroy(b);
        subq_stream_destroy(s);
        subq_context_destroy(ctx);
        struct stat st;
        if (stat(path, &st) != 0 || st.st_size < 64) check_fail(&c, "pipeline cache file", "%s missing", path);
        else c.passed++;
        if (run == 1) { /* corrupt it: the next context must ignore it and still work */
            FILE *f = fopen(path, "r+b");
            if (f) {
                fseek(f, 40, SEEK_SET);
                fputs("garbage", f);
                fclose(f);
            }
        }
    }
    remove(path);
    rmdir(dir);
}

typedef struct thread_job {
    subq_context *shared;
    int failures;
} thread_job;

/* Each thread records and waits on its own stream, in the shared context or its own. */
static int thread_main(void *arg)
{
    thread_job *job = arg;
    subq_context *own = NULL, *ctx = job->shared;
    if (!ctx && subq_context_create(NULL, &own) != SUBQ_OK) return job->failures = 1;
    if (own) ctx = own;
    subq_stream *s = NULL;
    checker local;
    checker_init(&local, ctx, NULL, 7);
    if (subq_stream_create(ctx, &s) == SUBQ_OK) {
        for (int i = 0; i < 8; i++) {
            int64_t n = 4096;
            subq_tensor *a = NULL, *b = NULL;
            subq_tensor_create(ctx, SUBQ_F32, 1, &n, &a);
            subq_tensor_create(ctx, SUBQ_F32, 1, &n, &b);
            if (subq_tensor_copy(s, a, b) != SUBQ_OK || subq_stream_wait(s) != SUBQ_OK) local.failed++;
            subq_tensor_destroy(a);
            subq_tensor_destroy(b);
        }
        subq_stream_destroy(s);
    } else {
        local.failed++;
    }
    subq_context_destroy(own);
    job->failures = local.failed;
    return 0;
}

static void test_threads(void)
{
    thrd_t threads[4];
    thread_job jobs[4] = {{c.ctx, 0}, {c.ctx, 0}, {NULL, 0}, {NULL, 0}};
    for (int i = 0; i < 4; i++) thrd_create(&threads[i], thread_main, &jobs[i]);
    int failures = 0;
    for (int i = 0; i < 4; i++) {
        thrd_join(threads[i], NULL);
        failures += jobs[i].failures;
    }
    if (failures) check_fail(&c, "threads", "%d failures across threads and contexts", failures);
    else c.passed++;
}

int main(void)
{
    subq_context *ctx = NULL;
    subq_stream *stream = NULL;
    if (subq_context_create(NULL, &ctx) != SUBQ_OK || subq_stream_create(ctx, &stream) != SUBQ_OK) {
        fprintf(stderr, "context: %s\n", subq_last_error());
        return 1;
    }
    checker_init(&c, ctx, stream, check_seed_from_env());
    c.verbose = getenv("SUBQ_VERBOSE") != NULL;
    test_devices();
    test_tensor_errors();
    test_views_and_copies();
    test_i32_copy();
    test_memory();
    test_hazard_chain();
    test_stream();
    test_profile();
    test_pipeline_statistics();
    test_pipeline_cache();
    test_threads();
    subq_stream_destroy(stream);
    uint32_t messages = subq_context_validation_message_count(ctx);
    subq_context_destroy(ctx);
    if (messages) check_fail(&c, "validation", "%u validation message(s)", messages);
    printf("runtime %d passed, %d failed\n", c.passed, c.failed);
    return c.failed ? 1 : 0;
}
