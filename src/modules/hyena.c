/* Hyena as a module (SPEC.md section 3): configuration, parameters named as the reference's
 * state_dict (global_conv first, then short_conv and the norms), init, FLOP count, description,
 * and its face as a QKV mixer's inner mixer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "modules/hyena_module.h"

static subq_status check_short_conv(const subq_short_conv_config *s, int dims, int64_t channels)
{
    if ((unsigned)s->kind > SUBQ_SHORT_CONV_DISTRIBUTED)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.short_conv.kind: %d is not a subq_short_conv_kind",
                         (int)s->kind);
    if (s->kind == SUBQ_SHORT_CONV_NONE) return SUBQ_OK;
    for (int a = 0; a < dims; a++)
        if (s->kernel_size[a] < 1 || s->kernel_size[a] > 1024)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.short_conv.kernel_size[%d]: expected 1 .. 1024, got %d",
                             a, (int)s->kernel_size[a]);
    if (s->causal && dims != 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.short_conv.causal: only 1D short convolutions are causal");
    int64_t groups = s->num_groups ? s->num_groups : 3 * channels;
    if (s->kind == SUBQ_SHORT_CONV_CONV && s->num_groups && s->num_groups != 3 * channels)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.short_conv.num_groups: a depthwise ConvNd has 3C = %lld "
                                                      "groups, got %lld", (long long)(3 * channels),
                         (long long)s->num_groups);
    if (groups < 1 || (3 * channels) % groups)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.short_conv.num_groups: %lld does not divide 3C = %lld",
                         (long long)groups, (long long)(3 * channels));
    return SUBQ_OK;
}

static subq_status check_config(const subq_hyena_config *c)
{
    const char *names[] = {"gate", "gate_2"};
    subq_activation gates[] = {c->gate, c->has_gate_2 ? c->gate_2 : c->gate};
    for (int i = 0; i < 2; i++)
        if ((unsigned)gates[i] > SUBQ_ACTIVATION_SOFTPLUS)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.%s: %d is not a subq_activation", names[i], (int)gates[i]);
    subq_hyena_norm norms[] = {c->qk_norm, c->pixelhyena_norm, c->output_norm};
    const char *norm_names[] = {"qk_norm", "pixelhyena_norm", "output_norm"};
    for (int i = 0; i < 3; i++)
        if ((unsigned)norms[i] > SUBQ_HYENA_NORM_L2)
            return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.%s: %d is not a subq_hyena_norm", norm_names[i],
                             (int)norms[i]);
    if (c->global_conv.cp_size > 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config.global_conv.cp_size: Hyena runs without context "
                                                      "parallelism; expected 0 or 1, got %d", (int)c->global_conv.cp_size);
    return SUBQ_OK;
}

static subq_status add_norm(subq_hyena *h, const char *prefix, subq_hyena_norm kind, hyena_norm *norm)
{
    char name[64];
    norm->kind = kind;
    if (kind == SUBQ_HYENA_NORM_RMS || kind == SUBQ_HYENA_NORM_LAYER) {
        snprintf(name, sizeof name, "%s.weight", prefix);
        SUBQ_TRY(subq_parameters_add(h->parameters, name, 1, &h->channels, &norm->weight));
    }
    if (kind == SUBQ_HYENA_NORM_LAYER) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        SUBQ_TRY(subq_parameters_add(h->parameters, name, 1, &h->channels, &norm->bias));
    }
    return SUBQ_OK;
}

static subq_status add_short_conv(subq_hyena *h)
{
    const subq_short_conv_config *s = &h->cfg.short_conv;
    if (s->kind == SUBQ_SHORT_CONV_NONE) return SUBQ_OK;
    int d = h->cfg.global_conv.data_dim, rank = 0;
    int64_t shape[SUBQ_MAX_RANK];
    h->short_groups = s->kind == SUBQ_SHORT_CONV_CONV || !s->num_groups ? 3 * h->channels : s->num_groups;
    shape[rank++] = h->short_groups;
    if (s->kind == SUBQ_SHORT_CONV_CONV) shape[rank++] = 1;
    for (int a = 0; a < d; a++) shape[rank++] = s->kernel_size[a];
    SUBQ_TRY(subq_parameters_add(h->parameters, "short_conv.weight", rank, shape, &h->short_weight));
    if (s->bias) SUBQ_TRY(subq_parameters_add(h->parameters, "short_conv.bias", 1, &h->short_groups, &h->short_bias));
    return SUBQ_OK;
}

static subq_status build(subq_hyena *h)
{
    SUBQ_TRY(subq_ckconv_create(h->ctx, &h->cfg.global_conv, &h->conv)); /* checks the global conv first */
    SUBQ_TRY(check_short_conv(&h->cfg.short_conv, h->cfg.global_conv.data_dim, h->channels));
    SUBQ_TRY(subq_scratch_init(&h->scratch, h->ctx, HYENA_SCRATCH_SLOTS));
    SUBQ_TRY(subq_parameters_create(h->ctx, &h->parameters));
    SUBQ_TRY(subq_parameters_attach(h->parameters, "global_conv", subq_ckconv_parameters(h->conv)));
    SUBQ_TRY(add_short_conv(h));
    SUBQ_TRY(add_norm(h, "q_norm", h->cfg.qk_norm, &h->q_norm));
    SUBQ_TRY(add_norm(h, "k_norm", h->cfg.gate == SUBQ_ACTIVATION_NONE ? h->cfg.qk_norm : SUBQ_HYENA_NORM_NONE,
                      &h->k_norm));
    SUBQ_TRY(add_norm(h, "pixelhyena_norm", h->cfg.pixelhyena_norm, &h->pixelhyena_norm));
    return add_norm(h, "output_norm", h->cfg.output_norm, &h->output_norm);
}

