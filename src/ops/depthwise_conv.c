/* Depthwise convolution 1d/2d/3d: DistributedDepthwiseConvNd and PyTorch's depthwise ConvNd.
 * Shaders: depthwise_conv1d.comp (one spatial axis, K up to MAX_SPECIALISED_K: the common short
 * conv, tuned for bandwidth) and depthwise_conv.comp (everything else). */
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256
#define MAX_SPECIALISED_K 64
#define CONV1D_PER_THREAD 4 /* outputs per invocation, time-major rows */
#define CONV1D_STEPS 16     /* outputs per invocation, channel-major rows */
#define TRANSPOSE_TILE 32   /* channels and positions of a workgroup of depthwise_conv.comp's TRANSPOSE */
#define MAX_FIXED_K 7       /* per axis: TRANSPOSE specialises kernels up to this size */

enum { CONV1D_CHANNELS_INNER, CONV1D_TIME_INNER, CONV1D_TRANSPOSE }; /* the shader's MODE */

typedef struct depthwise_push {
    uint32_t x_first, w_first, bias_first, y_first;
    uint32_t out_size[5];
    uint32_t in_size[3];
    uint32_t x_stride[5];
    uint32_t y_stride[5];
    uint32_t kernel_size[3];
    int32_t pad[3];
    uint32_t group_dim;
    uint32_t channel_base;
    uint32_t flags;
} depthwise_push;

enum { HAS_BIAS = 1, CHANNELS_INNER = 2 };

typedef struct conv_geometry {
    int spatial;
    int64_t channels, groups, channel_base;
    int64_t kernel[3], left_pad[3], out[3];
} conv_geometry;

static subq_status check_channels(const subq_tensor *x, const subq_tensor *weight,
                                  const subq_depthwise_conv_options *o, conv_geometry *g)
{
    int64_t cp_size = o->cp_size > 1 ? o->cp_size : 1;
    if (o->cp_size < 0 || o->cp_rank < 0 || o->cp_rank >= cp_size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.cp_rank: expected 0..%lld for cp_size %d, "
                                                      "got %d", (long long)cp_size - 1, o->cp_size, o->cp_rank);
    int64_t local = x->shape[1];
    g->channels = o->channels ? o->channels : local * cp_size;
    if (g->channels < 1 || g->channels % cp_size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.channels: %lld is not divisible by cp_size %lld",
                         (long long)g->channels, (long long)cp_size);
    if (local != g->channels / cp_size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: expected %lld channels (C/P = %lld/%lld) on this "
                                                      "rank, got %lld", (long long)(g->channels / cp_size),
                         (long long)g->channels, (long long)cp_size, (long long)local);
    g->groups = weight->shape[0];
    if (g->channels % g->groups)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "weight: its %lld groups do not divide the %lld channels",
                         (long long)g->groups, (long long)g->channels);
    g->channel_base = o->cp_rank * local;
    return SUBQ_OK;
}

static subq_status check_padding(const subq_tensor *x, const subq_depthwise_conv_options *o, conv_geometry *g)
{
    if (o->padding == SUBQ_PADDING_CAUSAL && g->spatial != 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.padding: causal padding is 1d only; x has "
                                                      "%d spatial axes", g->spatial);
    if (o->padding != SUBQ_PADDING_SAME && o->padding != SUBQ_PADDING_CAUSAL &&
        o->padding != SUBQ_PADDING_EXPLICIT)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.padding: %d is not a subq_padding", o->padding);
    for (int a = 0; a < g->spatial; a++) {
        int64_t n = x->shape[2 + a], k = g->kernel[a];
        if (o->padding == SUBQ_PADDING_EXPLICIT) {
            int64_t p = o->explicit_padding[a];
            g->left_pad[a] = p;
            g->out[a] = n + 2 * p - k + 1;
            if (p < 0 || g->out[a] < 1)
                return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.explicit_padding[%d]: %lld with kernel %lld "
                                                              "and input %lld leaves no output", a,
                                 (long long)p, (long long)k, (long long)n);
        } else {
            g->left_pad[a] = o->padding == SUBQ_PADDING_CAUSAL ? k - 1 : (k - 1) / 2;
            g->out[a] = n;
        }
    }
    return SUBQ_OK;
}

