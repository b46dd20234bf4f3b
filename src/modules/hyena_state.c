/* Incremental inference of a 1D causal Hyena: prefill runs the full forward and keeps what later
 * tokens need; step advances one token with causal_conv1d_update for the short conv and a direct
 * sum against the cached kernel for the long one (shaders/hyena_step.comp). */
#include <stdlib.h>

#include "modules/hyena_module.h"
#include "ops/push.h"
#include "runtime/args.h"
#include "subq_shaders.h"

#define WORKGROUP 64

struct subq_hyena_state {
    subq_hyena *module;
    int64_t batch, max_length, length;
    int64_t taps;                          /* short conv width K; 0 without one */
    subq_tensor *conv_state, *zeros;       /* [B, 3C, K-1] each (K > 1) */
    subq_tensor *weight, *bias;            /* the short conv's taps per channel, [3C, K] and [3C] */
    uint64_t weight_version;
    bool has_weight;
    subq_tensor *history;                  /* z [B, max_length, C] */
    subq_tensor *kernel;                   /* [Bk, max_length, C], lag 0 first */
    bool has_kernel;
    subq_tensor *x3, *y3;                  /* [B, 3C]: one token of cat(q, k, v), and its short conv */
    subq_tensor *qn, *kn, *z, *h;          /* [B, C] */
};

typedef struct step_push {
    uint32_t kernel_first, z_first, shortcut_first, y_first;
    uint32_t batch, channels, max_length, t, kernel_batched;
    uint32_t y_stride_b;
} step_push;

static subq_status check_module(const subq_hyena *h)
{
    if (!h) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: expected a Hyena, got NULL");
    const subq_hyena_config *c = &h->cfg;
    if (c->global_conv.data_dim != 1 || !c->global_conv.causal)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: incremental inference needs a 1D causal global conv");
    if (c->short_conv.kind != SUBQ_SHORT_CONV_NONE && !c->short_conv.causal)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "module: incremental inference needs a causal short conv");
    return SUBQ_OK;
}

static subq_status make(subq_context *ctx, int rank, const int64_t *shape, subq_tensor **t)
{
    return subq_tensor_create(ctx, SUBQ_F32, rank, shape, t);
}

static subq_status build(subq_hyena_state *s)
{
    subq_hyena *h = s->module;
    subq_context *ctx = h->ctx;
    int64_t b = s->batch, c = h->channels, bk = h->cfg.global_conv.film_cond_dim ? b : 1;
    SUBQ_TRY(make(ctx, 3, (int64_t[]){b, s->max_length, c}, &s->history));
    SUBQ_TRY(make(ctx, 3, (int64_t[]){bk, s->max_length, c}, &s->kernel));
    SUBQ_TRY(make(ctx, 2, (int64_t[]){b, 3 * c}, &s->x3));
    SUBQ_TRY(make(ctx, 2, (int64_t[]){b, 3 * c}, &s->y3));
    SUBQ_TRY(make(ctx, 2, (int64_t[]){b, c}, &s->qn));
    SUBQ_TRY(make(ctx, 2, (int64_t[]){b, c}, &s->kn));
    SUBQ_TRY(make(ctx, 2, (int64_t[]){b, c}, &s->z));
    SUBQ_TRY(make(ctx, 2, (int64_t[]){b, c}, &s->h));
    if (!s->taps) return SUBQ_OK;
    SUBQ_TRY(make(ctx, 2, (int64_t[]){3 * c, s->taps}, &s->weight));
    if (h->short_bias) SUBQ_TRY(make(ctx, 1, (int64_t[]){3 * c}, &s->bias));
    if (s->taps == 1) return SUBQ_OK;
    int64_t shape[3] = {b, 3 * c, s->taps - 1};
    SUBQ_TRY(make(ctx, 3, shape, &s->conv_state));
    SUBQ_TRY(make(ctx, 3, shape, &s->zeros));
    float *zero = calloc((size_t)(b * 3 * c * (s->taps - 1)), sizeof *zero);
    if (!zero) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "hyena state: out of host memory");
    subq_status status = subq_tensor_upload(s->zeros, zero, (size_t)(b * 3 * c * (s->taps - 1)) * sizeof *zero);
    if (status == SUBQ_OK) status = subq_tensor_upload(s->conv_state, zero, (size_t)(b * 3 * c * (s->taps - 1)) * sizeof *zero);
    free(zero);
    return status;
}

