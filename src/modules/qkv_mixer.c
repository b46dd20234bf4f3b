/* QKVSequenceMixer (SPEC.md section 5): q, k, v = chunk(qkv_proj(x), 3); out = out_proj(mixer(q, k, v)),
 * the inner mixer behind subq_sequence_mixer's function pointers. */
#include <stdio.h>
#include <stdlib.h>

#include "cp/cp.h"
#include "modules/mixer_common.h"
#include "modules/scratch.h"

enum { QKV_SCRATCH_QKV, QKV_SCRATCH_MIXED, QKV_SCRATCH_SLOTS };

struct subq_qkv_mixer {
    subq_qkv_mixer_config cfg;
    subq_parameters *parameters;
    subq_tensor *w_qkv, *b_qkv, *w_out, *b_out;
    subq_scratch scratch;
};

static subq_status build(subq_context *ctx, subq_qkv_mixer *m)
{
    int64_t c = m->cfg.hidden_dim, c3 = 3 * c;
    SUBQ_TRY(subq_scratch_init(&m->scratch, ctx, QKV_SCRATCH_SLOTS));
    SUBQ_TRY(subq_parameters_create(ctx, &m->parameters));
    SUBQ_TRY(subq_parameters_add(m->parameters, "qkv_proj.weight", 2, (int64_t[]){c3, c}, &m->w_qkv));
    if (m->cfg.qkv_bias) SUBQ_TRY(subq_parameters_add(m->parameters, "qkv_proj.bias", 1, &c3, &m->b_qkv));
    SUBQ_TRY(subq_parameters_attach(m->parameters, "mixer", m->cfg.mixer.parameters(m->cfg.mixer.self)));
    SUBQ_TRY(subq_parameters_add(m->parameters, "out_proj.weight", 2, (int64_t[]){c, c}, &m->w_out));
    if (m->cfg.out_proj_bias) SUBQ_TRY(subq_parameters_add(m->parameters, "out_proj.bias", 1, &c, &m->b_out));
    return SUBQ_OK;
}

subq_status subq_qkv_mixer_create(subq_context *context, const subq_qkv_mixer_config *config, subq_qkv_mixer **module)
{
    if (!module) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected somewhere to write, got NULL");
    *module = NULL;
    if (!context) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!config) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config: expected a QKV mixer config, got NULL");
    SUBQ_TRY(subq_mixer_check(&config->mixer, config->hidden_dim));
    if (!(config->init_std_in >= 0.0f) || !(config->init_std_out >= 0.0f))
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.init_std_in, config.init_std_out: expected >= 0, got %g "
                                                      "and %g", (double)config->init_std_in, (double)config->init_std_out);
    subq_qkv_mixer *m = calloc(1, sizeof *m);
    if (!m) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "qkv mixer: out of host memory");
    m->cfg = *config;
    subq_status status = build(context, m);
    if (status != SUBQ_OK) {
        m->cfg.mixer.destroy = NULL; /* a failed create leaves the mixer with the caller */
        subq_qkv_mixer_destroy(m);
        return status;
    }
    *module = m;
    return SUBQ_OK;
}

void subq_qkv_mixer_destroy(subq_qkv_mixer *m)
{
    if (!m) return;
    subq_mixer_release(&m->cfg.mixer, m->parameters, &m->scratch);
    free(m);
}

subq_parameters *subq_qkv_mixer_parameters(subq_qkv_mixer *m)
{
    return m ? m->parameters : NULL;
}

subq_status subq_qkv_mixer_init(subq_qkv_mixer *m, uint64_t seed)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a QKV mixer, got NULL");
    subq_random r = subq_random_seeded(seed);
    int64_t c = m->cfg.hidden_dim;
    SUBQ_TRY(subq_mixer_init_linear(m->parameters, "qkv_proj.weight", m->b_qkv ? "qkv_proj.bias" : NULL, &r, c,
                                    m->cfg.init_std_in));
    SUBQ_TRY(subq_mixer_init_linear(m->parameters, "out_proj.weight", m->b_out ? "out_proj.bias" : NULL, &r, c,
                                    m->cfg.init_std_out));
    return m->cfg.mixer.init(m->cfg.mixer.self, seed + 1);
}

/* qkv [B, *S, 3C] = qkv_proj(x) in scratch. */
static subq_status project(subq_stream *stream, subq_qkv_mixer *m, const subq_tensor *x, subq_tensor qkv[3])
{
    int64_t shape[SUBQ_MAX_RANK], c = m->cfg.hidden_dim;
    for (int i = 0; i < x->rank; i++) shape[i] = x->shape[i];
    shape[x->rank - 1] = 3 * c;
    subq_tensor *all;
    SUBQ_TRY(subq_scratch_get(&m->scratch, QKV_SCRATCH_QKV, x->rank, shape, &all));
    SUBQ_TRY(subq_linear(stream, x, m->w_qkv, m->b_qkv, all));
    for (int i = 0; i < 3; i++) qkv[i] = subq_mixer_columns(all, i, c);
    return SUBQ_OK;
}

/* The inner mixer's output [B, *S, C] in scratch (x's shape). */
static subq_status mixed_scratch(subq_qkv_mixer *m, const subq_tensor *x, subq_tensor **mixed)
{
    return subq_scratch_get(&m->scratch, QKV_SCRATCH_MIXED, x->rank, x->shape, mixed);
}

