/* CKConvND's forward: the kernel and its spectrum cached per spatial size, then the fused FFT
 * convolution y = post * (conv(pre * x, k) + shortcut * pre * x). */
#include <stdlib.h>

#include "modules/ckconv_module.h"
#include "runtime/args.h"

/* kernel [Bk, P, C] seen as the convolution's [Bk, C_local, *K] (causal: the lags 0 .. N-1). */
static subq_tensor convolution_view(const subq_ckconv *m, const subq_tensor *kernel, const int64_t *size,
                                    const int64_t *extent, int64_t channels, int64_t channel_offset)
{
    int d = m->cfg.data_dim;
    int64_t c = m->cfg.hidden_dim, p = kernel->shape[1];
    if (m->cfg.causal)
        return subq_view_of(kernel, (size[0] - 1) * c + channel_offset, 3, (int64_t[]){kernel->shape[0], channels, size[0]},
                            (int64_t[]){p * c, 1, c});
    int64_t shape[SUBQ_MAX_RANK] = {kernel->shape[0], channels}, strides[SUBQ_MAX_RANK] = {p * c, 1};
    int64_t stride = c;
    for (int a = d - 1; a >= 0; a--) {
        shape[2 + a] = extent[a];
        strides[2 + a] = stride;
        stride *= extent[a];
    }
    return subq_view_of(kernel, channel_offset, d + 2, shape, strides);
}

static subq_status new_entry(subq_ckconv *m, const int64_t *size, int64_t batch, subq_ckconv_entry **entry)
{
    subq_ckconv_entry *grown = realloc(m->entries, (size_t)(m->entry_count + 1) * sizeof *grown);
    if (!grown) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "ckconv: out of host memory");
    m->entries = grown;
    int64_t points, extent[SUBQ_CKCONV_MAX_AXES];
    SUBQ_TRY(subq_ckconv_extent(m, size, &points, extent));
    subq_ckconv_entry e = {.batch = batch};
    for (int a = 0; a < m->cfg.data_dim; a++) e.size[a] = size[a];
    SUBQ_TRY(subq_tensor_create(m->ctx, SUBQ_F32, 3, (int64_t[]){batch, points, m->cfg.hidden_dim}, &e.kernel));
    m->entries[m->entry_count] = e;
    *entry = &m->entries[m->entry_count++];
    return SUBQ_OK;
}

static subq_ckconv_entry *find_entry(subq_ckconv *m, const int64_t *size, int64_t batch)
{
    for (int32_t i = 0; i < m->entry_count; i++) {
        subq_ckconv_entry *e = &m->entries[i];
        bool same = e->batch == batch;
        for (int a = 0; a < m->cfg.data_dim; a++) same = same && e->size[a] == size[a];
        if (same) return e;
    }
    return NULL;
}

subq_status subq_ckconv_spectrum(subq_stream *stream, subq_ckconv *m, const int64_t *size, int64_t batch,
                                 const subq_tensor *conditioning, const subq_fft_kernel **spectrum)
{
    int64_t kernel_batch = m->cfg.film_cond_dim ? batch : 1;
    uint64_t version = subq_parameters_version(m->parameters);
    subq_ckconv_entry *e = find_entry(m, size, kernel_batch);
    if (e && e->spectrum && !m->cfg.film_cond_dim && e->version == version) {
        *spectrum = e->spectrum;
        return SUBQ_OK;
    }
    if (!e) SUBQ_TRY(new_entry(m, size, kernel_batch, &e));
    SUBQ_TRY(subq_ckconv_generate(stream, m, size, conditioning, e->kernel));
    int64_t points, extent[SUBQ_CKCONV_MAX_AXES];
    SUBQ_TRY(subq_ckconv_extent(m, size, &points, extent));
    subq_tensor view = convolution_view(m, e->kernel, size, extent, m->local_channels, m->channel_offset);
    if (e->spectrum) {
        SUBQ_TRY(subq_fft_kernel_update(stream, e->spectrum, &view));
    } else {
        subq_fft_conv_options options = {.causal = m->cfg.causal};
        for (int a = 0; a < m->cfg.data_dim; a++) options.padding[a] = m->cfg.padding[a];
        SUBQ_TRY(subq_fft_kernel_create(stream, &view, m->cfg.data_dim, size, &options, &e->spectrum));
    }
    e->version = version;
    *spectrum = e->spectrum;
    return SUBQ_OK;
}

static subq_status check_x(const subq_stream *stream, const subq_ckconv *m, const subq_tensor *x)
{
    SUBQ_TRY(subq_arg_stream(stream));
    SUBQ_TRY(subq_arg_float_tensor("x", x, stream, m->cfg.data_dim + 2, m->cfg.data_dim + 2));
    if (x->shape[1] != m->local_channels)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: expected [B, %lld, *S] (channels-first%s), got %lld channels",
                         (long long)m->local_channels, m->cfg.cp_size > 1 ? ", this rank's channels" : "",
                         (long long)x->shape[1]);
    return SUBQ_OK;
}

subq_status subq_ckconv_forward(subq_stream *stream, subq_ckconv *m, const subq_tensor *x, const subq_tensor *pre,
                                const subq_tensor *post, const subq_tensor *conditioning, subq_tensor *y)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a CKConvND, got NULL");
    SUBQ_TRY(check_x(stream, m, x));
    SUBQ_TRY(subq_ckconv_check_conditioning(stream, m, conditioning, x->shape[0]));
    int64_t size[SUBQ_CKCONV_MAX_AXES], points, extent[SUBQ_CKCONV_MAX_AXES];
    for (int a = 0; a < m->cfg.data_dim; a++) size[a] = x->shape[2 + a];
    SUBQ_TRY(subq_ckconv_extent(m, size, &points, extent));
    const subq_fft_kernel *spectrum;
    SUBQ_TRY(subq_ckconv_spectrum(stream, m, size, x->shape[0], conditioning, &spectrum));
    subq_tensor shortcut = subq_view_of(m->shortcut, m->channel_offset, 1, &m->local_channels, NULL);
    subq_fft_conv_extras extras = {.pre = pre, .post = post, .shortcut = &shortcut};
    return subq_fft_conv(stream, x, spectrum, &extras, y);
}

subq_status subq_ckconv_kernel(subq_stream *stream, subq_ckconv *m, const int64_t *size,
                               const subq_tensor *conditioning, subq_tensor *kernel)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a CKConvND, got NULL");
    SUBQ_TRY(subq_arg_stream(stream));
    if (!size) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "size: expected %d spatial sizes, got NULL",
                                (int)m->cfg.data_dim);
    SUBQ_TRY(subq_ckconv_check_conditioning(stream, m, conditioning, 0));
    int64_t points, extent[SUBQ_CKCONV_MAX_AXES], batch = conditioning ? conditioning->shape[0] : 1;
    SUBQ_TRY(subq_ckconv_extent(m, size, &points, extent));
    subq_tensor *full;
    SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_KERNEL, 3, (int64_t[]){batch, points, m->cfg.hidden_dim},
                              &full));
    subq_tensor view = convolution_view(m, full, size, extent, m->cfg.hidden_dim, 0);
    SUBQ_TRY(subq_arg_tensor("kernel", kernel, stream, SUBQ_F32, view.rank, view.rank));
    SUBQ_TRY(subq_arg_shape("kernel", kernel, view.rank, view.shape));
    SUBQ_TRY(subq_arg_output("kernel", kernel));
    SUBQ_TRY(subq_ckconv_generate(stream, m, size, conditioning, full));
    return subq_tensor_copy(stream, &view, kernel);
}
