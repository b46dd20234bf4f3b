/* Spectra of strided signals and back, through the cached VkFFT plans (fft_plan.h): pack
 * (s4_pack.comp) into the plan's real scratch, R2C, copy the rows out; contractions
 * (s4_contract.comp); copy rows into the scratch, C2R, unpack (s4_unpack.comp). The caller's
 * tensors (packed signals, scalar weights, the destination) may be f16 or bf16: the shaders convert
 * at the load and the store, everything between is f32. */
#include "s4/spectral.h"

#include "fft/fft_layout.h"
#include "ops/push.h"
#include "subq_shaders.h"

#define WORKGROUP 256

typedef struct pack_push {
    uint32_t rows, row0, inner, parts, length, fft, real_row;
    uint32_t first, stride_a, stride_i, stride_part, stride_t;
} pack_push;

typedef struct unpack_push {
    uint32_t signals, signal0, inner, parts, length, real_row;
    uint32_t first, stride_a, stride_i, stride_t, complex_out;
    float scale;
} unpack_push;

typedef struct contract_push {
    uint32_t outer, out_dim, in_dim, x_parts, w_parts, y_parts, points;
    uint32_t x_first, w_first, y_first;
} contract_push;

static subq_status dispatch(subq_stream *stream, const subq_kernel *k, const subq_arg *args, const void *push,
                            uint64_t invocations)
{
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), invocations, WORKGROUP, groups));
    return subq_stream_dispatch(stream, k, args, push, groups);
}

subq_status s4_dispatch(subq_stream *stream, const subq_shader *shader, uint32_t spec1, uint32_t bindings,
                        const subq_arg *args, const void *push, uint32_t push_bytes, uint64_t invocations)
{
    subq_kernel k = {.shader = shader, .bindings = bindings, .push_bytes = push_bytes, .spec_count = 2,
                     .spec = {WORKGROUP, spec1}};
    return dispatch(stream, &k, args, push, invocations);
}

subq_status s4_dispatch_typed(subq_stream *stream, const subq_shader *plain, const subq_shader *wide, uint32_t spec1,
                              uint32_t bindings, const subq_arg *args, const void *push, uint32_t push_bytes,
                              uint64_t invocations)
{
    const subq_tensor *tensors[SUBQ_MAX_BINDINGS];
    for (uint32_t i = 0; i < bindings; i++) tensors[i] = args[i].tensor;
    subq_kernel k = {.shader = subq_shader_for_dtypes(plain, wide, (int)bindings, tensors), .bindings = bindings,
                     .push_bytes = push_bytes, .spec_count = 3,
                     .spec = {WORKGROUP, spec1, subq_tensor_dtype_codes((int)bindings, tensors)}};
    return dispatch(stream, &k, args, push, invocations);
}

/* The plan for rows of fft points (every point read: no zero-padded skip) and its rows per launch. */
static subq_status plan_for(subq_context *ctx, int64_t fft, int64_t rows, int64_t parts, subq_fft_plan **plan,
                            int64_t *chunk)
{
    subq_fft_layout l = {.axes = 1, .size = {fft / 2}, .kernel = {1}, .fft = {fft}, .fold = {fft}, .filled = {fft}};
    SUBQ_TRY(subq_fft_layout_chunk_rows(ctx, &l, rows, chunk));
    *chunk -= *chunk % parts;
    if (*chunk < 1)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "the sequence: a complex signal of %lld FFT points does not fit "
                                                 "one binding of device '%s'", (long long)fft, ctx->info.name);
    subq_fft_plan_key key = {.axes = 1, .inverse = 1, .size = {(uint64_t)fft, 1, 1},
                             .valid = {(uint64_t)fft, 1, 1}, .rows = (uint64_t)*chunk};
    return subq_fft_plan_get(ctx, &key, plan);
}

static subq_status copy_rows(subq_stream *stream, const subq_tensor *from, int64_t from_row, subq_tensor *to,
                             int64_t to_row, int64_t rows, int64_t points)
{
    int64_t shape[3] = {rows, points, 2};
    subq_tensor *a = NULL, *b = NULL;
    subq_status status = subq_tensor_view(from, from_row * points * 2, 3, shape, NULL, &a);
    if (status == SUBQ_OK) status = subq_tensor_view(to, to_row * points * 2, 3, shape, NULL, &b);
    if (status == SUBQ_OK) status = subq_tensor_copy(stream, a, b);
    subq_tensor_destroy(a);
    subq_tensor_destroy(b);
    return status;
}

