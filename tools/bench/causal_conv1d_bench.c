/* The causal conv1d family at the shapes: varlen (T = 65536, D = 4096, W = 4, 64 requests,
 * bias, initial states, SiLU) and causal_conv1d channels-first (8, 2304, 8192), W = 4, SiLU. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

typedef struct varlen_args {
    subq_tensor *x, *w, *bias, *cu, *init, *out;
    subq_causal_conv1d_varlen_options options;
} varlen_args;

static subq_status record_varlen(void *user, subq_stream *stream)
{
    varlen_args *a = user;
    return subq_causal_conv1d_varlen(stream, a->x, a->w, a->bias, a->cu, a->init, NULL, NULL, &a->options, a->out);
}

typedef struct conv_args {
    subq_tensor *x, *w, *bias, *out;
    subq_causal_conv1d_options options;
} conv_args;

static subq_status record_conv(void *user, subq_stream *stream)
{
    conv_args *a = user;
    return subq_causal_conv1d(stream, a->x, a->w, a->bias, NULL, NULL, &a->options, a->out, NULL);
}

static int bench_varlen(bench *b, int64_t tokens, int64_t dim, int64_t width, int64_t requests)
{
    int32_t *cu = malloc((size_t)(requests + 1) * sizeof *cu);
    for (int64_t r = 0; r <= requests; r++) cu[r] = (int32_t)(tokens * r / requests);
    int64_t x_shape[2] = {tokens, dim}, w_shape[2] = {dim, width}, init_shape[3] = {requests, dim, width - 1};
    int64_t cu_len = requests + 1;
    varlen_args a = {.x = bench_random_tensor(b, 2, x_shape), .w = bench_random_tensor(b, 2, w_shape),
                     .bias = bench_random_tensor(b, 1, &dim), .init = bench_random_tensor(b, 3, init_shape),
                     .options = {.host_cu_seqlens = cu}};
    int failed = !a.x || !a.w || !a.bias || !a.init ||
                 subq_tensor_create(b->ctx, SUBQ_I32, 1, &cu_len, &a.cu) != SUBQ_OK ||
                 subq_tensor_upload(a.cu, cu, (size_t)cu_len * sizeof *cu) != SUBQ_OK ||
                 subq_tensor_create(b->ctx, SUBQ_F32, 2, x_shape, &a.out) != SUBQ_OK;
    char desc[96];
    snprintf(desc, sizeof desc, "T=%lld D=%lld W=%lld R=%lld", (long long)tokens, (long long)dim, (long long)width,
             (long long)requests);
    failed = failed ? bench_fail("causal_conv1d_varlen tensors")
                    : bench_measure(b, "causal_conv1d_varlen", desc, record_varlen, &a,
                                    2.0 * 4.0 * (double)(tokens * dim), 0);
    subq_tensor *all[] = {a.x, a.w, a.bias, a.cu, a.init, a.out};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    free(cu);
    return failed;
}

static int bench_channels_first(bench *b, int64_t batch, int64_t dim, int64_t len, int64_t width)
{
    int64_t x_shape[3] = {batch, dim, len}, w_shape[2] = {dim, width};
    conv_args a = {.x = bench_random_tensor(b, 3, x_shape), .w = bench_random_tensor(b, 2, w_shape),
                   .bias = bench_random_tensor(b, 1, &dim), .options = {.activation = SUBQ_ACTIVATION_SILU}};
    int failed = !a.x || !a.w || !a.bias || subq_tensor_create(b->ctx, SUBQ_F32, 3, x_shape, &a.out) != SUBQ_OK;
    char desc[96];
    snprintf(desc, sizeof desc, "B=%lld D=%lld L=%lld W=%lld channels-first", (long long)batch, (long long)dim,
             (long long)len, (long long)width);
    failed = failed ? bench_fail("causal_conv1d tensors")
                    : bench_measure(b, "causal_conv1d", desc, record_conv, &a, 2.0 * 4.0 * (double)(batch * dim * len),
                                    0);
    subq_tensor *all[] = {a.x, a.w, a.bias, a.out};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    return failed;
}

int bench_causal_conv1d(bench *b)
{
    bool small = b->info.type == SUBQ_DEVICE_CPU; /* lavapipe: shapes that finish in seconds */
    return bench_varlen(b, small ? 4096 : 65536, small ? 256 : 4096, 4, 64) ||
           bench_channels_first(b, small ? 1 : 8, small ? 256 : 2304, small ? 2048 : 8192, 4);
}
