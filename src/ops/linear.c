/* y = x W^T + b (F.linear): argument checks, and the tiled SIMT GEMM in shaders/linear.comp for
 * whatever the tensor cores do not take (linear_coopmat.c decides). The SIMT tile shape is chosen
 * per call: 128 x 128 blocks with 8 x 8 per invocation when there are enough of them to fill a
 * large GPU, else 64 x 64 blocks, else 32 x 32, both with 4 x 4 per invocation; each within the
 * device's shared memory and workgroup-size limits. */
#include "ops/axes.h"
#include "ops/linear.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define PAD 4                   /* floats padding each shared-memory row (linear.comp's PAD) */
#define LARGE_TILES_ENOUGH 256  /* 128 x 128 blocks that keep a large GPU busy */
#define SMALL_TILES_ENOUGH 128  /* 64 x 64 blocks, likewise */
#define MAX_STEPS 32768         /* K steps per dispatch: lavapipe ends a shader's loops after 65535 */

typedef struct tile_config {
    uint32_t bm, bn, bk, tm, tn;
} tile_config;

/* Preference order within each class; the first that fits the device is used. Large blocks step K
 * by 8: on an H100 (M = 65536, K = 768, N = 2304 and 768) 15-20% faster than by 16, and faster than
 * 128 x 256, 256 x 128, 8 x 16 or 16 x 8 per invocation (measured 2026-11-22, vector loads). */
static const tile_config LARGE[] = {{128, 128, 8, 8, 8}};
static const tile_config SMALL[] = {{64, 64, 16, 4, 4}, {32, 32, 16, 4, 4}};
static const tile_config TINY[] = {{32, 32, 16, 4, 4}};

static subq_status check_weight(const subq_stream *s, const subq_tensor *weight, int64_t k)
{
    SUBQ_TRY(subq_arg_float_tensor("weight", weight, s, 2, 2));
    if (weight->shape[1] != k)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "weight: expected shape [N, %lld] (K from x's last axis), "
                                                      "got [%lld, %lld]", (long long)k,
                         (long long)weight->shape[0], (long long)weight->shape[1]);
    if (k > 1 && weight->strides[1] != 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "weight: expected its K axis contiguous (stride 1), got "
                                                      "stride %lld", (long long)weight->strides[1]);
    return SUBQ_OK;
}

/* x's K axis contiguous; else the axis before it is (the shaders' X_COLUMNS). */
static bool k_contiguous(const subq_tensor *x)
{
    return x->shape[x->rank - 1] == 1 || x->strides[x->rank - 1] == 1;
}

static subq_status check_args(const subq_stream *s, const subq_tensor *x, const subq_tensor *weight,
                              const subq_tensor *bias, const subq_tensor *y)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_float_tensor("x", x, s, 1, SUBQ_MAX_RANK));
    int last = x->rank - 1;
    if (!k_contiguous(x) && (last == 0 || x->strides[last - 1] != 1))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: expected its last axis (K) contiguous (stride 1), or "
                                                      "the axis before it (channels-first activations); got "
                                                      "strides %lld and %lld",
                         last ? (long long)x->strides[last - 1] : 0LL, (long long)x->strides[last]);
    SUBQ_TRY(check_weight(s, weight, x->shape[last]));
    int64_t n = weight->shape[0];
    if (bias) {
        SUBQ_TRY(subq_arg_float_tensor("bias", bias, s, 1, 1));
        SUBQ_TRY(subq_arg_shape("bias", bias, 1, &n));
        SUBQ_TRY(subq_arg_dense("bias", bias));
    }
    int64_t y_shape[SUBQ_MAX_RANK];
    for (int i = 0; i < last; i++) y_shape[i] = x->shape[i];
    y_shape[last] = n;
    SUBQ_TRY(subq_arg_float_tensor("y", y, s, x->rank, x->rank));
    SUBQ_TRY(subq_arg_shape("y", y, x->rank, y_shape));
    SUBQ_TRY(subq_arg_output("y", y));
    if (n > 1 && y->strides[last] != 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "y: expected its last axis (N) contiguous (stride 1), "
                                                      "got stride %lld", (long long)y->strides[last]);
    SUBQ_TRY(subq_arg_disjoint("y", y, "x", x));
    SUBQ_TRY(subq_arg_disjoint("y", y, "weight", weight));
    return subq_arg_disjoint("y", y, "bias", bias);
}

static linear_push make_push(const subq_tensor *x, const subq_tensor *weight, const subq_tensor *bias,
                             const subq_tensor *y)
{
    int last = x->rank - 1;
    linear_push p = {
        .x_first = subq_tensor_binding(x).first_element,
        .w_first = subq_tensor_binding(weight).first_element,
        .bias_first = bias ? subq_tensor_binding(bias).first_element : 0,
        .y_first = subq_tensor_binding(y).first_element,
        .m = 1,
        .n = (uint32_t)weight->shape[0],
        .k_end = (uint32_t)x->shape[last],
        .w_stride = (uint32_t)weight->strides[0],
        .has_bias = bias != NULL,
        .x_k_stride = k_contiguous(x) ? 1 : (uint32_t)x->strides[last],
    };
    subq_axes rows;
    subq_axes_init(&rows, last, x->shape, -1, (const subq_tensor *[]){x, y, y});
    subq_axes_collapse(&rows);
    subq_axes_pad(&rows, 4);
    for (int i = 0; i < 4; i++) {
        p.rows[i] = (uint32_t)rows.shape[i];
        p.m *= p.rows[i];
        p.x_stride[i] = (uint32_t)rows.strides[0][i];
        p.y_stride[i] = (uint32_t)rows.strides[1][i];
    }
    return p;
}