subq_status s4_spectra(subq_stream *stream, const s4_signals *s, int64_t fft, subq_tensor *spectrum)
{
    subq_context *ctx = subq_stream_context(stream);
    int64_t rows = s->outer * s->inner * s->parts, chunk, points = fft / 2 + 1;
    subq_fft_plan *plan;
    SUBQ_TRY(plan_for(ctx, fft, rows, 1, &plan, &chunk));
    pack_push p = {.inner = (uint32_t)s->inner, .parts = (uint32_t)s->parts,
                   .length = (uint32_t)(s->length < fft ? s->length : fft), .fft = (uint32_t)fft,
                   .real_row = (uint32_t)(2 * points), .first = subq_push_first(s->tensor),
                   .stride_a = (uint32_t)s->stride_a, .stride_i = (uint32_t)s->stride_i,
                   .stride_part = (uint32_t)s->stride_part, .stride_t = (uint32_t)s->stride_t};
    for (int64_t row0 = 0; row0 < rows; row0 += chunk) {
        p.row0 = (uint32_t)row0;
        p.rows = (uint32_t)(rows - row0 < chunk ? rows - row0 : chunk);
        subq_arg args[2] = {{s->tensor, false}, {subq_fft_plan_real(plan), true}};
        SUBQ_TRY(s4_dispatch_typed(stream, &subq_shader_s4_pack, &subq_shader_s4_pack_16, 0, 2, args, &p, sizeof p,
                                   (uint64_t)p.rows * p.fft));
        SUBQ_TRY(subq_fft_plan_forward(stream, plan));
        SUBQ_TRY(copy_rows(stream, subq_fft_plan_spectrum(plan), 0, spectrum, row0, p.rows, points));
    }
    return SUBQ_OK;
}

int64_t s4_contract_parts(const s4_contraction *c) { return c->x_parts == 2 || c->w_parts == 2 ? 2 : 1; }

subq_status s4_contract(subq_stream *stream, const s4_contraction *c, subq_tensor *y)
{
    contract_push p = {.outer = (uint32_t)c->outer, .out_dim = (uint32_t)c->out_dim, .in_dim = (uint32_t)c->in_dim,
                       .x_parts = (uint32_t)c->x_parts, .w_parts = (uint32_t)c->w_parts,
                       .y_parts = (uint32_t)s4_contract_parts(c), .points = (uint32_t)c->points,
                       .x_first = subq_push_first(c->x) / 2, .w_first = subq_push_first(c->w),
                       .y_first = subq_push_first(y) / 2};
    subq_arg args[3] = {{c->x, false}, {c->w, false}, {y, true}};
    return s4_dispatch_typed(stream, &subq_shader_s4_contract, &subq_shader_s4_contract_16, (uint32_t)c->mode, 3,
                             args, &p, sizeof p, (uint64_t)p.outer * p.out_dim * p.points);
}

subq_status s4_inverse(subq_stream *stream, const subq_tensor *spectrum, int64_t parts, int64_t fft,
                       const s4_signals *d, bool complex_out)
{
    subq_context *ctx = subq_stream_context(stream);
    int64_t rows = d->outer * d->inner * parts, chunk, points = fft / 2 + 1;
    subq_fft_plan *plan;
    SUBQ_TRY(plan_for(ctx, fft, rows, parts, &plan, &chunk));
    unpack_push p = {.inner = (uint32_t)d->inner, .parts = (uint32_t)parts, .length = (uint32_t)d->length,
                     .real_row = (uint32_t)(2 * points), .first = subq_push_first(d->tensor),
                     .stride_a = (uint32_t)d->stride_a, .stride_i = (uint32_t)d->stride_i,
                     .stride_t = (uint32_t)d->stride_t, .complex_out = complex_out, .scale = (float)(1.0 / fft)};
    for (int64_t row0 = 0; row0 < rows; row0 += chunk) {
        int64_t n = rows - row0 < chunk ? rows - row0 : chunk;
        SUBQ_TRY(copy_rows(stream, spectrum, row0, subq_fft_plan_spectrum(plan), 0, n, points));
        SUBQ_TRY(subq_fft_plan_inverse(stream, plan));
        p.signal0 = (uint32_t)(row0 / parts);
        p.signals = (uint32_t)(n / parts);
        subq_arg args[2] = {{subq_fft_plan_real(plan), false}, {d->tensor, true}};
        SUBQ_TRY(s4_dispatch_typed(stream, &subq_shader_s4_unpack, &subq_shader_s4_unpack_16, 0, 2, args, &p,
                                   sizeof p, (uint64_t)p.signals * p.length));
    }
    return SUBQ_OK;
}
