/* QKVConditionMixer (SPEC.md section 5): q = q_proj(x); k, v = chunk(kv_proj(condition), 2), held
 * constant over the spatial axes (stride-0 views, never expanded in memory); out = out_proj(mixer). */
#include <stdio.h>
#include <stdlib.h>

#include "modules/mixer_common.h"
#include "modules/scratch.h"
#include "runtime/args.h"

enum { COND_SCRATCH_Q, COND_SCRATCH_KV, COND_SCRATCH_MIXED, COND_SCRATCH_SLOTS };

struct subq_qkv_condition_mixer {
    subq_qkv_condition_mixer_config cfg;
    subq_parameters *parameters;
    subq_tensor *w_q, *w_kv, *w_out;
    subq_scratch scratch;
};

static subq_status build(subq_context *ctx, subq_qkv_condition_mixer *m)
{
    int64_t c = m->cfg.hidden_dim;
    SUBQ_TRY(subq_scratch_init(&m->scratch, ctx, COND_SCRATCH_SLOTS));
    SUBQ_TRY(subq_parameters_create(ctx, &m->parameters));
    SUBQ_TRY(subq_parameters_add(m->parameters, "q_proj.weight", 2, (int64_t[]){c, c}, &m->w_q));
    SUBQ_TRY(subq_parameters_add(m->parameters, "kv_proj.weight", 2, (int64_t[]){2 * c, c}, &m->w_kv));
    SUBQ_TRY(subq_parameters_attach(m->parameters, "mixer", m->cfg.mixer.parameters(m->cfg.mixer.self)));
    return subq_parameters_add(m->parameters, "out_proj.weight", 2, (int64_t[]){c, c}, &m->w_out);
}

subq_status subq_qkv_condition_mixer_create(subq_context *context, const subq_qkv_condition_mixer_config *config,
                                            subq_qkv_condition_mixer **module)
{
    if (!module) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected somewhere to write, got NULL");
    *module = NULL;
    if (!context) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!config) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config: expected a condition mixer config, got NULL");
    SUBQ_TRY(subq_mixer_check(&config->mixer, config->hidden_dim));
    subq_qkv_condition_mixer *m = calloc(1, sizeof *m);
    if (!m) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "condition mixer: out of host memory");
    m->cfg = *config;
    subq_status status = build(context, m);
    if (status != SUBQ_OK) {
        m->cfg.mixer.destroy = NULL; /* a failed create leaves the mixer with the caller */
        subq_qkv_condition_mixer_destroy(m);
        return status;
    }
    *module = m;
    return SUBQ_OK;
}

void subq_qkv_condition_mixer_destroy(subq_qkv_condition_mixer *m)
{
    if (!m) return;
    subq_mixer_release(&m->cfg.mixer, m->parameters, &m->scratch);
    free(m);
}

subq_parameters *subq_qkv_condition_mixer_parameters(subq_qkv_condition_mixer *m)
{
    return m ? m->parameters : NULL;
}

subq_status subq_qkv_condition_mixer_init(subq_qkv_condition_mixer *m, uint64_t seed)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a condition mixer, got NULL");
    subq_random r = subq_random_seeded(seed);
    int64_t c = m->cfg.hidden_dim;
    SUBQ_TRY(subq_mixer_init_linear(m->parameters, "q_proj.weight", NULL, &r, c, 0.0));
    SUBQ_TRY(subq_mixer_init_linear(m->parameters, "kv_proj.weight", NULL, &r, c, 0.0));
    SUBQ_TRY(subq_mixer_init_linear(m->parameters, "out_proj.weight", NULL, &r, c, 0.0));
    return m->cfg.mixer.init(m->cfg.mixer.self, seed + 1);
}

/* Column block i of kv [B, 2C] seen as [B, *S, C] with stride 0 over the spatial axes. */
static subq_tensor spread(const subq_tensor *kv, int64_t i, const subq_tensor *like)
{
    int64_t shape[SUBQ_MAX_RANK], strides[SUBQ_MAX_RANK] = {0}, c = like->shape[like->rank - 1];
    for (int a = 0; a < like->rank; a++) shape[a] = like->shape[a];
    strides[0] = 2 * c;
    strides[like->rank - 1] = 1;
    return subq_view_of(kv, i * c, like->rank, shape, strides);
}

subq_status subq_qkv_condition_mixer_forward(subq_stream *stream, subq_qkv_condition_mixer *m, const subq_tensor *x,
                                             const subq_tensor *condition, const subq_tensor *conditioning,
                                             subq_tensor *out)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a condition mixer, got NULL");
    int64_t c = m->cfg.hidden_dim;
    SUBQ_TRY(subq_mixer_check_io(stream, x, out, c));
    SUBQ_TRY(subq_arg_float_tensor("condition", condition, stream, 2, 2));
    SUBQ_TRY(subq_arg_shape("condition", condition, 2, (int64_t[]){x->shape[0], c}));
    subq_tensor *q, *kv, mixed;
    SUBQ_TRY(subq_scratch_get(&m->scratch, COND_SCRATCH_Q, x->rank, x->shape, &q));
    SUBQ_TRY(subq_scratch_get(&m->scratch, COND_SCRATCH_KV, 2, (int64_t[]){x->shape[0], 2 * c}, &kv));
    SUBQ_TRY(subq_mixer_output(&m->scratch, COND_SCRATCH_MIXED, x, &mixed));
    SUBQ_TRY(subq_linear(stream, x, m->w_q, NULL, q));
    SUBQ_TRY(subq_linear(stream, condition, m->w_kv, NULL, kv));
    subq_tensor k = spread(kv, 0, x), v = spread(kv, 1, x);
    const subq_sequence_mixer *inner = &m->cfg.mixer;
    SUBQ_TRY(inner->forward(stream, inner->self, q, &k, &v, conditioning, &mixed));
    return subq_linear(stream, &mixed, m->w_out, NULL, out);
}

subq_status subq_qkv_condition_mixer_flop_count(const subq_qkv_condition_mixer *m, int rank,
                                                const int64_t *spatial_dims, int inference, int64_t *count)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a condition mixer, got NULL");
    if (!spatial_dims || !count || rank < 1 || rank > 3)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "rank, spatial_dims, count: expected 1 .. 3 sizes and a count");
    int64_t inner, t = 1, c = m->cfg.hidden_dim;
    for (int a = 0; a < rank; a++) t *= spatial_dims[a];
    SUBQ_TRY(m->cfg.mixer.flop_count(m->cfg.mixer.self, rank, spatial_dims, inference, &inner));
    *count = 2 * t * c * c + 4 * c * c + inner + 2 * t * c * c;
    return SUBQ_OK;
}

subq_status subq_qkv_condition_mixer_describe(const subq_qkv_condition_mixer *m, char *text, size_t size)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a condition mixer, got NULL");
    if (!text || !size) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "text: expected a buffer, got NULL or size 0");
    int n = snprintf(text, size, "hidden_dim=%lld", (long long)m->cfg.hidden_dim);
    if (n < 0 || (size_t)n >= size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "size: the description needs %d bytes, got %zu", n + 1, size);
    return SUBQ_OK;
}
