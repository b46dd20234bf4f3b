/* Depthwise conv 1d/2d/3d against ref_depthwise_conv, over layouts, paddings, groups and ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "reference/reference.h"

typedef struct dw_case {
    int64_t batch, channels; /* channels: total C */
    int64_t groups;          /* 0: C */
    int ndim;
    int64_t size[3], kernel[3];
    subq_padding padding;
    int32_t pad[3];
    int cp_size, cp_rank;
    int bias;
    int channels_last;
} dw_case;

static int64_t prod(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

static void describe(const dw_case *k, char *buf, size_t size)
{
    static const char *pads[] = {"same", "causal", "explicit"};
    snprintf(buf, size, "depthwise_conv %dd B=%lld C=%lld G=%lld S=%lldx%lldx%lld K=%lldx%lldx%lld %s%s cp=%d/%d%s",
             k->ndim, (long long)k->batch, (long long)k->channels, (long long)k->groups,
             (long long)k->size[0], (long long)k->size[1], (long long)k->size[2], (long long)k->kernel[0],
             (long long)k->kernel[1], (long long)k->kernel[2], pads[k->padding], k->bias ? " bias" : "",
             k->cp_rank, k->cp_size, k->channels_last ? " channels-last" : "");
}

/* Channels-last storage [B, *S, C] seen through a [B, C, *S] view, as PyTorch's permute gives. */
static subq_tensor *as_channels_first(checker *c, const char *label, subq_tensor *dense, int ndim)
{
    int rank = ndim + 2;
    int64_t shape[5], strides[5];
    int64_t channels = subq_tensor_dim(dense, rank - 1);
    shape[0] = subq_tensor_dim(dense, 0);
    strides[0] = subq_tensor_stride(dense, 0);
    shape[1] = channels;
    strides[1] = 1;
    for (int a = 0; a < ndim; a++) {
        shape[2 + a] = subq_tensor_dim(dense, 1 + a);
        strides[2 + a] = subq_tensor_stride(dense, 1 + a);
    }
    subq_tensor *view = NULL;
    check_ok(c, label, subq_tensor_view(dense, 0, rank, shape, strides, &view));
    return view;
}

/* [B, C, *S] -> [B, *S, C] */
static void to_channels_last(const double *src, double *dst, int64_t batch, int64_t channels, int64_t spatial)
{
    for (int64_t b = 0; b < batch; b++)
        for (int64_t ch = 0; ch < channels; ch++)
            for (int64_t s = 0; s < spatial; s++)
                dst[(b * spatial + s) * channels + ch] = src[(b * channels + ch) * spatial + s];
}

static void run_case(checker *c, dw_case k)
{
    if (!k.groups) k.groups = k.channels;
    if (!k.cp_size) k.cp_size = 1;
    char label[256];
    describe(&k, label, sizeof label);
    ref_dwconv_shape shape = {.batch = k.batch, .channels_local = k.channels / k.cp_size, .cp_size = k.cp_size,
                              .cp_rank = k.cp_rank, .groups = k.groups, .ndim = k.ndim,
                              .padding = (ref_dwconv_padding)k.padding};
    int64_t out[3], x_shape[5] = {k.batch, shape.channels_local}, y_shape[5] = {k.batch, shape.channels_local};
    int64_t w_shape[4] = {k.groups};
    for (int a = 0; a < k.ndim; a++) {
        shape.size[a] = k.size[a];
        shape.kernel[a] = k.kernel[a];
        shape.pad[a] = k.pad[a];
        out[a] = ref_dwconv_out_size(&shape, a);
        x_shape[2 + a] = k.size[a];
        y_shape[2 + a] = out[a];
        w_shape[1 + a] = k.kernel[a];
    }
    int rank = k.ndim + 2;
    size_t nx = (size_t)prod(x_shape, rank), ny = (size_t)prod(y_shape, rank);
    size_t nw = (size_t)prod(w_shape, k.ndim + 1);
    double *x = check_alloc(nx), *w = check_alloc(nw), *bias = check_alloc((size_t)k.groups);
    double *ref = check_alloc(ny);
    check_random(c, x, nx);
    check_random(c, w, nw);
    check_random(c, bias, (size_t)k.groups);
    ref_depthwise_conv(&shape, x, w, k.bias ? bias : NULL, ref);

    subq_tensor *tx = NULL, *tx_storage = NULL;
    if (k.channels_last) {
        double *xl = check_alloc(nx);
        to_channels_last(x, xl, k.batch, shape.channels_local, prod(k.size, k.ndim));
        int64_t cl_shape[5] = {k.batch};
        for (int a = 0; a < k.ndim; a++) cl_shape[1 + a] = k.size[a];
        cl_shape[rank - 1] = shape.channels_local;
        tx_storage = check_upload(c, label, rank, cl_shape, xl);
        if (tx_storage) tx = as_channels_first(c, label, tx_storage, k.ndim);
        free(xl);
    } else {
        tx = check_upload(c, label, rank, x_shape, x);
    }
    subq_tensor *tw = check_upload(c, label, k.ndim + 1, w_shape, w);
    subq_tensor *tb = k.bias ? check_upload(c, label, 1, &k.groups, bias) : NULL;
    subq_tensor *ty = check_poisoned(c, label, rank, y_shape);
    subq_depthwise_conv_options options = {.padding = k.padding, .cp_rank = k.cp_rank, .cp_size = k.cp_size};
    memcpy(options.explicit_padding, k.pad, sizeof k.pad);
    if (tx && tw && ty && (tb || !k.bias) &&
        check_ok(c, label, subq_depthwise_conv(c->stream, tx, tw, tb, &options, ty)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_close(c, label, ty, ref, ny, 1e-5);
    subq_tensor_destroy(tx);
    subq_tensor_destroy(tx_storage);
    subq_tensor_destroy(tw);
    subq_tensor_destroy(tb);
    subq_tensor_destroy(ty);
    free(x);
    free(w);
    free(bias);
    free(ref);
}

static void grid_1d(checker *c)
{
    const int64_t lengths[] = {1, 2, 17, 1031};
    const int64_t kernels[] = {1, 2, 3, 4, 7};
    for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++)
        for (size_t ki = 0; ki < sizeof kernels / sizeof *kernels; ki++)
            for (int padding = 0; padding < 3; padding++) {
                int64_t l = lengths[li], kk = kernels[ki];
                int32_t p = (int32_t)(kk / 2);
                if (padding == SUBQ_PADDING_EXPLICIT && l + 2 * p - kk + 1 < 1) continue;
                dw_case k = {.batch = 1 + (int64_t)(ki % 3), .channels = 6, .groups = (int64_t[]){1, 6, 3}[li % 3],
                             .ndim = 1, .size = {l}, .kernel = {kk}, .padding = padding, .pad = {p},
                             .bias = (int)((li + ki) % 2), .channels_last = padding == 0 && ki % 2};
                run_case(c, k);
            }
}

static void grid_cp(checker *c)
{
    for (int rank = 0; rank < 4; rank++)
        run_case(c, (dw_case){.batch = 2, .channels = 24, .groups = 6, .ndim = 1, .size = {37}, .kernel = {4},
                              .padding = SUBQ_PADDING_CAUSAL, .cp_size = 4, .cp_rank = rank, .bias = 1});
    run_case(c, (dw_case){.batch = 1, .channels = 12, .groups = 4, .ndim = 2, .size = {9, 5}, .kernel = {3, 3},
                          .cp_size = 2, .cp_rank = 1, .bias = 1});
}

/* Channels-last in, channels-first out (Hyena's short conv): several channel and position tiles,
 * ragged ones. */
static void grid_transpose(checker *c)
{
    int64_t channels[] = {300, 513}, lengths[] = {37, 70};
    for (int i = 0; i < 2; i++)
        run_case(c, (dw_case){.batch = 2, .channels = channels[i], .groups = channels[i], .ndim = 1,
                              .size = {lengths[i]}, .kernel = {3 + i}, .padding = SUBQ_PADDING_CAUSAL,
                              .channels_last = 1, .bias = 1});
    run_case(c, (dw_case){.batch = 2, .channels = 45, .groups = 45, .ndim = 2, .size = {9, 7}, .kernel = {3, 3},
                          .channels_last = 1, .bias = 1});
    run_case(c, (dw_case){.batch = 1, .channels = 33, .groups = 11, .ndim = 3, .size = {3, 5, 4},
                          .kernel = {3, 1, 3}, .channels_last = 1});
    run_case(c, (dw_case){.batch = 1, .channels = 40, .groups = 40, .ndim = 2, .size = {10, 6}, .kernel = {9, 2},
                          .padding = SUBQ_PADDING_EXPLICIT, .pad = {4, 1}, .channels_last = 1, .bias = 1});
}

static void grid_nd(checker *c)
{
    run_case(c, (dw_case){.batch = 2, .channels = 5, .ndim = 2, .size = {5, 7}, .kernel = {3, 3}, .bias = 1});
    run_case(c, (dw_case){.batch = 1, .channels = 8, .groups = 2, .ndim = 2, .size = {16, 16}, .kernel = {2, 4}});
    run_case(c, (dw_case){.batch = 3, .channels = 4, .ndim = 2, .size = {1, 13}, .kernel = {1, 5},
                          .channels_last = 1, .bias = 1});
    run_case(c, (dw_case){.batch = 1, .channels = 6, .ndim = 2, .size = {11, 6}, .kernel = {3, 2},
                          .padding = SUBQ_PADDING_EXPLICIT, .pad = {1, 1}});
    run_case(c, (dw_case){.batch = 2, .channels = 3, .ndim = 3, .size = {3, 4, 5}, .kernel = {3, 3, 3}, .bias = 1});
    run_case(c, (dw_case){.batch = 1, .channels = 4, .groups = 2, .ndim = 3, .size = {4, 4, 4}, .kernel = {2, 2, 2},
                          .channels_last = 1});
    run_case(c, (dw_case){.batch = 1, .channels = 2, .ndim = 3, .size = {5, 3, 7}, .kernel = {3, 1, 3},
                          .padding = SUBQ_PADDING_EXPLICIT, .pad = {0, 1, 2}});
}

/* The largest input one binding allows: x spans exactly maxStorageBufferRange bytes. */
static void grid_largest(checker *c)
{
    int64_t elements = check_largest_binding(c);
    if (!elements) return;
    run_case(c, (dw_case){.batch = 1, .channels = 2, .groups = 1, .ndim = 1, .size = {elements / 2},
                          .kernel = {4}, .padding = SUBQ_PADDING_CAUSAL, .bias = 1});
}


typedef struct error_fixture {
    subq_tensor *x, *w, *w3, *bias3, *y, *x2d, *w2d, *y2d, *xi;
} error_fixture;

static void errors_shapes(checker *c, error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_depthwise_conv_options causal = {.padding = SUBQ_PADDING_CAUSAL};
    check_invalid(c, "NULL stream", subq_depthwise_conv(NULL, f->x, f->w, NULL, NULL, f->y), "stream");
    check_invalid(c, "NULL x", subq_depthwise_conv(s, NULL, f->w, NULL, NULL, f->y), "x");
    check_invalid(c, "NULL weight", subq_depthwise_conv(s, f->x, NULL, NULL, NULL, f->y), "weight");
    check_invalid(c, "NULL y", subq_depthwise_conv(s, f->x, f->w, NULL, NULL, NULL), "y");
    check_invalid(c, "x rank 2", subq_depthwise_conv(s, f->w, f->w, NULL, NULL, f->y), "x: expected rank 3..5");
    check_invalid(c, "weight rank", subq_depthwise_conv(s, f->x, f->w2d, NULL, NULL, f->y), "weight: expected rank 2");
    check_invalid(c, "G does not divide C", subq_depthwise_conv(s, f->x, f->w3, NULL, NULL, f->y),
           "weight: its 3 groups do not divide the 4 channels");
    check_invalid(c, "bias shape", subq_depthwise_conv(s, f->x, f->w, f->bias3, NULL, f->y), "bias: expected shape [2]");
    check_invalid(c, "y rank", subq_depthwise_conv(s, f->x, f->w, NULL, NULL, f->x2d), "y: expected rank 3");
    subq_depthwise_conv_options valid = {.padding = SUBQ_PADDING_EXPLICIT};
    check_invalid(c, "y shape", subq_depthwise_conv(s, f->x, f->w, NULL, &valid, f->y), "y: expected shape [2, 4, 7]");
    check_invalid(c, "causal 2d", subq_depthwise_conv(s, f->x2d, f->w2d, NULL, &causal, f->y2d), "causal");
    check_invalid(c, "y aliases x", subq_depthwise_conv(s, f->x, f->w, NULL, NULL, f->x), "y: shares memory with x");
    check_error(c, "x dtype i32", subq_depthwise_conv(s, f->xi, f->w, NULL, NULL, f->y),
                SUBQ_ERROR_INVALID_ARGUMENT, "x: expected dtype f32");
}

static void errors_options(checker *c, error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_depthwise_conv_options o = {.cp_size = 2, .cp_rank = 2};
    check_invalid(c, "cp_rank out of range", subq_depthwise_conv(s, f->x, f->w, NULL, &o, f->y), "cp_rank");
    o = (subq_depthwise_conv_options){.channels = 12, .cp_size = 2};
    check_invalid(c, "channel mismatch under CP", subq_depthwise_conv(s, f->x, f->w, NULL, &o, f->y), "x: expected 6 channels");
    o = (subq_depthwise_conv_options){.channels = 7, .cp_size = 2};
    check_invalid(c, "C not divisible by P", subq_depthwise_conv(s, f->x, f->w, NULL, &o, f->y), "options.channels");
    o = (subq_depthwise_conv_options){.padding = SUBQ_PADDING_EXPLICIT, .explicit_padding = {-1}};
    check_invalid(c, "negative padding", subq_depthwise_conv(s, f->x, f->w, NULL, &o, f->y), "explicit_padding");
    o = (subq_depthwise_conv_options){.padding = (subq_padding)9};
    check_invalid(c, "unknown padding", subq_depthwise_conv(s, f->x, f->w, NULL, &o, f->y), "options.padding");
}

static void errors_other_context(checker *c, error_fixture *f)
{
    subq_context *other = NULL;
    subq_tensor *foreign = NULL;
    int64_t shape[3] = {2, 4, 9};
    if (!check_ok(c, "second context", subq_context_create(NULL, &other))) return;
    if (check_ok(c, "foreign tensor", subq_tensor_create(other, SUBQ_F32, 3, shape, &foreign)))
        check_invalid(c, "x from another context", subq_depthwise_conv(c->stream, foreign, f->w, NULL, NULL, f->y),
               "another context");
    subq_tensor_destroy(foreign);
    subq_context_destroy(other);
}

/* Each bad input is refused with a message naming the argument; nothing is recorded. */
static void check_errors(checker *c)
{
    error_fixture f = {
        .x = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 4, 9}), .w = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){2, 3}),
        .w3 = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){3, 3}), .bias3 = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){3}), .y = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 4, 9}),
        .x2d = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 4, 5, 5}), .w2d = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){4, 3, 3}),
        .y2d = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 4, 5, 5}), .xi = check_tensor_empty(c, SUBQ_I32, 3, (int64_t[]){2, 4, 9}),
    };
    if (f.x && f.w && f.w3 && f.bias3 && f.y && f.x2d && f.w2d && f.y2d && f.xi) {
        errors_shapes(c, &f);
        errors_options(c, &f);
        errors_other_context(c, &f);
    }
    subq_tensor *all[] = {f.x, f.w, f.w3, f.bias3, f.y, f.x2d, f.w2d, f.y2d, f.xi};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
}

void check_depthwise_conv(checker *c)
{
    grid_1d(c);
    grid_cp(c);
    grid_transpose(c);
    grid_nd(c);
    grid_largest(c);
    check_errors(c);
}