subq_status subq_hyena_state_create(subq_hyena *h, int64_t batch, int64_t max_length, subq_hyena_state **state)
{
    if (!state) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: expected somewhere to write, got NULL");
    *state = NULL;
    SUBQ_TRY(check_module(h));
    if (batch < 1 || max_length < 1 || max_length > INT32_MAX)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "batch, max_length: expected >= 1 and 1 .. 2^31 - 1, got %lld "
                                                      "and %lld", (long long)batch, (long long)max_length);
    subq_hyena_state *s = calloc(1, sizeof *s);
    if (!s) return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "hyena state: out of host memory");
    *s = (subq_hyena_state){.module = h, .batch = batch, .max_length = max_length,
                            .taps = h->cfg.short_conv.kind ? h->cfg.short_conv.kernel_size[0] : 0};
    subq_status status = build(s);
    if (status != SUBQ_OK) {
        subq_hyena_state_destroy(s);
        return status;
    }
    *state = s;
    return SUBQ_OK;
}

void subq_hyena_state_destroy(subq_hyena_state *s)
{
    if (!s) return;
    subq_tensor *all[] = {s->conv_state, s->zeros, s->weight, s->bias, s->history, s->kernel,
                          s->x3, s->y3, s->qn, s->kn, s->z, s->h};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    free(s);
}

int64_t subq_hyena_state_length(const subq_hyena_state *s)
{
    return s ? s->length : 0;
}

/* The short conv's filters per channel of 3C (a Distributed conv's G prototypes repeated), as
 * causal_conv1d_update takes them; redone when the weights change. */
static subq_status expand_weights(subq_stream *stream, subq_hyena_state *s)
{
    subq_hyena *h = s->module;
    uint64_t version = subq_parameters_version(h->parameters);
    if (!s->taps || (s->has_weight && s->weight_version == version)) return SUBQ_OK;
    int64_t g = h->short_groups, per = 3 * h->channels / g, k = s->taps;
    subq_tensor from = subq_view_of(h->short_weight, 0, 3, (int64_t[]){g, per, k}, (int64_t[]){k, 0, 1});
    subq_tensor to = subq_view_of(s->weight, 0, 3, (int64_t[]){g, per, k}, NULL);
    SUBQ_TRY(subq_tensor_copy(stream, &from, &to));
    if (s->bias) {
        subq_tensor bfrom = subq_view_of(h->short_bias, 0, 2, (int64_t[]){g, per}, (int64_t[]){1, 0});
        subq_tensor bto = subq_view_of(s->bias, 0, 2, (int64_t[]){g, per}, NULL);
        SUBQ_TRY(subq_tensor_copy(stream, &bfrom, &bto));
    }
    s->weight_version = version;
    s->has_weight = true;
    return SUBQ_OK;
}

/* The causal kernel for max_length lags: the generator's upper half of the double grid. */
static subq_status make_kernel(subq_stream *stream, subq_hyena_state *s, const subq_tensor *conditioning)
{
    subq_ckconv *m = s->module->conv;
    int64_t n = s->max_length, c = m->cfg.hidden_dim, bk = s->kernel->shape[0], full_shape[3] = {bk, 2 * n - 1, c};
    subq_tensor *full;
    SUBQ_TRY(subq_scratch_get(&m->scratch, CKCONV_SCRATCH_KERNEL, 3, full_shape, &full));
    SUBQ_TRY(subq_ckconv_generate(stream, m, &n, conditioning, full));
    subq_tensor upper = subq_view_of(full, (n - 1) * c, 3, (int64_t[]){bk, n, c}, (int64_t[]){(2 * n - 1) * c, c, 1});
    SUBQ_TRY(subq_tensor_copy(stream, &upper, s->kernel));
    s->has_kernel = true;
    return SUBQ_OK;
}

static subq_status check_state(const subq_hyena *h, const subq_hyena_state *s, const subq_tensor *q)
{
    if (!s) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: expected a Hyena state, got NULL");
    if (s->module != h) return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: belongs to another Hyena module");
    if (q->shape[0] != s->batch)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "q: the state holds %lld sequences, got batch %lld",
                         (long long)s->batch, (long long)q->shape[0]);
    return SUBQ_OK;
}

