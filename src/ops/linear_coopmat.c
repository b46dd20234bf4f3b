/* subq_linear on tensor cores (shaders/linear_coopmat.comp, VK_NV_cooperative_matrix): f16 x and
 * W, f32 or f16 y. The shader takes the whole BM x BN blocks of y; the SIMT GEMM computes the rows
 * below them and the columns to their right, so the tensor-core shader has no per-element edge
 * code (which would cost it its registers). */
#include "ops/linear.h"
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

static uint32_t shared_bytes(void) { return (BM + BN) * (BK + 8) * 2; }

bool subq_linear_coopmat_fits(const subq_context *ctx, const subq_tensor *const tensors[4], const linear_push *p)
{
    const subq_tensor *x = tensors[0], *weight = tensors[1], *y = tensors[3];
    if (!ctx->cooperative_matrix || ctx->info.subgroup_size != 32 ||
        ctx->info.max_shared_memory_bytes < shared_bytes())
        return false;
    if (x->dtype != SUBQ_F16 || weight->dtype != SUBQ_F16 || (y->dtype != SUBQ_F16 && y->dtype != SUBQ_F32))
        return false;
    if (p->m < BM || p->n < BN || p->rows[0] != 1 || p->rows[1] != 1 || p->rows[2] != 1) return false;
    return p->k_end % 8 == 0 && p->x_first % 8 == 0 && p->x_stride[3] % 8 == 0 && p->w_first % 8 == 0 &&
           p->w_stride % 8 == 0 && p->y_first % 8 == 0 && p->y_stride[3] % 8 == 0;
}

/* Rows [m_begin, m_begin + m) and columns [n_begin, n_begin + n) of y (p's rows are one axis). */
static linear_push sub_block(const linear_push *p, uint32_t m_begin, uint32_t m, uint32_t n_begin, uint32_t n)
{
    linear_push q = *p;
    q.x_first += m_begin * p->x_stride[3];
    q.y_first += m_begin * p->y_stride[3] + n_begin;
    q.w_first += n_begin * p->w_stride;
    q.bias_first += n_begin;
    q.rows[3] = q.m = m;
    q.n = n;
    return q;
}

subq_status subq_linear_coopmat(subq_stream *stream, const subq_tensor *const tensors[4], const linear_push *p)
{
    uint32_t m_blocks = p->m / BM, n_blocks = p->n / BN, m_whole = m_blocks * BM, n_whole = n_blocks * BN;
    uint32_t workgroup = (BM / WM) * (BN / WN) * 32;
    subq_kernel kernel = {.shader = &subq_shader_linear_coopmat, .bindings = 4, .push_bytes = sizeof *p,
                          .spec_count = 7,
                          .spec = {workgroup, BM, BN, BK, WM, WN, subq_tensor_dtype_codes(4, tensors)}};
    linear_push whole = sub_block(p, 0, m_whole, 0, n_whole);
    SUBQ_TRY(subq_linear_dispatch_parts(stream, &kernel, tensors, &whole, (uint64_t)m_blocks * n_blocks * workgroup,
                                        workgroup, BK));
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
