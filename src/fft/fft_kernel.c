/* subq_fft_kernel: a kernel's spectrum, computed on the GPU (place, R2C, copy out) and kept for
 * every convolution of its input size. Shader: shaders/fft_kernel_pack.comp. */
#include <stdlib.h>

#include "fft/fft_kernel.h"
#include "fft/fourstep_causal.h"
#include "fft/fused_2d.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256

struct subq_fft_kernel {
    subq_context *ctx;
    subq_fft_layout layout;
    int64_t shape[2 + SUBQ_FFT_MAX_AXES]; /* of the kernel tensor: [Bk, C, *K] */
    subq_tensor *spectrum;
};

const subq_tensor *subq_fft_kernel_spectrum(const subq_fft_kernel *k) { return k->spectrum; }
const subq_fft_layout *subq_fft_kernel_layout(const subq_fft_kernel *k) { return &k->layout; }
subq_context *subq_fft_kernel_context(const subq_fft_kernel *k) { return k->ctx; }
int64_t subq_fft_kernel_batch(const subq_fft_kernel *k) { return k->shape[0]; }
int64_t subq_fft_kernel_channels(const subq_fft_kernel *k) { return k->shape[1]; }
int64_t subq_fft_kernel_length(const subq_fft_kernel *k) { return k->layout.size[k->layout.axes - 1]; }

typedef struct pack_push {
    uint32_t rows, row0, channels;
    uint32_t k_first, k_stride_b, k_stride_c;
    uint32_t k_stride[3], k_size[3], fft[3], fold[3], shift[3];
    uint32_t real_stride_d, real_stride_h, real_row;
    float scale;
} pack_push;

static pack_push make_pack_push(const subq_fft_kernel *fk, const subq_tensor *kernel)
{
    const subq_fft_layout *l = &fk->layout;
    pack_push p = {.channels = (uint32_t)fk->shape[1], .k_first = subq_tensor_binding(kernel).first_element,
                   .k_stride_b = (uint32_t)kernel->strides[0], .k_stride_c = (uint32_t)kernel->strides[1],
                   .k_size = {1, 1, 1}, .fft = {1, 1, 1}, .fold = {1, 1, 1}};
    uint32_t real_strides[3];
    subq_fft_layout_real_strides(l, real_strides, &p.real_row);
    p.real_stride_d = real_strides[0];
    p.real_stride_h = real_strides[1];
    double points = 1;
    for (int a = 0; a < l->axes; a++) {
        int i = 3 - l->axes + a;
        p.k_stride[i] = (uint32_t)kernel->strides[2 + a];
        p.k_size[i] = (uint32_t)l->kernel[a];
        p.fft[i] = (uint32_t)l->fft[a];
        p.fold[i] = (uint32_t)l->fold[a];
        p.shift[i] = (uint32_t)l->shift[a];
        points *= (double)l->fft[a];
    }
    p.scale = (float)(1.0 / points);
    return p;
}

/* Chunk by chunk: place into the plan's real scratch, R2C, copy the rows out (in the four-step
 * or the fused 2D path's order where that path will read them). */