subq_status subq_hyena_create(subq_context *context, const subq_hyena_config *config, subq_hyena **module)
{
    if (!module) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected somewhere to write, got NULL");
    *module = NULL;
    if (!context) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "context: expected a context, got NULL");
    if (!config) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "config: expected a Hyena config, got NULL");
    SUBQ_TRY(check_config(config));
    subq_hyena *h = calloc(1, sizeof *h);
    if (!h) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "hyena: out of host memory");
    h->ctx = context;
    h->cfg = *config;
    h->gate_2 = config->has_gate_2 ? config->gate_2 : config->gate;
    h->channels = config->global_conv.hidden_dim;
    subq_status status = build(h);
    if (status != SUBQ_OK) {
        subq_hyena_destroy(h);
        return status;
    }
    *module = h;
    return SUBQ_OK;
}

void subq_hyena_destroy(subq_hyena *h)
{
    if (!h) return;
    subq_scratch_release(&h->scratch);
    subq_parameters_destroy(h->parameters);
    subq_ckconv_destroy(h->conv);
    free(h);
}

subq_parameters *subq_hyena_parameters(subq_hyena *h)
{
    return h ? h->parameters : NULL;
}

static subq_status init_norm(subq_hyena *h, const char *prefix, const hyena_norm *norm)
{
    char name[64];
    if (norm->weight) {
        snprintf(name, sizeof name, "%s.weight", prefix);
        SUBQ_TRY(subq_parameters_init_constant(h->parameters, name, 1.0));
    }
    if (norm->bias) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        SUBQ_TRY(subq_parameters_init_constant(h->parameters, name, 0.0));
    }
    return SUBQ_OK;
}

subq_status subq_hyena_init(subq_hyena *h, uint64_t seed)
{
    if (!h) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a Hyena, got NULL");
    SUBQ_TRY(subq_ckconv_init(h->conv, seed));
    subq_random r = subq_random_seeded(seed ^ 0x9e3779b97f4a7c15ull);
    if (h->short_weight) {
        double taps = 1.0;
        for (int a = 0; a < h->cfg.global_conv.data_dim; a++) taps *= h->cfg.short_conv.kernel_size[a];
        double bound = sqrt(1.0 / taps);
        SUBQ_TRY(subq_parameters_init_uniform(h->parameters, "short_conv.weight", &r, -bound, bound));
        if (h->short_bias) SUBQ_TRY(subq_parameters_init_uniform(h->parameters, "short_conv.bias", &r, -bound, bound));
    }
    SUBQ_TRY(init_norm(h, "q_norm", &h->q_norm));
    SUBQ_TRY(init_norm(h, "k_norm", &h->k_norm));
    SUBQ_TRY(init_norm(h, "pixelhyena_norm", &h->pixelhyena_norm));
    return init_norm(h, "output_norm", &h->output_norm);
}

