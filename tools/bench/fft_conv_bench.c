/* FFT convolution at PERF.md's shapes: causal 1D (Hyena, kernel as long as the input) plain and
 * gated (y = post * (conv(pre * x) + shortcut * pre * x)), and 1D and 2D with zero padding (CKConv,
 * kernel 2N - 1 per axis). The kernel spectrum is made once, as at inference; the timed call is
 * subq_fft_conv. Traffic counted: x read and y written per element, pre and post too when gated;
 * the f16 shapes (FlashFFTConv's: B = 64, C = 768, L = 1K/4K/8K; its paper's H100 times 0.29 /
 * 1.43 / 3.58 ms) keep x, y, pre, post and D in f16, the kernel's spectrum in fp32.
 * Before the timings of a shape, the first call's cost in a fresh context: with an empty cache
 * directory (plans compiled) and again with the directory that run left (plans loaded). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

typedef struct fft_shape {
    int64_t batch, channels;
    int axes;
    int64_t size[2];
    bool causal;
    subq_dtype dtype; /* of x, y and the gates */
} fft_shape;

typedef struct conv_args {
    subq_tensor *x, *y, *kernel_weights, *pre, *post, *shortcut;
    subq_fft_kernel *kernel;
} conv_args;

static int64_t points(const fft_shape *s)
{
    return s->axes == 1 ? s->size[0] : s->size[0] * s->size[1];
}

static void describe(const fft_shape *s, bool gated, char *buf, size_t size)
{
    if (s->causal)
        snprintf(buf, size, "B=%lld C=%lld L=%lld causal%s%s", (long long)s->batch, (long long)s->channels,
                 (long long)s->size[0], gated ? " gated" : "", s->dtype == SUBQ_F16 ? " f16" : "");
    else if (s->axes == 1)
        snprintf(buf, size, "B=%lld C=%lld N=%lld K=%lld zero", (long long)s->batch, (long long)s->channels,
                 (long long)s->size[0], (long long)(2 * s->size[0] - 1));
    else
        snprintf(buf, size, "B=%lld C=%lld N=%lldx%lld K=%lldx%lld zero", (long long)s->batch,
                 (long long)s->channels, (long long)s->size[0], (long long)s->size[1],
                 (long long)(2 * s->size[0] - 1), (long long)(2 * s->size[1] - 1));
}

static void shapes_of(const fft_shape *s, int64_t x_shape[4], int64_t k_shape[4])
{
    x_shape[0] = s->batch, x_shape[1] = s->channels;
    k_shape[0] = 1, k_shape[1] = s->channels;
    for (int a = 0; a < s->axes; a++) {
        x_shape[2 + a] = s->size[a];
        k_shape[2 + a] = s->causal ? s->size[a] : 2 * s->size[a] - 1;
    }
}

static subq_status make_kernel(subq_stream *stream, const fft_shape *s, conv_args *a)
{
    subq_fft_conv_options options = {.causal = s->causal};
    return subq_fft_kernel_create(stream, a->kernel_weights, s->axes, s->size, &options, &a->kernel);
}

static subq_status record_conv(void *user, subq_stream *stream)
{
    conv_args *a = user;
    subq_fft_conv_extras extras = {.pre = a->pre, .post = a->post, .shortcut = a->shortcut};
    return subq_fft_conv(stream, a->x, a->kernel, &extras, a->y);
}

static void release(conv_args *a)
{
    subq_fft_kernel_destroy(a->kernel);
    subq_tensor *all[] = {a->x, a->y, a->kernel_weights, a->pre, a->post, a->shortcut};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    memset(a, 0, sizeof *a);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Host seconds of the first kernel_create + fft_conv in a fresh context caching into dir: what
 * recording them costs, plan creation included (the GPU work is waited for untimed). */
static subq_status first_call_seconds(const fft_shape *s, const char *dir, double *seconds)
{
    subq_context_options options = {.cache_dir = dir};
    subq_context *ctx = NULL;
    subq_stream *stream = NULL;
    conv_args a = {0};
    int64_t x_shape[4], k_shape[4];
    shapes_of(s, x_shape, k_shape);
    subq_status status = subq_context_create(&options, &ctx);
    if (status == SUBQ_OK) status = subq_stream_create(ctx, &stream);
    if (status == SUBQ_OK) status = subq_tensor_create(ctx, s->dtype, s->axes + 2, x_shape, &a.x);
    if (status == SUBQ_OK) status = subq_tensor_create(ctx, s->dtype, s->axes + 2, x_shape, &a.y);
    if (status == SUBQ_OK) status = subq_tensor_create(ctx, SUBQ_F32, s->axes + 2, k_shape, &a.kernel_weights);
    double start = seconds_now();
    if (status == SUBQ_OK) status = make_kernel(stream, s, &a);
    if (status == SUBQ_OK) status = record_conv(&a, stream);
    *seconds = seconds_now() - start;
    if (status == SUBQ_OK) status = subq_stream_wait(stream);
    release(&a);
    subq_stream_destroy(stream);
    subq_context_destroy(ctx);
    return status;
}

static void remove_dir(const char *dir)
{
    char path[512];
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && snprintf(path, sizeof path, "%s/%s", dir, e->d_name) > 0) remove(path);
    if (d) closedir(d);
    rmdir(dir);
}