/* The state's short conv window: the last K-1 tokens of cat(q, k, v) (zeros before the first). */
static subq_status keep_window(subq_stream *stream, subq_hyena_state *s, const subq_tensor *in[3])
{
    if (!s->conv_state) return SUBQ_OK;
    SUBQ_TRY(subq_tensor_copy(stream, s->zeros, s->conv_state));
    int64_t w = s->taps - 1, t = in[0]->shape[1], n = t < w ? t : w, c = s->module->channels;
    for (int i = 0; i < 3; i++) {
        const subq_tensor *x = in[i];
        subq_tensor from = subq_view_of(x, (t - n) * x->strides[1], 3, (int64_t[]){s->batch, c, n},
                                        (int64_t[]){x->strides[0], x->strides[2], x->strides[1]});
        subq_tensor to = subq_view_of(s->conv_state, i * c * w + (w - n), 3, (int64_t[]){s->batch, c, n},
                                      (int64_t[]){3 * c * w, w, 1});
        SUBQ_TRY(subq_tensor_copy(stream, &from, &to));
    }
    return SUBQ_OK;
}

subq_status subq_hyena_prefill(subq_stream *stream, subq_hyena *h, subq_hyena_state *s, const subq_tensor *q,
                               const subq_tensor *k, const subq_tensor *v, const subq_tensor *conditioning,
                               subq_tensor *out)
{
    SUBQ_TRY(check_module(h));
    SUBQ_TRY(subq_hyena_check_io(stream, h, q, k, v, out));
    SUBQ_TRY(check_state(h, s, q));
    SUBQ_TRY(subq_ckconv_check_conditioning(stream, h->conv, conditioning, q->shape[0]));
    int64_t t = q->shape[1], c = h->channels;
    if (t > s->max_length)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "q: %lld tokens, more than the state's max_length %lld",
                         (long long)t, (long long)s->max_length);
    SUBQ_TRY(make_kernel(stream, s, conditioning));
    subq_tensor z = subq_view_of(s->history, 0, 3, (int64_t[]){s->batch, c, t},
                                 (int64_t[]){s->max_length * c, 1, c});
    SUBQ_TRY(subq_hyena_run(stream, h, q, k, v, conditioning, out, &z));
    SUBQ_TRY(keep_window(stream, s, (const subq_tensor *[]){q, k, v}));
    s->length = t;
    return SUBQ_OK;
}

/* [B, 1, C] as [B, C]. */
static subq_tensor token(const subq_tensor *t)
{
    subq_tensor v = *t;
    v.rank = 2;
    v.shape[1] = t->shape[2];
    v.strides[1] = t->strides[2];
    return v;
}

/* q, k, v of this token after the short conv (views of y3), or the inputs themselves. */
static subq_status step_short_conv(subq_stream *stream, subq_hyena_state *s, const subq_tensor *in[3],
                                   subq_tensor out[3])
{
    int64_t c = s->module->channels, b = s->batch;
    for (int i = 0; i < 3; i++) out[i] = token(in[i]);
    if (!s->taps) return SUBQ_OK;
    SUBQ_TRY(expand_weights(stream, s));
    for (int i = 0; i < 3; i++) {
        subq_tensor block = subq_view_of(s->x3, i * c, 2, (int64_t[]){b, c}, (int64_t[]){3 * c, 1});
        SUBQ_TRY(subq_tensor_copy(stream, &out[i], &block));
    }
    if (s->conv_state) {
        SUBQ_TRY(subq_causal_conv1d_update(stream, s->x3, s->conv_state, s->weight, s->bias, NULL, NULL, NULL, s->y3));
    } else { /* K = 1: a per-channel scale (and bias) */
        subq_tensor x = subq_view_of(s->x3, 0, 3, (int64_t[]){b, 3 * c, 1}, NULL);
        subq_tensor y = subq_view_of(s->y3, 0, 3, (int64_t[]){b, 3 * c, 1}, NULL);
        subq_depthwise_conv_options o = {.padding = SUBQ_PADDING_CAUSAL};
        SUBQ_TRY(subq_depthwise_conv(stream, &x, s->weight, s->bias, &o, &y));
    }
    for (int i = 0; i < 3; i++) out[i] = subq_view_of(s->y3, i * c, 2, (int64_t[]){b, c}, (int64_t[]){3 * c, 1});
    return SUBQ_OK;
}

