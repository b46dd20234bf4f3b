/* The general FFT convolution: every shape, padding, kernel batch and extra. Per chunk of rows:
 * fft_pack.comp (u = pre * x into the plan's real scratch), VkFFT R2C, fft_multiply.comp (times
 * the kernel spectrum), VkFFT C2R, fft_epilogue.comp (y = post * (conv + shortcut * u)). */
#include "fft/fft_conv.h"
#include "ops/push.h"
#include "subq_shaders.h"

#define WORKGROUP 256

enum { HAS_PRE = 1, HAS_POST = 2, HAS_SHORTCUT = 4 };

/* shaders/fft_rows.glsl */
typedef struct rows_push {
    uint32_t rows, row0, channels;
    uint32_t size[3], fill[3];
    uint32_t real_stride_d, real_stride_h, real_row;
    uint32_t x_first, x_stride_b, x_stride_c;
    uint32_t pre_first, pre_stride_b, pre_stride_c;
    uint32_t post_first, post_stride_b, post_stride_c;
    uint32_t y_first, y_stride_b, y_stride_c;
    uint32_t shortcut_first, shortcut_stride;
    uint32_t flags;
} rows_push;

typedef struct multiply_push {
    uint32_t rows, row0, channels, points;
    uint32_t kernel_first, shared_kernel;
} multiply_push;

/* Batch and channel strides of an optional tensor (0 when absent); the spatial ones are dense. */
static void row_strides(const subq_tensor *t, uint32_t *batch, uint32_t *channel)
{
    *batch = t ? (uint32_t)t->strides[0] : 0;
    *channel = t ? (uint32_t)t->strides[1] : 0;
}

static rows_push make_rows_push(const subq_fft_conv_call *c)
{
    const subq_fft_layout *l = subq_fft_kernel_layout(c->kernel);
    rows_push p = {.channels = (uint32_t)c->channels, .size = {1, 1, 1}, .fill = {1, 1, 1},
                   .x_first = subq_push_first(c->x), .pre_first = subq_push_first(c->pre),
                   .post_first = subq_push_first(c->post), .y_first = subq_push_first(c->y),
                   .shortcut_first = subq_push_first(c->shortcut),
                   .shortcut_stride = c->shortcut ? (uint32_t)c->shortcut->strides[0] : 0,
                   .flags = (c->pre ? HAS_PRE : 0) | (c->post ? HAS_POST : 0) | (c->shortcut ? HAS_SHORTCUT : 0)};
    for (int a = 0; a < l->axes; a++) {
        p.size[3 - l->axes + a] = (uint32_t)l->size[a];
        p.fill[3 - l->axes + a] = (uint32_t)l->filled[a];
    }
    uint32_t real_strides[3];
    subq_fft_layout_real_strides(l, real_strides, &p.real_row);
    p.real_stride_d = real_strides[0];
    p.real_stride_h = real_strides[1];
    row_strides(c->x, &p.x_stride_b, &p.x_stride_c);
    row_strides(c->pre, &p.pre_stride_b, &p.pre_stride_c);
    row_strides(c->post, &p.post_stride_b, &p.post_stride_c);
    row_strides(c->y, &p.y_stride_b, &p.y_stride_c);
    return p;
}

/* dtypes: shaders/dtype.glsl's DTYPES for the shaders that read and write the caller's tensors. */
static subq_status dispatch(const subq_fft_conv_call *c, const subq_shader *shader, uint32_t bindings,
                            const subq_arg *args, const void *push, uint32_t push_bytes, uint64_t invocations,
                            uint32_t dtypes)
{
    subq_kernel kernel = {.shader = shader, .bindings = bindings, .push_bytes = push_bytes, .spec_count = 2,
                          .spec = {WORKGROUP, dtypes}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(c->stream), invocations, WORKGROUP, groups));
    return subq_stream_dispatch(c->stream, &kernel, args, push, groups);
}

/* One kernel per batch element: the launch's rows of the spectrum, as a view (the whole tensor can
 * be larger than a binding when the scratch was split for that reason). */
