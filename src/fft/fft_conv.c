/* subq_fft_conv: argument checks, then the path that records the call. */
#include "fft/fft_conv.h"
#include "fft/fourstep_causal.h"
#include "fft/fused_causal.h"
#include "fft/fused_2d.h"
#include "runtime/args.h"

/* The spatial axes (from axis 2 on) dense, as one row-major block per (b, c). */
static subq_status check_spatial_dense(const char *name, const subq_tensor *t)
{
    int64_t expected = 1;
    for (int a = t->rank - 1; a >= 2; a--) {
        if (t->shape[a] != 1 && t->strides[a] != expected)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "%s: the spatial axes must be dense (row-major, no "
                                                          "gaps); axis %d has stride %lld, expected %lld", name, a,
                             (long long)t->strides[a], (long long)expected);
        expected *= t->shape[a];
    }
    return SUBQ_OK;
}

static subq_status check_input_size(const subq_tensor *x, const subq_fft_layout *l)
{
    for (int a = 0; a < l->axes; a++)
        if (x->shape[2 + a] != l->size[a]) {
            char made[96], got[96];
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: fft_kernel was made for input size %s; x has %s",
                             subq_format_shape(made, sizeof made, l->axes, l->size),
                             subq_format_shape(got, sizeof got, l->axes, x->shape + 2));
        }
    return SUBQ_OK;
}

static subq_status check_x(const subq_fft_conv_call *c)
{
    SUBQ_TRY(subq_arg_stream(c->stream));
    if (!c->kernel) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "fft_kernel: expected a kernel object, got NULL");
    if (subq_fft_kernel_context(c->kernel) != subq_stream_context(c->stream))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "fft_kernel: belongs to another context than the stream");
    const subq_fft_layout *l = subq_fft_kernel_layout(c->kernel);
    SUBQ_TRY(subq_arg_float_tensor("x", c->x, c->stream, l->axes + 2, l->axes + 2));
    SUBQ_TRY(check_input_size(c->x, l));
    if (c->x->shape[1] != subq_fft_kernel_channels(c->kernel))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: fft_kernel has %lld channels; x has %lld",
                         (long long)subq_fft_kernel_channels(c->kernel), (long long)c->x->shape[1]);
    int64_t kernel_batch = subq_fft_kernel_batch(c->kernel);
    if (kernel_batch != 1 && kernel_batch != c->x->shape[0])
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "fft_kernel: its kernel batch is %lld; expected 1 or x's "
                                                      "batch %lld",
                         (long long)kernel_batch, (long long)c->x->shape[0]);
    return check_spatial_dense("x", c->x);
}

/* pre, post and y have x's shape; y overlaps no input. */
static subq_status check_like_x(const char *name, const subq_tensor *t, const subq_fft_conv_call *c)
{
    SUBQ_TRY(subq_arg_float_tensor(name, t, c->stream, c->x->rank, c->x->rank));
    SUBQ_TRY(subq_arg_shape(name, t, c->x->rank, c->x->shape));
    return check_spatial_dense(name, t);
}

static subq_status check_rest(const subq_fft_conv_call *c)
{
    if (c->pre) SUBQ_TRY(check_like_x("extras->pre", c->pre, c));
    if (c->post) SUBQ_TRY(check_like_x("extras->post", c->post, c));
    if (c->shortcut) {
        SUBQ_TRY(subq_arg_float_tensor("extras->shortcut", c->shortcut, c->stream, 1, 1));
        SUBQ_TRY(subq_arg_shape("extras->shortcut", c->shortcut, 1, &c->channels));
    }
    SUBQ_TRY(check_like_x("y", c->y, c));
    SUBQ_TRY(subq_arg_output("y", c->y));
    SUBQ_TRY(subq_arg_disjoint("y", c->y, "x", c->x));
    SUBQ_TRY(subq_arg_disjoint("y", c->y, "extras->pre", c->pre));
    SUBQ_TRY(subq_arg_disjoint("y", c->y, "extras->post", c->post));
    SUBQ_TRY(subq_arg_disjoint("y", c->y, "extras->shortcut", c->shortcut));
    return subq_arg_disjoint("y", c->y, "fft_kernel's spectrum", subq_fft_kernel_spectrum(c->kernel));
}

/* The fused single-dispatch path reads the kernel's spectrum as it is when its FFT size equals the
 * layout's 2L, i.e. for doubled rows (causal, or CKConv's zero padding) of power-of-two length, and
 * when the rows fit the device's shared memory; everything else takes the general path. */
static bool fused_applies(const subq_fft_conv_call *c)
{
    int64_t length = subq_fft_kernel_length(c->kernel);
    return subq_fft_layout_doubled_row(subq_fft_kernel_layout(c->kernel)) &&
           subq_fft_conv_fused_fft_size(length) == 2 * length &&
           subq_fft_conv_fused_supports(subq_fft_kernel_context(c->kernel), length);
}

/* Longer doubled power-of-two rows take the four-step path (three dispatches), where the kernel
 * object's spectrum is in the order its plan reads. */
static bool fourstep_applies(const subq_fft_conv_call *c)
{
    return subq_fft_layout_doubled_row(subq_fft_kernel_layout(c->kernel)) &&
           subq_fft_conv_fourstep_supports(subq_fft_kernel_context(c->kernel), subq_fft_kernel_length(c->kernel));
}

/* Small non-causal 2D grids of power-of-two sides take the fused 2D path (one dispatch), where the
 * kernel object's spectrum is column by column. */
static bool fused_2d_applies(const subq_fft_conv_call *c)
{
    return subq_fft_conv_fused_2d_supports(subq_fft_kernel_context(c->kernel), subq_fft_kernel_layout(c->kernel));
}

subq_status subq_fft_conv(subq_stream *stream, const subq_tensor *x, const subq_fft_kernel *fft_kernel,
                          const subq_fft_conv_extras *extras, subq_tensor *y)
{
    subq_fft_conv_extras none = {0};
    const subq_fft_conv_extras *e = extras ? extras : &none;
    subq_fft_conv_call call = {.stream = stream, .x = x, .kernel = fft_kernel, .pre = e->pre, .post = e->post,
                               .shortcut = e->shortcut, .y = y};
    SUBQ_TRY(check_x(&call));
    call.batch = x->shape[0];
    call.channels = x->shape[1];
    SUBQ_TRY(check_rest(&call));
    if (fused_applies(&call))
        return subq_fft_conv_fused(stream, x, subq_fft_kernel_spectrum(fft_kernel), call.pre, call.post,
                                   call.shortcut, y);
    if (fourstep_applies(&call)) return subq_fft_conv_fourstep(&call);
    if (fused_2d_applies(&call)) return subq_fft_conv_fused_2d(&call);
    return subq_fft_conv_general(&call);
}
