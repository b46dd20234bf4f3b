/* The SIREN kernel network of CKConv (SPEC.md section 4, "Kernel generators"), fused into one
 * dispatch. Shader: shaders/ckconv_siren.comp. */
#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 64
#define CBLOCK 32 /* output channels per invocation (ckconv_siren.comp's CBLOCK) */

typedef struct siren_push {
    uint32_t grid_first, w0_first, b0_first, wh_first, bh_first, wout_first, bout_first;
    uint32_t gamma_first, beta_first, kernel_first;
    uint32_t dims, hidden, layers, channels, points, batch;
    uint32_t film;
} siren_push;

/* A dense f32 input of exactly this shape, not overlapping the kernel. */
static subq_status check_input(const subq_stream *s, const char *name, const subq_tensor *t, int rank,
                               const int64_t *shape, const subq_tensor *kernel)
{
    SUBQ_TRY(subq_arg_tensor(name, t, s, SUBQ_F32, rank, rank));
    SUBQ_TRY(subq_arg_shape(name, t, rank, shape));
    SUBQ_TRY(subq_arg_dense(name, t));
    return subq_arg_disjoint("kernel", kernel, name, t);
}

/* H and num_layers from w0 and w_hidden, within what the shader holds. */
static subq_status check_sizes(const subq_stream *s, const subq_ckconv_siren_weights *w, int64_t *hidden,
                               int64_t *layers)
{
    SUBQ_TRY(subq_arg_tensor("weights.w0", w->w0, s, SUBQ_F32, 2, 2));
    *hidden = w->w0->shape[0];
    if (*hidden > SUBQ_CKCONV_MAX_HIDDEN)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "weights.w0: hidden width %lld is more than the fused SIREN "
                                                 "holds (%d)", (long long)*hidden, SUBQ_CKCONV_MAX_HIDDEN);
    *layers = 1;
    if ((w->w_hidden == NULL) != (w->b_hidden == NULL))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "weights.w_hidden, weights.b_hidden: expected both or neither");
    if (w->w_hidden) {
        SUBQ_TRY(subq_arg_tensor("weights.w_hidden", w->w_hidden, s, SUBQ_F32, 3, 3));
        *layers = 1 + w->w_hidden->shape[0];
    }
    if (*layers > SUBQ_CKCONV_MAX_LAYERS)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "weights.w_hidden: %lld layers in all, more than %d",
                         (long long)*layers, SUBQ_CKCONV_MAX_LAYERS);
    if ((w->film_gamma == NULL) != (w->film_beta == NULL))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "weights.film_gamma, weights.film_beta: expected both or "
                                                      "neither");
    return SUBQ_OK;
}

static subq_status check_args(const subq_stream *s, const subq_tensor *grid, const subq_ckconv_siren_weights *w,
                              const subq_tensor *kernel, int64_t *hidden, int64_t *layers)
{
    SUBQ_TRY(subq_arg_stream(s));
    SUBQ_TRY(subq_arg_tensor("grid", grid, s, SUBQ_F32, 2, 2));
    if (!w) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "weights: expected SIREN weights, got NULL");
    SUBQ_TRY(check_sizes(s, w, hidden, layers));
    int64_t p = grid->shape[0], d = grid->shape[1], h = *hidden, l = *layers;
    SUBQ_TRY(subq_arg_tensor("weights.w_out", w->w_out, s, SUBQ_F32, 2, 2));
    int64_t c = w->w_out->shape[0];
    int64_t bk = 1;
    if (w->film_gamma) {
        SUBQ_TRY(subq_arg_tensor("weights.film_gamma", w->film_gamma, s, SUBQ_F32, 3, 3));
        bk = w->film_gamma->shape[0];
    }
    SUBQ_TRY(subq_arg_tensor("kernel", kernel, s, SUBQ_F32, 3, 3));
    SUBQ_TRY(subq_arg_shape("kernel", kernel, 3, (int64_t[]){bk, p, c}));
    SUBQ_TRY(subq_arg_dense("kernel", kernel));
    SUBQ_TRY(subq_arg_output("kernel", kernel));
    SUBQ_TRY(check_input(s, "grid", grid, 2, (int64_t[]){p, d}, kernel));
    SUBQ_TRY(check_input(s, "weights.w0", w->w0, 2, (int64_t[]){h, d}, kernel));
    SUBQ_TRY(check_input(s, "weights.b0", w->b0, 1, (int64_t[]){h}, kernel));
    if (w->w_hidden) {
        SUBQ_TRY(check_input(s, "weights.w_hidden", w->w_hidden, 3, (int64_t[]){l - 1, h, h}, kernel));
        SUBQ_TRY(check_input(s, "weights.b_hidden", w->b_hidden, 2, (int64_t[]){l - 1, h}, kernel));
    }
    SUBQ_TRY(check_input(s, "weights.w_out", w->w_out, 2, (int64_t[]){c, h}, kernel));
    SUBQ_TRY(check_input(s, "weights.b_out", w->b_out, 1, (int64_t[]){c}, kernel));
    if (w->film_gamma) {
        SUBQ_TRY(check_input(s, "weights.film_gamma", w->film_gamma, 3, (int64_t[]){bk, l, h}, kernel));
        SUBQ_TRY(check_input(s, "weights.film_beta", w->film_beta, 3, (int64_t[]){bk, l, h}, kernel));
    }
    return SUBQ_OK;
}

subq_status subq_ckconv_siren(subq_stream *stream, const subq_tensor *grid, const subq_ckconv_siren_weights *w,
                              subq_tensor *kernel)
{
    int64_t hidden = 0, layers = 0;
    SUBQ_TRY(check_args(stream, grid, w, kernel, &hidden, &layers));
    siren_push p = {
        .grid_first = subq_push_first(grid), .w0_first = subq_push_first(w->w0), .b0_first = subq_push_first(w->b0),
        .wh_first = subq_push_first(w->w_hidden), .bh_first = subq_push_first(w->b_hidden),
        .wout_first = subq_push_first(w->w_out), .bout_first = subq_push_first(w->b_out),
        .gamma_first = subq_push_first(w->film_gamma), .beta_first = subq_push_first(w->film_beta),
        .kernel_first = subq_push_first(kernel),
        .dims = (uint32_t)grid->shape[1], .hidden = (uint32_t)hidden, .layers = (uint32_t)layers,
        .channels = (uint32_t)kernel->shape[2], .points = (uint32_t)kernel->shape[1],
        .batch = (uint32_t)kernel->shape[0], .film = w->film_gamma != NULL,
    };
    subq_kernel k = {.shader = &subq_shader_ckconv_siren, .bindings = 10, .push_bytes = sizeof p,
                     .spec_count = 2, .spec = {WORKGROUP, CBLOCK}};
    /* Absent tensors bind one that is present; the shader never reads them. */
    subq_arg args[10] = {{grid, false}, {w->w0, false}, {w->b0, false},
                         {w->w_hidden ? w->w_hidden : w->w0, false}, {w->b_hidden ? w->b_hidden : w->b0, false},
                         {w->w_out, false}, {w->b_out, false},
                         {w->film_gamma ? w->film_gamma : w->w0, false}, {w->film_beta ? w->film_beta : w->w0, false},
                         {kernel, true}};
    uint64_t blocks = (uint64_t)(p.channels + CBLOCK - 1) / CBLOCK;
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), (uint64_t)p.batch * p.points * blocks, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &k, args, &p, groups);
}
