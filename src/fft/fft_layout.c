#include "fft/fft_layout.h"

/* Scratch of one launch stays within one binding, and within 1 GiB per tensor on devices that
 * bind more: enough for one launch at every shape of PERF.md. */
#define SCRATCH_CAP ((uint64_t)1 << 30)

static subq_status check_options(int axes, const int64_t *size, const int64_t *kernel,
                                 const subq_fft_conv_options *o)
{
    if (o->causal && axes != 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.causal: a causal convolution has 1 spatial "
                                                      "axis; got %d", axes);
    if (o->causal && kernel[0] > size[0])
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "kernel: a causal kernel has at most L = %lld points "
                                                      "(lags 0..L-1); got %lld", (long long)size[0],
                         (long long)kernel[0]);
    for (int a = 0; a < axes && !o->causal; a++)
        if (o->padding[a] != SUBQ_FFT_PADDING_ZERO && o->padding[a] != SUBQ_FFT_PADDING_CIRCULAR)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "options.padding[%d]: %d is not a subq_fft_padding", a,
                             (int)o->padding[a]);
    return SUBQ_OK;
}

static void make_axis(subq_fft_layout *l, int a, subq_fft_padding padding)
{
    int64_t n = l->size[a], k = l->kernel[a];
    if (l->causal) {
        l->fft[a] = 2 * n;
        l->fold[a] = l->fft[a];
        l->shift[a] = 0;
    } else if (padding == SUBQ_FFT_PADDING_CIRCULAR) {
        l->fft[a] = n > 1 ? n : 2;
        l->fold[a] = n;
        l->shift[a] = ((k - 1) / 2) % n;
    } else {
        int64_t spec = n + (k + 1) / 2 < 2 * n ? n + (k + 1) / 2 : 2 * n;
        int64_t f = spec > n + k / 2 ? spec : n + k / 2;
        l->fft[a] = f + f % 2;
        l->fold[a] = l->fft[a];
        l->shift[a] = k / 2;
    }
    l->filled[a] = l->fft[a] > n ? n + n % 2 : n;
}

subq_status subq_fft_layout_make(int axes, const int64_t *size, const int64_t *kernel,
                                 const subq_fft_conv_options *options, subq_fft_layout *l)
{
    SUBQ_TRY(check_options(axes, size, kernel, options));
    *l = (subq_fft_layout){.axes = axes, .causal = options->causal != 0};
    int64_t points = 1;
    for (int a = 0; a < axes; a++) {
        l->size[a] = size[a];
        l->kernel[a] = kernel[a];
        make_axis(l, a, options->padding[a]);
        points *= l->fft[a];
        if (l->fft[a] > UINT32_MAX / 4 || points > UINT32_MAX / 4)
            return subq_fail(SUBQ_ERROR_UNSUPPORTED, "input_size: an FFT of %lld points on axis %d (%lld in "
                                                     "all) is beyond subq's 32-bit indexing", (long long)l->fft[a],
                             a, (long long)points);
    }
    return SUBQ_OK;
}

bool subq_fft_layout_doubled_row(const subq_fft_layout *l)
{
    return l->axes == 1 && l->fft[0] == 2 * l->size[0] && l->fold[0] == l->fft[0];
}

int64_t subq_fft_layout_spectrum_row(const subq_fft_layout *l)
{
    int64_t n = l->fft[l->axes - 1] / 2 + 1;
    for (int a = 0; a + 1 < l->axes; a++) n *= l->fft[a];
    return n;
}

void subq_fft_layout_real_strides(const subq_fft_layout *l, uint32_t strides[3], uint32_t *row)
{
    int64_t stride = 2 * (l->fft[l->axes - 1] / 2 + 1);
    for (int i = 0; i < 3; i++) strides[i] = 0;
    strides[2] = 1;
    for (int a = l->axes - 2; a >= 0; a--) {
        strides[3 - l->axes + a] = (uint32_t)stride;
        stride *= l->fft[a];
    }
    *row = (uint32_t)stride;
}

subq_status subq_fft_layout_chunk_rows(const subq_context *ctx, const subq_fft_layout *l, int64_t rows,
                                       int64_t *chunk)
{
    uint64_t limit = ctx->info.max_storage_buffer_range < SCRATCH_CAP ? ctx->info.max_storage_buffer_range
                                                                      : SCRATCH_CAP;
    uint64_t row_bytes = (uint64_t)subq_fft_layout_spectrum_row(l) * 8;
    if (row_bytes > limit)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "input_size: one transform needs %llu bytes of scratch; "
                                                 "device '%s' binds at most %llu bytes",
                         (unsigned long long)row_bytes, ctx->info.name, (unsigned long long)limit);
    int64_t most = (int64_t)(limit / row_bytes);
    int64_t launches = (rows + most - 1) / most;
    *chunk = (rows + launches - 1) / launches;
    return SUBQ_OK;
}

subq_fft_plan_key subq_fft_layout_plan_key(const subq_fft_layout *l, int64_t rows, bool inverse)
{
    subq_fft_plan_key key = {.axes = (uint64_t)l->axes, .inverse = inverse, .rows = (uint64_t)rows};
    for (int a = 0; a < SUBQ_FFT_MAX_AXES; a++) {
        key.size[a] = a < l->axes ? (uint64_t)l->fft[a] : 1;
        key.valid[a] = a < l->axes && inverse ? (uint64_t)l->filled[a] : key.size[a];
    }
    return key;
}
