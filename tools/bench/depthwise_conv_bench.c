/* Depthwise short conv at the PERF.md shape (8, 2304, 8192), K = 3, 4, 7, both layouts. */
#include <stdio.h>

#include "bench.h"

typedef struct dw_args {
    subq_tensor *x, *w, *y;
    subq_depthwise_conv_options options;
} dw_args;

static subq_status record(void *user, subq_stream *stream)
{
    dw_args *a = user;
    return subq_depthwise_conv(stream, a->x, a->w, NULL, &a->options, a->y);
}

/* [B, L, C] storage seen as [B, C, L]. */
static subq_tensor *channels_first_view(subq_tensor *t)
{
    int64_t shape[3] = {subq_tensor_dim(t, 0), subq_tensor_dim(t, 2), subq_tensor_dim(t, 1)};
    int64_t strides[3] = {subq_tensor_stride(t, 0), 1, subq_tensor_stride(t, 1)};
    subq_tensor *v = NULL;
    subq_tensor_view(t, 0, 3, shape, strides, &v);
    return v;
}

static int run_shape(bench *b, int64_t batch, int64_t channels, int64_t len, int64_t k, bool channels_last)
{
    int64_t shape[3] = {batch, channels, len}, cl_shape[3] = {batch, len, channels}, w_shape[2] = {channels, k};
    subq_tensor *x_store = bench_random_tensor(b, 3, channels_last ? cl_shape : shape);
    subq_tensor *y_store = NULL;
    if (x_store) subq_tensor_create(b->ctx, SUBQ_F32, 3, channels_last ? cl_shape : shape, &y_store);
    dw_args a = {.w = bench_random_tensor(b, 2, w_shape), .options = {.padding = SUBQ_PADDING_CAUSAL}};
    a.x = channels_last && x_store ? channels_first_view(x_store) : x_store;
    a.y = channels_last && y_store ? channels_first_view(y_store) : y_store;
    char desc[96];
    snprintf(desc, sizeof desc, "B=%lld C=%lld L=%lld K=%lld %s", (long long)batch, (long long)channels,
             (long long)len, (long long)k, channels_last ? "channels-last" : "channels-first");
    int failed = !a.x || !a.y || !a.w ? bench_fail("depthwise_conv tensors")
                                      : bench_measure(b, "depthwise_conv", desc, record, &a,
                                                      2.0 * 4.0 * (double)(batch * channels * len), 0);
    if (channels_last) {
        subq_tensor_destroy(a.x);
        subq_tensor_destroy(a.y);
    }
    subq_tensor_destroy(x_store);
    subq_tensor_destroy(y_store);
    subq_tensor_destroy(a.w);
    return failed;
}

int bench_depthwise_conv(bench *b)
{
    bool small = b->info.type == SUBQ_DEVICE_CPU; /* lavapipe: a shape that finishes in seconds */
    int64_t batch = small ? 1 : 8, channels = small ? 256 : 2304, len = small ? 2048 : 8192;
    const int64_t kernels[] = {3, 4, 7};
    int failed = 0;
    for (int layout = 0; layout < 2 && !failed; layout++)
        for (int i = 0; i < 3 && !failed; i++) failed = run_shape(b, batch, channels, len, kernels[i], layout);
    return failed;
}