subq_status subq_hyena_flop_count(const subq_hyena *h, int rank, const int64_t *spatial_dims, int inference,
                                  int64_t *count)
{
    if (!h) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a Hyena, got NULL");
    int64_t conv;
    SUBQ_TRY(subq_ckconv_flop_count(h->conv, rank, spatial_dims, inference, &conv));
    int64_t c = h->channels, s = 1, taps = 1, total = 0;
    for (int a = 0; a < rank; a++) s *= spatial_dims[a], taps *= h->cfg.short_conv.kernel_size[a];
    bool identity = h->cfg.gate == SUBQ_ACTIVATION_NONE;
    if (h->cfg.short_conv.kind != SUBQ_SHORT_CONV_NONE) total += 2 * 3 * c * s * taps; /* any depthwise kind */
    if (h->cfg.qk_norm) total += 3 * c * s * (identity ? 2 : 1);
    total += c * s * (identity ? 1 : 2);
    if (h->cfg.pixelhyena_norm) total += 3 * c * s;
    total += conv;
    total += c * s * (h->gate_2 == SUBQ_ACTIVATION_NONE ? 1 : 2);
    if (h->cfg.output_norm) total += 3 * c * s;
    *count = total;
    return SUBQ_OK;
}

static const char *norm_class(subq_hyena_norm kind)
{
    const char *names[] = {"None", "RMSNorm", "LayerNorm", "L2Norm"};
    return names[kind];
}

static const char *gate_name(subq_activation a)
{
    const char *names[] = {"identity", "silu", "sigmoid", "gelu", "gelu_tanh", "softplus"};
    return names[a];
}

subq_status subq_hyena_describe(const subq_hyena *h, char *text, size_t size)
{
    if (!h) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a Hyena, got NULL");
    if (!text || !size) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "text: expected a buffer, got NULL or size 0");
    const char *k_norm = !h->cfg.qk_norm ? "None" : h->k_norm.kind ? norm_class(h->k_norm.kind) : "Identity";
    char gates[64] = "";
    if (h->gate_2 != h->cfg.gate)
        snprintf(gates, sizeof gates, ", gates=%s/%s", gate_name(h->cfg.gate), gate_name(h->gate_2));
    int n = snprintf(text, size, "q_norm=%s, k_norm=%s%s, is_causal=%s", norm_class(h->cfg.qk_norm), k_norm, gates,
                     h->cfg.global_conv.causal ? "True" : "False");
    if (n < 0 || (size_t)n >= size)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "size: the description needs %d bytes, got %zu", n + 1, size);
    return SUBQ_OK;
}

/* ---- as an inner mixer ---- */

static subq_parameters *mixer_parameters(void *self)
{
    return subq_hyena_parameters(self);
}

static subq_status mixer_init(void *self, uint64_t seed)
{
    return subq_hyena_init(self, seed);
}

static subq_status mixer_forward(subq_stream *stream, void *self, const subq_tensor *q, const subq_tensor *k,
                                 const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out)
{
    return subq_hyena_forward(stream, self, q, k, v, conditioning, out);
}

static subq_status mixer_flop_count(const void *self, int rank, const int64_t *dims, int inference, int64_t *count)
{
    return subq_hyena_flop_count(self, rank, dims, inference, count);
}

static subq_status mixer_describe(const void *self, char *text, size_t size)
{
    return subq_hyena_describe(self, text, size);
}

static subq_status mixer_prefill(subq_stream *stream, void *self, void *state, const subq_tensor *q,
                                 const subq_tensor *k, const subq_tensor *v, const subq_tensor *conditioning,
                                 subq_tensor *out)
{
    return subq_hyena_prefill(stream, self, state, q, k, v, conditioning, out);
}

static subq_status mixer_step(subq_stream *stream, void *self, void *state, const subq_tensor *q, const subq_tensor *k,
                              const subq_tensor *v, subq_tensor *out)
{
    return subq_hyena_step(stream, self, state, q, k, v, out);
}

static void mixer_destroy(void *self)
{
    subq_hyena_destroy(self);
}

subq_sequence_mixer subq_hyena_mixer(subq_hyena *h, int owned)
{
    return (subq_sequence_mixer){.self = h, .hidden_dim = h ? h->channels : 0, .parameters = mixer_parameters,
                                 .init = mixer_init, .forward = mixer_forward, .flop_count = mixer_flop_count,
                                 .describe = mixer_describe, .prefill = mixer_prefill, .step = mixer_step,
                                 .destroy = owned ? mixer_destroy : NULL};
}
