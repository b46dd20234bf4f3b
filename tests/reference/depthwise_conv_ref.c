/* SPEC 1: depthwise cross-correlation over 1, 2 or 3 spatial axes. */
#include "reference.h"

/* Every shape is handled as 3d: missing leading axes have size 1, kernel 1 and no padding, which
 * leaves the sums unchanged and keeps one loop nest for all ranks. */
typedef struct dw_axes {
    int64_t in[3];
    int64_t out[3];
    int64_t kernel[3];
    int64_t left[3]; /* zeros virtually added before index 0 */
} dw_axes;

static int64_t left_pad(const ref_dwconv_shape *shape, int axis)
{
    int64_t k = shape->kernel[axis];
    switch (shape->padding) {
    case REF_DWCONV_SAME:
        return (k - 1) / 2;
    case REF_DWCONV_CAUSAL:
        return k - 1;
    case REF_DWCONV_EXPLICIT:
        break;
    }
    return shape->pad[axis];
}

int64_t ref_dwconv_out_size(const ref_dwconv_shape *shape, int axis)
{
    if (shape->padding == REF_DWCONV_EXPLICIT)
        return shape->size[axis] + 2 * shape->pad[axis] - shape->kernel[axis] + 1;
    return shape->size[axis];
}

static dw_axes as_3d(const ref_dwconv_shape *shape)
{
    dw_axes a;
    int lead = 3 - shape->ndim;
    for (int i = 0; i < 3; i++) {
        int d = i - lead;
        a.in[i] = d < 0 ? 1 : shape->size[d];
        a.out[i] = d < 0 ? 1 : ref_dwconv_out_size(shape, d);
        a.kernel[i] = d < 0 ? 1 : shape->kernel[d];
        a.left[i] = d < 0 ? 0 : left_pad(shape, d);
    }
    return a;
}

static int64_t volume(const int64_t dims[3])
{
    return dims[0] * dims[1] * dims[2];
}

/* One output point of one channel: x and w point at that channel's plane and kernel. */
static double correlate_point(const dw_axes *a, const double *x, const double *w, int64_t o0,
                              int64_t o1, int64_t o2)
{
    double acc = 0.0;
    for (int64_t j0 = 0; j0 < a->kernel[0]; j0++) {
        int64_t i0 = o0 - a->left[0] + j0;
        if (i0 < 0 || i0 >= a->in[0])
            continue;
        for (int64_t j1 = 0; j1 < a->kernel[1]; j1++) {
            int64_t i1 = o1 - a->left[1] + j1;
            if (i1 < 0 || i1 >= a->in[1])
                continue;
            for (int64_t j2 = 0; j2 < a->kernel[2]; j2++) {
                int64_t i2 = o2 - a->left[2] + j2;
                if (i2 < 0 || i2 >= a->in[2])
                    continue;
                double wv = w[(j0 * a->kernel[1] + j1) * a->kernel[2] + j2];
                acc += wv * x[(i0 * a->in[1] + i1) * a->in[2] + i2];
            }
        }
    }
    return acc;
}

static void correlate_plane(const dw_axes *a, const double *x, const double *w, double bias,
                            double *y)
{
    for (int64_t o0 = 0; o0 < a->out[0]; o0++)
        for (int64_t o1 = 0; o1 < a->out[1]; o1++)
            for (int64_t o2 = 0; o2 < a->out[2]; o2++)
                y[(o0 * a->out[1] + o1) * a->out[2] + o2] =
                    bias + correlate_point(a, x, w, o0, o1, o2);
}

/* The weight prototype of a local channel: ranks hold consecutive blocks of the expanded rows. */
static int64_t prototype_of(const ref_dwconv_shape *shape, int64_t local_channel)
{
    int64_t channels = shape->channels_local * shape->cp_size;
    int64_t group_dim = channels / shape->groups;
    return (shape->cp_rank * shape->channels_local + local_channel) / group_dim;
}

void ref_depthwise_conv(const ref_dwconv_shape *shape, const double *x, const double *weight,
                        const double *bias, double *y)
{
    dw_axes a = as_3d(shape);
    int64_t in_plane = volume(a.in), out_plane = volume(a.out), taps = volume(a.kernel);
    for (int64_t b = 0; b < shape->batch; b++) {
        for (int64_t c = 0; c < shape->channels_local; c++) {
            int64_t g = prototype_of(shape, c);
            int64_t plane = b * shape->channels_local + c;
            correlate_plane(&a, x + plane * in_plane, weight + g * taps, bias ? bias[g] : 0.0,
                            y + plane * out_plane);
        }
    }
}