static subq_status check_args(const subq_stream *s, const subq_tensor *x, const subq_tensor *weight,
                              const subq_tensor *bias, const subq_depthwise_conv_options *o,
                              const subq_tensor *y, conv_geometry *g)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_float_tensor("x", x, s, 3, 5));
    g->spatial = x->rank - 2;
    SUBQ_TRY(subq_arg_float_tensor("weight", weight, s, g->spatial + 1, g->spatial + 1));
    SUBQ_TRY(subq_arg_dense("weight", weight));
    for (int a = 0; a < g->spatial; a++) g->kernel[a] = weight->shape[1 + a];
    SUBQ_TRY(check_channels(x, weight, o, g));
    if (bias) {
        SUBQ_TRY(subq_arg_float_tensor("bias", bias, s, 1, 1));
        SUBQ_TRY(subq_arg_shape("bias", bias, 1, &g->groups));
        SUBQ_TRY(subq_arg_dense("bias", bias));
    }
    SUBQ_TRY(check_padding(x, o, g));
    int64_t y_shape[5] = {x->shape[0], x->shape[1], g->out[0], g->out[1], g->out[2]};
    SUBQ_TRY(subq_arg_float_tensor("y", y, s, x->rank, x->rank));
    SUBQ_TRY(subq_arg_shape("y", y, x->rank, y_shape));
    SUBQ_TRY(subq_arg_output("y", y));
    SUBQ_TRY(subq_arg_disjoint("y", y, "x", x));
    SUBQ_TRY(subq_arg_disjoint("y", y, "weight", weight));
    return subq_arg_disjoint("y", y, "bias", bias);
}

/* Spatial axes go to the last of the shader's three (D, H, W); missing axes are size 1. */
static depthwise_push make_push(const subq_tensor *x, const subq_tensor *weight, const subq_tensor *bias,
                                const subq_tensor *y, const conv_geometry *g)
{
    depthwise_push p = {
        .x_first = subq_tensor_binding(x).first_element,
        .w_first = subq_tensor_binding(weight).first_element,
        .bias_first = bias ? subq_tensor_binding(bias).first_element : 0,
        .y_first = subq_tensor_binding(y).first_element,
        .out_size = {(uint32_t)y->shape[0], (uint32_t)y->shape[1], 1, 1, 1},
        .in_size = {1, 1, 1},
        .x_stride = {(uint32_t)x->strides[0], (uint32_t)x->strides[1], 0, 0, 0},
        .y_stride = {(uint32_t)y->strides[0], (uint32_t)y->strides[1], 0, 0, 0},
        .kernel_size = {1, 1, 1},
        .group_dim = (uint32_t)(g->channels / g->groups),
        .channel_base = (uint32_t)g->channel_base,
        .flags = bias ? HAS_BIAS : 0,
    };
    for (int a = 0; a < g->spatial; a++) {
        int axis = 3 - g->spatial + a;
        p.out_size[2 + axis] = (uint32_t)g->out[a];
        p.in_size[axis] = (uint32_t)x->shape[2 + a];
        p.x_stride[2 + axis] = (uint32_t)x->strides[2 + a];
        p.y_stride[2 + axis] = (uint32_t)y->strides[2 + a];
        p.kernel_size[axis] = (uint32_t)g->kernel[a];
        p.pad[axis] = (int32_t)g->left_pad[a];
    }
    if (y->strides[1] == 1 && y->shape[1] > 1) p.flags |= CHANNELS_INNER;
    return p;
}

typedef struct conv1d_push {
    uint32_t x_first, w_first, bias_first, y_first;
    uint32_t batch, channels, len_in, len_out;
    uint32_t x_stride[3];
    uint32_t y_stride[3];
    uint32_t pad, group_dim, channel_base, has_bias;
} conv1d_push;