/* 16-byte loads of x and W rows (x columns: four rows, which its innermost row axis must keep
 * together), and 16-byte stores of y rows, when everything they touch is aligned. */
static bool vec_loads(const linear_push *p)
{
    bool ok = p->k_end % 4 == 0 && p->x_first % 4 == 0 && p->w_first % 4 == 0 && p->w_stride % 4 == 0;
    bool columns = subq_linear_x_columns(p);
    if (columns) ok = ok && p->x_k_stride % 4 == 0 && p->rows[3] % 4 == 0;
    for (int i = 0; i < 4; i++) ok = ok && (p->x_stride[i] % 4 == 0 || (columns && i == 3));
    return ok;
}

static bool vec_stores(const linear_push *p)
{
    bool ok = p->n % 4 == 0 && p->y_first % 4 == 0;
    for (int i = 0; i < 4; i++) ok = ok && p->y_stride[i] % 4 == 0;
    return ok;
}

static bool fits(const subq_device_info *info, tile_config c)
{
    uint32_t shared = 2 * c.bk * (c.bm + PAD + c.bn + PAD) * (uint32_t)sizeof(float);
    return shared <= info->max_shared_memory_bytes &&
           (c.bm / c.tm) * (c.bn / c.tn) <= info->max_workgroup_invocations;
}

static bool pick(const subq_device_info *info, const tile_config *list, size_t count, tile_config *out)
{
    for (size_t i = 0; i < count; i++)
        if (fits(info, list[i])) {
            *out = list[i];
            return true;
        }
    return false;
}

/* The largest blocks that still make enough workgroups: fewer, larger blocks reuse more of each
 * load, smaller ones keep more of the GPU busy (and waste less on ragged M or N). */
static subq_status choose_tiles(const subq_context *ctx, const linear_push *p, tile_config *out)
{
    uint64_t tiles_128 = (uint64_t)((p->m + 127) / 128) * ((p->n + 127) / 128);
    uint64_t tiles_64 = (uint64_t)((p->m + 63) / 64) * ((p->n + 63) / 64);
    const subq_device_info *info = &ctx->info;
    if (tiles_128 >= LARGE_TILES_ENOUGH && pick(info, LARGE, sizeof LARGE / sizeof *LARGE, out)) return SUBQ_OK;
    if (tiles_64 >= SMALL_TILES_ENOUGH && pick(info, SMALL, sizeof SMALL / sizeof *SMALL, out)) return SUBQ_OK;
    if (pick(info, TINY, sizeof TINY / sizeof *TINY, out)) return SUBQ_OK;
    return subq_fail(SUBQ_ERROR_UNSUPPORTED, "device '%s' has %u bytes of shared memory and %u invocations per "
                                             "workgroup; subq_linear needs 9216 and 64", info->name,
                     info->max_shared_memory_bytes, info->max_workgroup_invocations);
}

/* One dispatch per part of K: each later part adds to y (the bias goes in once); the stream orders
 * the parts. */
subq_status subq_linear_dispatch_parts(subq_stream *stream, const subq_kernel *kernel,
                                       const subq_tensor *const tensors[4], const subq_tensor *extra,
                                       linear_push *p, uint64_t invocations, uint32_t workgroup, uint32_t bk)
{
    const subq_tensor *bias = tensors[2];
    subq_arg args[5] = {{tensors[0], false}, {tensors[1], false}, {bias ? bias : tensors[1], false},
                        {tensors[3], true}, {extra, false}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), invocations, workgroup, groups));
    uint32_t k = p->k_end, part = MAX_STEPS * bk;
    for (uint32_t begin = 0; begin < k; begin += part) {
        p->k_begin = begin;
        p->k_end = k - begin > part ? begin + part : k;
        p->accumulate = begin > 0;
        p->has_bias = bias && begin == 0;
        SUBQ_TRY(subq_stream_dispatch(stream, kernel, args, p, groups));
    }
    return SUBQ_OK;
}

subq_status subq_linear_simt(subq_stream *stream, const subq_tensor *const tensors[4], linear_push *p)
{
    subq_context *ctx = subq_stream_context(stream);
    tile_config t = {0};
    SUBQ_TRY(choose_tiles(ctx, p, &t));
    uint32_t workgroup = (t.bm / t.tm) * (t.bn / t.tn);
    const subq_shader *shader = subq_shader_for_dtypes(&subq_shader_linear, &subq_shader_linear_16, 4, tensors);
    subq_kernel kernel = {.shader = shader, .bindings = 4, .push_bytes = sizeof *p, .spec_count = 10,
                          .spec = {workgroup, t.bm, t.bn, t.bk, t.tm, t.tn, vec_loads(p), vec_stores(p),
                                   subq_tensor_dtype_codes(4, tensors), subq_linear_x_columns(p)}};
    uint64_t blocks = (uint64_t)((p->m + t.bm - 1) / t.bm) * ((p->n + t.bn - 1) / t.bn);
    return subq_linear_dispatch_parts(stream, &kernel, tensors, NULL, p, blocks * workgroup, workgroup, t.bk);
}

subq_status subq_linear(subq_stream *stream, const subq_tensor *x, const subq_tensor *weight,
                        const subq_tensor *bias, subq_tensor *y)
{
    SUBQ_TRY(check_args(stream, x, weight, bias, y));
    linear_push p = make_push(x, weight, bias, y);
    const subq_tensor *tensors[4] = {x, weight, bias, y};
    if (subq_linear_coopmat_fits(subq_stream_context(stream), tensors, &p))
        return subq_linear_coopmat(stream, tensors, &p);
    return subq_linear_simt(stream, tensors, &p);
}