static subq_status long_conv_step(subq_stream *stream, subq_hyena_state *s, subq_tensor *y)
{
    const subq_ckconv *m = s->module->conv;
    step_push p = {.kernel_first = subq_push_first(s->kernel), .z_first = subq_push_first(s->history),
                   .shortcut_first = subq_push_first(m->shortcut), .y_first = subq_push_first(y),
                   .batch = (uint32_t)s->batch, .channels = (uint32_t)s->module->channels,
                   .max_length = (uint32_t)s->max_length, .t = (uint32_t)s->length,
                   .kernel_batched = s->kernel->shape[0] > 1, .y_stride_b = (uint32_t)y->strides[0]};
    subq_kernel k = {.shader = &subq_shader_hyena_step, .bindings = 4, .push_bytes = sizeof p, .spec_count = 1,
                     .spec = {WORKGROUP}};
    subq_arg args[4] = {{s->kernel, false}, {s->history, false}, {m->shortcut, false}, {y, true}};
    uint32_t groups[3];
    SUBQ_TRY(subq_groups_1d(subq_stream_context(stream), (uint64_t)p.batch * p.channels, WORKGROUP, groups));
    return subq_stream_dispatch(stream, &k, args, &p, groups);
}

static subq_status check_step(const subq_stream *stream, const subq_hyena *h, const subq_hyena_state *s,
                              const subq_tensor *q, const subq_tensor *k, const subq_tensor *v, const subq_tensor *out)
{
    SUBQ_TRY(check_module(h));
    SUBQ_TRY(subq_hyena_check_io(stream, h, q, k, v, out));
    SUBQ_TRY(check_state(h, s, q));
    if (q->shape[1] != 1)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "q: a step takes one token [B, 1, C], got %lld",
                         (long long)q->shape[1]);
    if (s->length >= s->max_length)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: full (max_length %lld tokens)", (long long)s->max_length);
    if (!s->has_kernel && h->cfg.global_conv.film_cond_dim)
        return subq_fail(SUBQ_ERROR_INVALID_ARGUMENT, "state: a FiLM-conditioned Hyena needs a prefill first (it "
                                                      "takes the conditioning)");
    return SUBQ_OK;
}

subq_status subq_hyena_step(subq_stream *stream, subq_hyena *h, subq_hyena_state *s, const subq_tensor *q,
                            const subq_tensor *k, const subq_tensor *v, subq_tensor *out)
{
    SUBQ_TRY(check_step(stream, h, s, q, k, v, out));
    if (!s->has_kernel) SUBQ_TRY(make_kernel(stream, s, NULL));
    subq_tensor t[3];
    SUBQ_TRY(step_short_conv(stream, s, (const subq_tensor *[]){q, k, v}, t));
    const subq_tensor *qt = &t[0], *kt = &t[1];
    if (h->q_norm.kind) {
        SUBQ_TRY(subq_hyena_normalize(stream, &h->q_norm, SUBQ_CHANNELS_LAST, qt, s->qn));
        qt = s->qn;
    }
    if (h->k_norm.kind) {
        SUBQ_TRY(subq_hyena_normalize(stream, &h->k_norm, SUBQ_CHANNELS_LAST, kt, s->kn));
        kt = s->kn;
    }
    int64_t c = h->channels;
    subq_tensor row = subq_view_of(s->history, s->length * c, 2, (int64_t[]){s->batch, c},
                                   (int64_t[]){s->max_length * c, 1});
    SUBQ_TRY(subq_hyena_gated(stream, &h->pixelhyena_norm, SUBQ_CHANNELS_LAST, qt, kt, h->cfg.gate, &row));
    SUBQ_TRY(long_conv_step(stream, s, s->h));
    subq_tensor y = token(out);
    SUBQ_TRY(subq_hyena_gated(stream, &h->output_norm, SUBQ_CHANNELS_LAST, s->h, &t[2], h->gate_2, &y));
    s->length++;
    return SUBQ_OK;
}