static subq_status record_1d(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                             const subq_tensor *bias, subq_tensor *y, const conv_geometry *g)
{
    conv1d_push push = {
        .x_first = subq_tensor_binding(x).first_element,
        .w_first = subq_tensor_binding(weight).first_element,
        .bias_first = bias ? subq_tensor_binding(bias).first_element : 0,
        .y_first = subq_tensor_binding(y).first_element,
        .batch = (uint32_t)x->shape[0], .channels = (uint32_t)x->shape[1],
        .len_in = (uint32_t)x->shape[2], .len_out = (uint32_t)g->out[0],
        .x_stride = {(uint32_t)x->strides[0], (uint32_t)x->strides[1], (uint32_t)x->strides[2]},
        .y_stride = {(uint32_t)y->strides[0], (uint32_t)y->strides[1], (uint32_t)y->strides[2]},
        .pad = (uint32_t)g->left_pad[0],
        .group_dim = (uint32_t)(g->channels / g->groups),
        .channel_base = (uint32_t)g->channel_base,
        .has_bias = bias != NULL,
    };
    /* Time-major rows stage in shared memory; channel-major rows slide a window per channel, and
     * turn time-major through shared memory when y is. */
    bool time_inner = x->strides[2] <= x->strides[1] || x->shape[1] == 1;
    bool transpose = !time_inner && y->strides[2] == 1 && y->shape[2] > 1;
    uint32_t mode = time_inner ? CONV1D_TIME_INNER : transpose ? CONV1D_TRANSPOSE : CONV1D_CHANNELS_INNER;
    uint64_t workgroups;
    if (time_inner) {
        uint64_t tile = WORKGROUP * CONV1D_PER_THREAD;
        workgroups = (push.len_out + tile - 1) / tile * push.batch * push.channels;
    } else {
        workgroups = (uint64_t)(push.channels + WORKGROUP - 1) / WORKGROUP *
                     ((push.len_out + CONV1D_STEPS - 1) / CONV1D_STEPS) * push.batch;
    }
    const subq_tensor *tensors[4] = {x, weight, bias, y};
    subq_kernel kernel = {
        .shader = subq_shader_for_dtypes(&subq_shader_depthwise_conv1d, &subq_shader_depthwise_conv1d_16, 4, tensors),
        .bindings = 4, .push_bytes = sizeof push, .spec_count = 6,
        .spec = {WORKGROUP, (uint32_t)g->kernel[0], mode, CONV1D_PER_THREAD, CONV1D_STEPS,
                 subq_tensor_dtype_codes(4, tensors)}};
    subq_arg args[4] = {{x, false}, {weight, false}, {bias ? bias : weight, false}, {y, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), workgroups * WORKGROUP, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}

/* Channels-last x into y with dense spatial axes (channels-first): depthwise_conv.comp's TRANSPOSE. */
static bool transposes(const subq_tensor *x, const subq_tensor *y)
{
    int64_t expected = 1;
    for (int a = y->rank - 1; a >= 2; a--) {
        if (y->strides[a] != expected && y->shape[a] > 1) return false;
        expected *= y->shape[a];
    }
    return x->strides[1] == 1 && x->shape[1] > 1 && expected > 1 && y->strides[1] != 1;
}

subq_status subq_depthwise_conv(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                                const subq_tensor *bias, const subq_depthwise_conv_options *options,
                                subq_tensor *y)
{
    subq_depthwise_conv_options defaults = {0};
    conv_geometry g = {0};
    SUBQ_TRY(check_args(stream, x, weight, bias, options ? options : &defaults, y, &g));
    if (g.spatial == 1 && g.kernel[0] <= MAX_SPECIALISED_K) return record_1d(stream, x, weight, bias, y, &g);
    depthwise_push push = make_push(x, weight, bias, y, &g);
    bool transpose = transposes(x, y);
    const subq_tensor *tensors[4] = {x, weight, bias, y};
    bool fixed = transpose && push.kernel_size[0] <= MAX_FIXED_K && push.kernel_size[1] <= MAX_FIXED_K &&
                 push.kernel_size[2] <= MAX_FIXED_K;
    subq_kernel kernel = {
        .shader = subq_shader_for_dtypes(&subq_shader_depthwise_conv, &subq_shader_depthwise_conv_16, 4, tensors),
        .bindings = 4, .push_bytes = sizeof push, .spec_count = 6,
        .spec = {WORKGROUP, subq_tensor_dtype_codes(4, tensors), transpose, fixed ? push.kernel_size[0] : 0,
                 fixed ? push.kernel_size[1] : 0, fixed ? push.kernel_size[2] : 0}};
    subq_arg args[4] = {{x, false}, {weight, false}, {bias ? bias : weight, false}, {y, true}};
    uint64_t invocations = (uint64_t)subq_tensor_numel(y);
    if (transpose) {
        uint64_t positions = (uint64_t)(subq_tensor_numel(y) / (y->shape[0] * y->shape[1]));
        invocations = (uint64_t)y->shape[0] * ((uint64_t)(y->shape[1] + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE) *
                      ((positions + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE) * WORKGROUP;
    }
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), invocations, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}