static subq_status multiply(const subq_fft_conv_call *c, subq_fft_plan *plan, const rows_push *rows)
{
    const subq_tensor *spectrum = subq_fft_kernel_spectrum(c->kernel);
    bool shared = subq_fft_kernel_batch(c->kernel) == 1;
    multiply_push p = {.rows = rows->rows, .row0 = rows->row0, .channels = rows->channels,
                       .points = (uint32_t)subq_fft_layout_spectrum_row(subq_fft_kernel_layout(c->kernel)),
                       .shared_kernel = shared};
    subq_tensor *view = NULL;
    if (!shared) {
        int64_t shape[3] = {p.rows, p.points, 2};
        SUBQ_TRY(subq_tensor_view(spectrum, (int64_t)p.row0 * p.points * 2, 3, shape, NULL, &view));
    }
    p.kernel_first = subq_push_first(view ? view : spectrum) / 2;
    subq_arg args[2] = {{subq_fft_plan_spectrum(plan), true}, {view ? view : spectrum, false}};
    subq_status status = dispatch(c, &subq_shader_fft_multiply, 2, args, &p, sizeof p, (uint64_t)p.rows * p.points, 0);
    subq_tensor_destroy(view);
    return status;
}

static uint64_t volume(const uint32_t extent[3]) { return (uint64_t)extent[0] * extent[1] * extent[2]; }

static subq_status record_chunk(const subq_fft_conv_call *c, subq_fft_plan *plan, const rows_push *p)
{
    const subq_tensor *real = subq_fft_plan_real(plan);
    const subq_tensor *pack_floats[3] = {c->x, c->pre, NULL};
    subq_arg pack[3] = {{c->x, false}, {c->pre ? c->pre : c->x, false}, {real, true}};
    SUBQ_TRY(dispatch(c, subq_shader_for_dtypes(&subq_shader_fft_pack, &subq_shader_fft_pack_16, 3, pack_floats), 3,
                      pack, p, sizeof *p, p->rows * volume(p->fill), subq_tensor_dtype_codes(3, pack_floats)));
    SUBQ_TRY(subq_fft_plan_forward(c->stream, plan));
    SUBQ_TRY(multiply(c, plan, p));
    SUBQ_TRY(subq_fft_plan_inverse(c->stream, plan));
    const subq_tensor *floats[6] = {NULL, c->x, c->pre, c->post, c->shortcut, c->y};
    subq_arg epilogue[6] = {{real, false}, {c->x, false}, {c->pre ? c->pre : c->x, false},
                            {c->post ? c->post : c->x, false}, {c->shortcut ? c->shortcut : c->x, false},
                            {c->y, true}};
    return dispatch(c, subq_shader_for_dtypes(&subq_shader_fft_epilogue, &subq_shader_fft_epilogue_16, 6, floats), 6,
                    epilogue, p, sizeof *p, p->rows * volume(p->size), subq_tensor_dtype_codes(6, floats));
}

subq_status subq_fft_conv_general(const subq_fft_conv_call *c)
{
    const subq_fft_layout *l = subq_fft_kernel_layout(c->kernel);
    subq_context *ctx = subq_stream_context(c->stream);
    int64_t rows = c->batch * c->channels, chunk;
    SUBQ_TRY(subq_fft_layout_chunk_rows(ctx, l, rows, &chunk));
    subq_fft_plan_key key = subq_fft_layout_plan_key(l, chunk, true);
    subq_fft_plan *plan;
    SUBQ_TRY(subq_fft_plan_get(ctx, &key, &plan));
    rows_push p = make_rows_push(c);
    for (int64_t row0 = 0; row0 < rows; row0 += chunk) {
        p.row0 = (uint32_t)row0;
        p.rows = (uint32_t)(rows - row0 < chunk ? rows - row0 : chunk);
        SUBQ_TRY(record_chunk(c, plan, &p));
    }
    return SUBQ_OK;
}