subq_status subq_qkv_mixer_forward(subq_stream *stream, subq_qkv_mixer *m, const subq_tensor *x,
                                   const subq_tensor *conditioning, subq_tensor *out)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a QKV mixer, got NULL");
    SUBQ_TRY(subq_mixer_check_io(stream, x, out, m->cfg.hidden_dim));
    subq_tensor qkv[3], mixed;
    SUBQ_TRY(project(stream, m, x, qkv));
    SUBQ_TRY(subq_mixer_output(&m->scratch, QKV_SCRATCH_MIXED, x, &mixed));
    const subq_sequence_mixer *inner = &m->cfg.mixer;
    SUBQ_TRY(inner->forward(stream, inner->self, &qkv[0], &qkv[1], &qkv[2], conditioning, &mixed));
    return subq_linear(stream, &mixed, m->w_out, m->b_out, out);
}

subq_status subq_qkv_mixer_forward_cp(subq_stream *stream, subq_qkv_mixer *m, subq_cp_group *group,
                                      const subq_tensor *x, const subq_tensor *conditioning, subq_tensor *out)
{
    if (subq_cp_group_size(group) <= 1) return subq_qkv_mixer_forward(stream, m, x, conditioning, out);
    subq_status status = m ? SUBQ_OK : subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a QKV mixer, got NULL");
    if (status == SUBQ_OK) status = subq_mixer_check_io(stream, x, out, m->cfg.hidden_dim);
    if (status == SUBQ_OK && !m->cfg.mixer.forward_cp)
        status = subq_fail(SUBQ_ERROR_UNSUPPORTED, "module: its inner mixer has no context-parallel forward");
    subq_tensor qkv[3], *mixed;
    if (status == SUBQ_OK) status = project(stream, m, x, qkv);
    if (status == SUBQ_OK) status = mixed_scratch(m, x, &mixed);
    /* the inner mixer's first collective: a rank that fails before it must fail its peers there */
    if (status != SUBQ_OK) return cp_refuse(group, CP_SPLIT_TO_FULL, status);
    const subq_sequence_mixer *inner = &m->cfg.mixer;
    SUBQ_TRY(inner->forward_cp(stream, inner->self, group, &qkv[0], &qkv[1], &qkv[2], conditioning, mixed));
    return subq_linear(stream, mixed, m->w_out, m->b_out, out);
}

static subq_status incremental(subq_stream *stream, subq_qkv_mixer *m, void *state, const subq_tensor *x,
                               const subq_tensor *conditioning, bool prefill, subq_tensor *out)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a QKV mixer, got NULL");
    const subq_sequence_mixer *inner = &m->cfg.mixer;
    if (!inner->prefill || !inner->step)
        return subq_fail(SUBQ_ERROR_UNSUPPORTED, "module: its inner mixer has no incremental inference");
    SUBQ_TRY(subq_mixer_check_io(stream, x, out, m->cfg.hidden_dim));
    if (x->rank != 3) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "x: expected [B, T, C], got rank %d", x->rank);
    subq_tensor qkv[3], *mixed;
    SUBQ_TRY(project(stream, m, x, qkv));
    SUBQ_TRY(mixed_scratch(m, x, &mixed));
    if (prefill) SUBQ_TRY(inner->prefill(stream, inner->self, state, &qkv[0], &qkv[1], &qkv[2], conditioning, mixed));
    else SUBQ_TRY(inner->step(stream, inner->self, state, &qkv[0], &qkv[1], &qkv[2], mixed));
    return subq_linear(stream, mixed, m->w_out, m->b_out, out);
}

subq_status subq_qkv_mixer_prefill(subq_stream *stream, subq_qkv_mixer *m, void *state, const subq_tensor *x,
                                   const subq_tensor *conditioning, subq_tensor *out)
{
    return incremental(stream, m, state, x, conditioning, true, out);
}

subq_status subq_qkv_mixer_step(subq_stream *stream, subq_qkv_mixer *m, void *state, const subq_tensor *x,
                                subq_tensor *out)
{
    return incremental(stream, m, state, x, NULL, false, out);
}

subq_status subq_qkv_mixer_flop_count(const subq_qkv_mixer *m, int rank, const int64_t *spatial_dims, int inference,
                                      int64_t *count)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a QKV mixer, got NULL");
    if (!spatial_dims || !count || rank < 1 || rank > 3)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "rank, spatial_dims, count: expected 1 .. 3 sizes and a count");
    int64_t inner, t = 1, c = m->cfg.hidden_dim;
    for (int a = 0; a < rank; a++) t *= spatial_dims[a];
    SUBQ_TRY(m->cfg.mixer.flop_count(m->cfg.mixer.self, rank, spatial_dims, inference, &inner));
    *count = 6 * t * c * c + inner + 2 * t * c * c;
    return SUBQ_OK;
}

subq_status subq_qkv_mixer_describe(const subq_qkv_mixer *m, char *text, size_t size)
{
    if (!m) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a QKV mixer, got NULL");
    if (!text || !size) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "text: expected a buffer, got NULL or size 0");
    int n = snprintf(text, size, "hidden_dim=%lld, qkv_bias=%s, out_proj_bias=%s", (long long)m->cfg.hidden_dim,
                     m->cfg.qkv_bias ? "True" : "False", m->cfg.out_proj_bias ? "True" : "False");
    if (n < 0 || (size_t)n >= size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "size: the description needs %d bytes, got %zu", n + 1, size);
    return SUBQ_OK;
}