static int report_plans(const bench *b, const fft_shape *s)
{
    char dir[] = "/tmp/subq-bench-plans-XXXXXX", desc[96];
    double cold = 0, cached = 0;
    if (!mkdtemp(dir)) return bench_fail("a temporary cache directory");
    subq_status status = first_call_seconds(s, dir, &cold);
    if (status == SUBQ_OK) status = first_call_seconds(s, dir, &cached);
    remove_dir(dir);
    if (status != SUBQ_OK) return bench_fail("fft_conv plan creation");
    describe(s, false, desc, sizeof desc);
    if (b->json)
        printf("{\"op\": \"fft_conv_plans\", \"shape\": \"%s\", \"cold_s\": %.4f, \"cached_s\": %.4f, "
               "\"device\": \"%s\"}\n", desc, cold, cached, b->info.name);
    else
        printf("%-22s %-34s first call %.3f s with plans compiled, %.3f s with plans from disk\n",
               "fft_conv plans", desc, cold, cached);
    fflush(stdout);
    return 0;
}

/* Inputs in the bench's context and the kernel's spectrum, made and waited for. */
static int prepare(bench *b, const fft_shape *s, conv_args *a)
{
    int64_t x_shape[4], k_shape[4];
    shapes_of(s, x_shape, k_shape);
    int rank = s->axes + 2;
    a->x = bench_random_tensor_as(b, s->dtype, rank, x_shape);
    a->kernel_weights = bench_random_tensor(b, rank, k_shape);
    if (!a->x || !a->kernel_weights) return 1;
    if (subq_tensor_create(b->ctx, s->dtype, rank, x_shape, &a->y) != SUBQ_OK) return bench_fail("fft_conv output");
    if (make_kernel(b->stream, s, a) != SUBQ_OK || subq_stream_wait(b->stream) != SUBQ_OK)
        return bench_fail("fft_conv kernel spectrum");
    return 0;
}

static int time_conv(bench *b, const fft_shape *s, conv_args *a, bool gated)
{
    char desc[96];
    describe(s, gated, desc, sizeof desc);
    double tensors = gated ? 4.0 : 2.0;
    return bench_measure(b, "fft_conv", desc, record_conv, a,
                         tensors * (double)subq_dtype_size(s->dtype) * (double)(s->batch * s->channels * points(s)), 0);
}

static int bench_shape(bench *b, const fft_shape *s)
{
    conv_args a = {0};
    int64_t x_shape[4], k_shape[4];
    shapes_of(s, x_shape, k_shape);
    int failed = report_plans(b, s) || prepare(b, s, &a) || time_conv(b, s, &a, false);
    if (!failed && s->causal) {
        a.pre = bench_random_tensor_as(b, s->dtype, s->axes + 2, x_shape);
        a.post = bench_random_tensor_as(b, s->dtype, s->axes + 2, x_shape);
        a.shortcut = bench_random_tensor_as(b, s->dtype, 1, &s->channels);
        failed = !a.pre || !a.post || !a.shortcut || time_conv(b, s, &a, true);
    }
    release(&a);
    return failed;
}

int bench_fft_conv(bench *b)
{
    static const fft_shape gpu[] = {
        {16, 768, 1, {1024}, true}, {8, 768, 1, {8192}, true}, {4, 1024, 1, {16384}, true},
        {1, 64, 1, {1 << 20}, true}, {8, 768, 1, {8192}, false}, {8, 256, 2, {64, 64}, false},
        {2, 128, 2, {256, 256}, false},
        {64, 768, 1, {1024}, true, SUBQ_F16}, {64, 768, 1, {4096}, true, SUBQ_F16},
        {64, 768, 1, {8192}, true, SUBQ_F16},
    };
    /* lavapipe: the same kinds of shapes, small enough to finish in seconds */
    static const fft_shape cpu[] = {
        {2, 64, 1, {1024}, true}, {1, 16, 1, {8192}, true}, {1, 2, 1, {1 << 20}, true},
        {1, 16, 1, {8192}, false}, {1, 16, 2, {64, 64}, false}, {2, 16, 1, {1024}, true, SUBQ_F16},
    };
    bool small = b->info.type == SUBQ_DEVICE_CPU;
    const fft_shape *shapes = small ? cpu : gpu;
    size_t count = small ? sizeof cpu / sizeof *cpu : sizeof gpu / sizeof *gpu;
    int failed = 0;
    for (size_t i = 0; i < count && !failed; i++) failed = bench_shape(b, &shapes[i]);
    return failed;
}