static subq_status compute_spectrum(subq_stream *stream, subq_fft_kernel *fk, const subq_tensor *kernel)
{
    int64_t rows = fk->shape[0] * fk->shape[1], chunk, points = subq_fft_layout_spectrum_row(&fk->layout);
    SUBQ_TRY(subq_fft_layout_chunk_rows(fk->ctx, &fk->layout, rows, &chunk));
    subq_fft_plan *plan;
    subq_fft_plan_key key = subq_fft_layout_plan_key(&fk->layout, chunk, false);
    SUBQ_TRY(subq_fft_plan_get(fk->ctx, &key, &plan));
    pack_push push = make_pack_push(fk, kernel);
    bool fourstep = subq_fft_layout_doubled_row(&fk->layout) &&
                    subq_fft_conv_fourstep_supports(fk->ctx, subq_fft_kernel_length(fk));
    bool fused_2d = subq_fft_conv_fused_2d_supports(fk->ctx, &fk->layout);
    subq_kernel shader = {.shader = subq_shader_for_dtypes(&subq_shader_fft_kernel_pack, &subq_shader_fft_kernel_pack_16,
                                                           1, &kernel),
                          .bindings = 2, .push_bytes = sizeof push, .spec_count = 2,
                          .spec = {WORKGROUP, subq_tensor_dtype_codes(1, &kernel)}};
    subq_status status = SUBQ_OK;
    for (int64_t row0 = 0; row0 < rows && status == SUBQ_OK; row0 += chunk) {
        int64_t n = rows - row0 < chunk ? rows - row0 : chunk;
        push.rows = (uint32_t)n;
        push.row0 = (uint32_t)row0;
        subq_arg args[2] = {{kernel, false}, {subq_fft_plan_real(plan), true}};
        uint32_t groups[3];
        uint64_t placed = (uint64_t)n * push.fft[0] * push.fft[1] * push.fft[2];
        SUBQ_TRY(subq_groups_1d(fk->ctx, placed, WORKGROUP, groups));
        SUBQ_TRY(subq_stream_dispatch(stream, &shader, args, &push, groups));
        SUBQ_TRY(subq_fft_plan_forward(stream, plan));
        subq_tensor *from = NULL, *to = NULL;
        int64_t shape[3] = {n, points, 2};
        status = subq_tensor_view(subq_fft_plan_spectrum(plan), 0, 3, shape, NULL, &from);
        if (status == SUBQ_OK) status = subq_tensor_view(fk->spectrum, row0 * points * 2, 3, shape, NULL, &to);
        if (status == SUBQ_OK && fourstep) status = subq_fft_conv_fourstep_order_spectrum(stream, from, to);
        else if (status == SUBQ_OK && fused_2d)
            status = subq_fft_conv_fused_2d_order_spectrum(stream, &fk->layout, from, to);
        else if (status == SUBQ_OK) status = subq_tensor_copy(stream, from, to);
        subq_tensor_destroy(from);
        subq_tensor_destroy(to);
    }
    return status;
}

static subq_status check_create(const subq_stream *s, const subq_tensor *kernel, int axes, const int64_t *input_size,
                                subq_fft_kernel **out)
{
    SUBQ_TRY(subq_arg_stream(s));
    if (!out) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "fft_kernel: expected a non-NULL pointer");
    *out = NULL;
    if (axes < 1 || axes > SUBQ_FFT_MAX_AXES)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "spatial_rank: expected 1, 2 or 3, got %d", axes);
    if (!input_size) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "input_size: expected %d sizes, got NULL", axes);
    for (int a = 0; a < axes; a++)
        if (input_size[a] < 1)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "input_size[%d]: expected >= 1, got %lld", a,
                             (long long)input_size[a]);
    return subq_arg_float_tensor("kernel", kernel, s, axes + 2, axes + 2);
}

subq_status subq_fft_kernel_create(subq_stream *stream, const subq_tensor *kernel, int spatial_rank,
                                   const int64_t *input_size, const subq_fft_conv_options *options,
                                   subq_fft_kernel **fft_kernel)
{
    SUBQ_TRY(check_create(stream, kernel, spatial_rank, input_size, fft_kernel));
    subq_fft_conv_options defaults = {0};
    subq_fft_layout layout;
    SUBQ_TRY(subq_fft_layout_make(spatial_rank, input_size, kernel->shape + 2, options ? options : &defaults,
                                  &layout));
    subq_fft_kernel *fk = calloc(1, sizeof *fk);
    if (!fk) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for an FFT kernel");
    fk->ctx = subq_stream_context(stream);
    fk->layout = layout;
    for (int i = 0; i < kernel->rank; i++) fk->shape[i] = kernel->shape[i];
    int64_t shape[4] = {kernel->shape[0], kernel->shape[1], subq_fft_layout_spectrum_row(&layout), 2};
    subq_status status = subq_tensor_create(fk->ctx, SUBQ_F32, 4, shape, &fk->spectrum);
    if (status == SUBQ_OK) status = compute_spectrum(stream, fk, kernel);
    if (status != SUBQ_OK) {
        subq_fft_kernel_destroy(fk);
        return status;
    }
    *fft_kernel = fk;
    return SUBQ_OK;
}

subq_status subq_fft_kernel_update(subq_stream *stream, subq_fft_kernel *fk, const subq_tensor *kernel)
{
    SUBQ_TRY(subq_arg_stream(stream));
    if (!fk) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "fft_kernel: expected a kernel object, got NULL");
    if (fk->ctx != subq_stream_context(stream))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "fft_kernel: belongs to another context than the stream");
    int rank = fk->layout.axes + 2;
    SUBQ_TRY(subq_arg_float_tensor("kernel", kernel, stream, rank, rank));
    SUBQ_TRY(subq_arg_shape("kernel", kernel, rank, fk->shape));
    return compute_spectrum(stream, fk, kernel);
}

void subq_fft_kernel_destroy(subq_fft_kernel *fk)
{
    if (!fk) return;
    subq_tensor_destroy(fk->spectrum);
    free(fk);
}
