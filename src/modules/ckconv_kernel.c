/* CKConvND's kernel network on the grid (SPEC.md section 4, "Kernel generators" and "Masks"):
 * the fused SIREN shader where it fits (H <= 64, <= 8 layers), else Linear GEMMs with a layer pass
 * (shaders/ckconv_layer.comp) between them; FiLM from its own two Linears; then the mask. */
#include "modules/ckconv_module.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 256

enum { LAYER_SIN = 0, LAYER_ACTIVATION = 1, LAYER_FOURIER = 2 };

typedef struct layer_push {
    uint32_t x_first, film_first, y_first;
    uint32_t points, hidden, batch, x_batch_stride;
    uint32_t activation, has_film, layer, layers;
} layer_push;

typedef struct generation {
    subq_stream *stream;
    subq_ckconv *m;
    const subq_tensor *grid;
    const subq_tensor *film; /* [B, layers, 2, H] or NULL */
    int64_t points, batch;   /* batch: B with FiLM, else 1 */
} generation;

/* y [batch, P, H] = FiLM_layer(f(x)); x [P, H or H/2] per batch element, x_batch_stride apart (0:
 * shared by the batch). */
static subq_status layer(const generation *g, const subq_tensor *x, int64_t x_batch_stride, int mode,
                         int layer_index, subq_tensor *y)
{
    const subq_ckconv *m = g->m;
    uint32_t hidden = (uint32_t)m->cfg.generator_hidden;
    layer_push p = {.x_first = subq_tensor_binding(x).first_element,
                    .film_first = g->film ? subq_tensor_binding(g->film).first_element : 0,
                    .y_first = subq_tensor_binding(y).first_element, .points = (uint32_t)g->points,
                    .hidden = hidden, .batch = (uint32_t)g->batch,
                    .x_batch_stride = (uint32_t)x_batch_stride,
                    .activation = (uint32_t)m->cfg.rff_activation, .has_film = g->film != NULL,
                    .layer = (uint32_t)layer_index, .layers = (uint32_t)m->cfg.generator_layers};
    subq_kernel k = {.shader = &subq_shader_ckconv_layer, .bindings = 3, .push_bytes = sizeof p, .spec_count = 2,
                     .spec = {WORKGROUP, (uint32_t)mode}};
    subq_arg args[3] = {{x, false}, {g->film ? g->film : x, false}, {y, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(g->stream), (uint64_t)g->batch * p.points * hidden, WORKGROUP, groups));
    return subq_stream_dispatch(g->stream, &k, args, &p, groups);
}

/* The general path: h after every layer in scratch H, the Linears' outputs in scratch A. */
static subq_status general(const generation *g, subq_tensor *kernel)
{
    subq_ckconv *m = g->m;
    int64_t h = m->cfg.generator_hidden, p = g->points;
    bool rff = m->cfg.generator == SUBQ_GENERATOR_RFF;
    subq_tensor *a, *hid;
    SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_A, 3, (int64_t[]){g->batch, p, h}, &a));
    SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_H, 3, (int64_t[]){g->batch, p, h}, &hid));
    subq_tensor first = subq_view_of(a, 0, 2, (int64_t[]){p, rff ? h / 2 : h}, NULL);
    SUBQ_TRY(subq_linear(g->stream, g->grid, m->w_in, m->b_in, &first));
    SUBQ_TRY(layer(g, &first, 0, rff ? LAYER_FOURIER : LAYER_SIN, 0, hid));
    for (int l = 1; l < m->cfg.generator_layers; l++) {
        SUBQ_TRY(subq_linear(g->stream, hid, m->w_hidden[l - 1], m->b_hidden[l - 1], a));
        SUBQ_TRY(layer(g, a, p * h, rff ? LAYER_ACTIVATION : LAYER_SIN, l, hid));
    }
    return subq_linear(g->stream, hid, m->w_out, m->b_out, kernel);
}

/* The fused SIREN reads its hidden layers stacked and FiLM's gamma and beta dense: copied here. */
static subq_status fused_siren(const generation *g, subq_tensor *kernel)
{
    subq_ckconv *m = g->m;
    int64_t h = m->cfg.generator_hidden, l = m->cfg.generator_layers;
    subq_ckconv_siren_weights w = {.w0 = m->w_in, .b0 = m->b_in, .w_out = m->w_out, .b_out = m->b_out};
    subq_tensor *wh, *bh, *gamma, *beta;
    if (l > 1) {
        SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_STACKED_W, 3, (int64_t[]){l - 1, h, h}, &wh));
        SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_STACKED_B, 2, (int64_t[]){l - 1, h}, &bh));
        for (int i = 0; i < l - 1; i++) {
            subq_tensor wi = subq_view_of(wh, i * h * h, 2, (int64_t[]){h, h}, NULL);
            subq_tensor bi = subq_view_of(bh, i * h, 1, &h, NULL);
            SUBQ_TRY(subq_tensor_copy(g->stream, m->w_hidden[i], &wi));
            SUBQ_TRY(subq_tensor_copy(g->stream, m->b_hidden[i], &bi));
        }
        w.w_hidden = wh, w.b_hidden = bh;
    }
    if (g->film) {
        int64_t shape[3] = {g->batch, l, h}, strides[3] = {2 * l * h, 2 * h, 1};
        subq_tensor gv = subq_view_of(g->film, 0, 3, shape, strides), bv = subq_view_of(g->film, h, 3, shape, strides);
        SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_GAMMA, 3, shape, &gamma));
        SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_BETA, 3, shape, &beta));
        SUBQ_TRY(subq_tensor_copy(g->stream, &gv, gamma));
        SUBQ_TRY(subq_tensor_copy(g->stream, &bv, beta));
        w.film_gamma = gamma, w.film_beta = beta;
    }
    return subq_ckconv_siren(g->stream, g->grid, &w, kernel);
}

