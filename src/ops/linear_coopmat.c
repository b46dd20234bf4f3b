/* subq_linear on tensor cores (VK_NV_cooperative_matrix): f16 x and W with f32 or f16 y
 * (shaders/linear_coopmat.comp), and f32 x, W and y as split f16 halves scaled per row
 * (shaders/linear_row_scale.comp, then shaders/linear_coopmat_f32.comp). The shaders take the whole
 * BM x BN blocks of y; the SIMT GEMM computes the rows below them and the columns to their right,
 * so the tensor-core shaders have no per-element edge code (which would cost them registers). */
#include "ops/linear.h"
#include "runtime/context_scratch.h"
#include "subq_shaders.h"

/* 128 x 128 blocks, K 64 at a time, 64 x 32 per subgroup of 32: eight subgroups.
 * Measured on an H100 (65536 x 768 -> 2304): 128 x 256 and 256 x 128 blocks, K steps of 16 to 64
 * with two shared buffers or 32 to 64 with one came within 10% of this one; 64-row or 64-column
 * blocks, and one buffer with K steps of 16, were about 20% slower. */
#define BM 128
#define BN 128
#define BK 64
#define WM 64
#define WN 32

/* The f32 GEMM: the same blocks, K 32 at a time (its x and W tiles are twice as wide in registers,
 * and it keeps a hi and a lo tile of each in shared memory). Measured on an H100 at 65536 x 768 ->
 * 2304: K steps of 16 (with 64 x 32 or 32 x 64 per subgroup) were 35% slower, 32 x 64 per subgroup
 * 5% slower; summing the products straight into the accumulators, not per K step, was 2% faster
 * with errors 2 to 10 times larger (linear_coopmat_f32.comp says why). Below K = 512 its fixed
 * costs (the row scales, the epilogue through shared memory) outweigh the products: the 2D Hyena
 * mixer's projections (K = 256) took 0.55 ms on it against 0.47 ms in the SIMT GEMM, where at
 * K = 768 it takes 4.3 ms against 5.6. */
#define F32_BK 32
#define F32_MIN_K 512
#define ROW_SCALE_WORKGROUP 256
#define ROW_SCALE_COLUMNS 128 /* rows of channels-first x per workgroup: linear_row_scale.comp's COLUMNS */

static bool is_f32(const subq_tensor *const tensors[4])
{
    const subq_tensor *bias = tensors[2];
    return tensors[0]->dtype == SUBQ_F32 && tensors[1]->dtype == SUBQ_F32 && tensors[3]->dtype == SUBQ_F32 &&
           (!bias || bias->dtype == SUBQ_F32);
}

static uint32_t shared_bytes(bool f32)
{
    return f32 ? 2 * (BM + BN) * (F32_BK + 8) * 2 : (BM + BN) * (BK + 8) * 2;
}

/* Every 16-byte load and store of x, W and y aligned: a multiple of align elements. */
static bool aligned(const linear_push *p, uint32_t align)
{
    bool x = subq_linear_x_columns(p) ? p->x_k_stride % align == 0 && p->x_stride[2] % align == 0
                          : p->x_stride[3] % align == 0;
    return x && p->k_end % align == 0 && p->x_first % align == 0 && p->w_first % align == 0 &&
           p->w_stride % align == 0 && p->y_first % align == 0 && p->y_stride[3] % align == 0;
}

/* Rows one axis; or, for channels-first x (f32 only), a leading axis whose every index holds whole
 * BM-row blocks of x's columns, over rows of y that are evenly spaced all the same. */
static bool rows_fit(const linear_push *p, bool f32)
{
    if (p->rows[0] != 1 || p->rows[1] != 1) return false;
    if (!subq_linear_x_columns(p)) return p->rows[2] == 1;
    return f32 && p->x_stride[3] == 1 && p->rows[3] % BM == 0 && p->y_stride[2] == p->rows[3] * p->y_stride[3];
}

bool subq_linear_coopmat_fits(const subq_context *ctx, const subq_tensor *const tensors[4], const linear_push *p)
{
    const subq_tensor *x = tensors[0], *weight = tensors[1], *y = tensors[3];
    bool f16 = x->dtype == SUBQ_F16 && weight->dtype == SUBQ_F16 && (y->dtype == SUBQ_F16 || y->dtype == SUBQ_F32);
    bool f32 = is_f32(tensors) && p->k_end >= F32_MIN_K;
    if (!ctx->cooperative_matrix || ctx->info.subgroup_size != 32 || (!f16 && !f32) ||
        ctx->info.max_shared_memory_bytes < shared_bytes(f32))
        return false;
    if (p->m < BM || p->n < BN || !rows_fit(p, f32)) return false;
    return aligned(p, f32 ? 4 : 8);
}

/* Rows [m_begin, m_begin + m) and columns [n_begin, n_begin + n) of y. Fewer rows than p's only
 * where its rows are one axis (channels-first x has whole blocks of rows). */
static linear_push sub_block(const linear_push *p, uint32_t m_begin, uint32_t m, uint32_t n_begin, uint32_t n)
{
    linear_push q = *p;
    q.y_first += m_begin * p->y_stride[3] + n_begin;
    q.w_first += n_begin * p->w_stride;
    q.bias_first += n_begin;
    q.n = n;
    if (m != p->m) {
        q.x_first += m_begin * p->x_stride[3];
        q.rows[3] = q.m = m;
    }
    return q;
}

typedef struct row_scale_push {
    uint32_t x_first, x_stride, w_first, w_stride;
    uint32_t m, n, k;
    uint32_t x_k_stride, x_lead_size; /* channels-first x: k's stride, and rows per leading index */
} row_scale_push;

/* The power of two for each row of x and of W (linear_row_scale.comp) in the context's scratch. */
static subq_status row_scales(subq_stream *stream, const subq_tensor *const tensors[4], const linear_push *whole,
                              subq_tensor *shifts)
{
    subq_context *ctx = subq_stream_context(stream);
    uint32_t rows = whole->m + whole->n;
    SUBQ_TRY(subq_context_scratch_get(ctx, rows, shifts));
    bool columns = subq_linear_x_columns(whole);
    row_scale_push push = {whole->x_first, whole->x_stride[columns ? 2 : 3], whole->w_first, whole->w_stride,
                           whole->m, whole->n, whole->k_end, whole->x_k_stride, whole->rows[3]};
    subq_kernel kernel = {.shader = &subq_shader_linear_row_scale, .bindings = 3, .push_bytes = sizeof push,
                          .spec_count = 2, .spec = {ROW_SCALE_WORKGROUP, columns}};
    subq_arg args[3] = {{tensors[0], false}, {tensors[1], false}, {shifts, true}};
    /* Channels-first x: a workgroup per ROW_SCALE_COLUMNS rows of x first, then W's rows. */
    uint64_t x_groups = columns ? (whole->m + ROW_SCALE_COLUMNS - 1) / ROW_SCALE_COLUMNS : 0;
    uint64_t subgroup_rows = columns ? whole->n : rows;
    uint64_t row_groups = (subgroup_rows * ctx->info.subgroup_size + ROW_SCALE_WORKGROUP - 1) / ROW_SCALE_WORKGROUP;
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(ctx, (x_groups + row_groups) * ROW_SCALE_WORKGROUP, ROW_SCALE_WORKGROUP, groups));
    return subq_stream_dispatch(stream, &kernel, args, &push, groups);
}

/* The whole blocks of y, [0, whole->m) x [0, whole->n). */
static subq_status whole_blocks(subq_stream *stream, const subq_tensor *const tensors[4], linear_push *whole)
{
    uint32_t workgroup = (BM / WM) * (BN / WN) * 32;
    uint64_t invocations = (uint64_t)(whole->m / BM) * (whole->n / BN) * workgroup;
    if (!is_f32(tensors)) {
        subq_kernel kernel = {.shader = &subq_shader_linear_coopmat, .bindings = 4, .push_bytes = sizeof *whole,
                              .spec_count = 7,
                              .spec = {workgroup, BM, BN, BK, WM, WN, subq_tensor_dtype_codes(4, tensors)}};
        return subq_linear_dispatch_parts(stream, &kernel, tensors, NULL, whole, invocations, workgroup, BK);
    }
    subq_tensor shifts;
    SUBQ_TRY(row_scales(stream, tensors, whole, &shifts));
    subq_kernel kernel = {.shader = &subq_shader_linear_coopmat_f32, .bindings = 5, .push_bytes = sizeof *whole,
                          .spec_count = 7, .spec = {workgroup, BM, BN, F32_BK, WM, WN, subq_linear_x_columns(whole)}};
    return subq_linear_dispatch_parts(stream, &kernel, tensors, &shifts, whole, invocations, workgroup, F32_BK);
}

subq_status subq_linear_coopmat(subq_stream *stream, const subq_tensor *const tensors[4], const linear_push *p)
{
    uint32_t m_whole = p->m / BM * BM, n_whole = p->n / BN * BN;
    linear_push whole = sub_block(p, 0, m_whole, 0, n_whole);
    SUBQ_TRY(whole_blocks(stream, tensors, &whole));
    if (m_whole < p->m) {
        linear_push below = sub_block(p, m_whole, p->m - m_whole, 0, p->n);
        SUBQ_TRY(subq_linear_simt(stream, tensors, &below));
    }
    if (n_whole < p->n) {
        linear_push right = sub_block(p, 0, m_whole, n_whole, p->n - n_whole);
        SUBQ_TRY(subq_linear_simt(stream, tensors, &right));
    }
    return SUBQ_OK;
}