/* film [B, layers, 2, H] = Linear(GELU(Linear(conditioning))). */
static subq_status film(subq_stream *stream, subq_ckconv *m, const subq_tensor *conditioning, subq_tensor **out)
{
    int64_t b = conditioning->shape[0], fh = m->cfg.film_hidden, l = m->cfg.generator_layers, h = m->cfg.generator_hidden;
    subq_tensor *hidden;
    SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_FILM_HIDDEN, 2, (int64_t[]){b, fh}, &hidden));
    SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_FILM, 2, (int64_t[]){b, l * 2 * h}, out));
    SUBQ_TRY(subq_linear(stream, conditioning, m->film_w0, m->film_b0, hidden));
    SUBQ_TRY(subq_activation_apply(stream, hidden, SUBQ_ACTIVATION_GELU, hidden));
    SUBQ_TRY(subq_linear(stream, hidden, m->film_w2, m->film_b2, *out));
    (*out)->rank = 4;
    (*out)->shape[1] = l, (*out)->shape[2] = 2, (*out)->shape[3] = h;
    (*out)->strides[0] = l * 2 * h, (*out)->strides[1] = 2 * h, (*out)->strides[2] = h, (*out)->strides[3] = 1;
    return SUBQ_OK;
}

subq_status subq_ckconv_check_conditioning(const subq_stream *stream, const subq_ckconv *m,
                                           const subq_tensor *conditioning, int64_t batch)
{
    if (!m->cfg.film_cond_dim) {
        if (conditioning)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "conditioning: the CKConvND has no FiLM; expected NULL");
        return SUBQ_OK;
    }
    if (!conditioning)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "conditioning: this CKConvND is FiLM-conditioned and needs "
                                                      "[B, %lld]", (long long)m->cfg.film_cond_dim);
    SUBQ_TRY(subq_arg_tensor("conditioning", conditioning, stream, SUBQ_F32, 2, 2));
    if (batch > 0) SUBQ_TRY(subq_arg_shape("conditioning", conditioning, 2, (int64_t[]){batch, m->cfg.film_cond_dim}));
    if (conditioning->shape[1] != m->cfg.film_cond_dim)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "conditioning: expected [B, %lld], got %lld columns",
                         (long long)m->cfg.film_cond_dim, (long long)conditioning->shape[1]);
    return subq_arg_dense("conditioning", conditioning);
}

subq_status subq_ckconv_generate(subq_stream *stream, subq_ckconv *m, const int64_t *size,
                                 const subq_tensor *conditioning, subq_tensor *kernel)
{
    const subq_ckconv_config *c = &m->cfg;
    subq_ckconv_grid_options grid_options = {.data_dim = c->data_dim};
    for (int a = 0; a < c->data_dim; a++) {
        grid_options.size[a] = size[a];
        grid_options.cache_size[a] = c->cache_size[a];
        grid_options.grid_type[a] = c->grid_type[a];
    }
    generation g = {.stream = stream, .m = m, .batch = conditioning ? conditioning->shape[0] : 1};
    SUBQ_TRY(subq_ckconv_grid_points(&grid_options, &g.points));
    subq_tensor *grid;
    SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_GRID, 2, (int64_t[]){g.points, c->data_dim}, &grid));
    SUBQ_TRY(subq_ckconv_grid(stream, &grid_options, grid));
    g.grid = grid;
    subq_tensor *film_values = NULL;
    if (conditioning) SUBQ_TRY(film(stream, m, conditioning, &film_values));
    g.film = film_values;
    bool fits = c->generator == SUBQ_GENERATOR_SIREN && c->generator_hidden <= SUBQ_CKCONV_MAX_HIDDEN &&
                c->generator_layers <= SUBQ_CKCONV_MAX_LAYERS;
    SUBQ_TRY(fits ? fused_siren(&g, kernel) : general(&g, kernel));
    if (c->mask == SUBQ_KERNEL_MASK_NONE) return SUBQ_OK;
    subq_ckconv_mask_options mask = {.kind = c->mask == SUBQ_KERNEL_MASK_GAUSSIAN ? SUBQ_CKCONV_MASK_GAUSSIAN
                                                                                  : SUBQ_CKCONV_MASK_EXPONENTIAL,
                                     .min_std = m->min_std, .max_std = m->max_std};
    return subq_ckconv_mask(stream, grid, m->mask, &mask, kernel);
}
