/* Hyena and CKConvND as modules (include/subq/hyena.h): bad configs and shapes are refused with the
 * argument named, the parameter table has the reference's names and shapes, a cached kernel is
 * recomputed after parameters_load, init stays within its distributions' ranges, and incremental
 * inference equals the full forward. Whole-module parity with PyTorch is
 * tests/python/test_hyena_torch.py. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static subq_hyena_config typical(int64_t c)
{
    return (subq_hyena_config){.global_conv = {.data_dim = 1, .hidden_dim = c, .cache_size = {16}, .causal = 1},
                               .short_conv = {.kind = SUBQ_SHORT_CONV_CONV, .kernel_size = {3}, .causal = 1},
                               .pixelhyena_norm = SUBQ_HYENA_NORM_LAYER};
}

static void bad_configs(checker *c)
{
    subq_hyena *h = NULL;
    subq_hyena_config cfg = typical(8);
    check_invalid(c, "NULL config", subq_hyena_create(c->ctx, NULL, &h), "config");
    cfg.global_conv.data_dim = 4;
    check_invalid(c, "data_dim 4", subq_hyena_create(c->ctx, &cfg, &h), "data_dim");
    cfg = typical(8);
    cfg.global_conv.generator = SUBQ_GENERATOR_RFF, cfg.global_conv.generator_hidden = 7;
    check_invalid(c, "rff odd width", subq_hyena_create(c->ctx, &cfg, &h), "generator_hidden");
    cfg = typical(8);
    cfg.global_conv.data_dim = 2, cfg.global_conv.cache_size[1] = 8;
    check_invalid(c, "causal 2D", subq_hyena_create(c->ctx, &cfg, &h), "causal");
    cfg = typical(8);
    cfg.short_conv.kind = SUBQ_SHORT_CONV_DISTRIBUTED, cfg.short_conv.num_groups = 5;
    check_invalid(c, "groups not dividing 3C", subq_hyena_create(c->ctx, &cfg, &h), "num_groups");
    cfg = typical(8);
    cfg.global_conv.cp_size = 2, cfg.global_conv.causal = 0, cfg.short_conv.causal = 0;
    check_invalid(c, "hyena with cp", subq_hyena_create(c->ctx, &cfg, &h), "cp_size");
    cfg = typical(8);
    cfg.output_norm = (subq_hyena_norm)9;
    check_invalid(c, "unknown norm", subq_hyena_create(c->ctx, &cfg, &h), "output_norm");
    cfg = typical(8);
    cfg.global_conv.cache_size[0] = 1;
    check_invalid(c, "cache size 1", subq_hyena_create(c->ctx, &cfg, &h), "cache_size");
    if (h) check_fail(c, "bad configs", "a module was created");
}

static void parameter_table(checker *c, subq_hyena *h)
{
    const char *names[] = {"global_conv.shortcut", "global_conv.kernel_generator.input_layer.weight",
                           "global_conv.kernel_generator.input_layer.bias",
                           "global_conv.kernel_generator.hidden_layers.0.weight",
                           "global_conv.kernel_generator.hidden_layers.0.bias",
                           "global_conv.kernel_generator.hidden_layers.1.weight",
                           "global_conv.kernel_generator.hidden_layers.1.bias",
                           "global_conv.kernel_generator.output_layer.weight",
                           "global_conv.kernel_generator.output_layer.bias", "short_conv.weight",
                           "pixelhyena_norm.weight", "pixelhyena_norm.bias"};
    int64_t shapes[][3] = {{8}, {32, 1}, {32}, {32, 32}, {32}, {32, 32}, {32}, {8, 32}, {8}, {24, 1, 3}, {8}, {8}};
    int ranks[] = {1, 2, 1, 2, 1, 2, 1, 2, 1, 3, 1, 1};
    subq_parameters *p = subq_hyena_parameters(h);
    int32_t n = subq_parameters_count(p);
    bool ok = n == 12;
    for (int32_t i = 0; ok && i < n; i++) {
        subq_parameter_info info;
        ok = subq_parameters_info(p, i, &info) == SUBQ_OK && strcmp(info.name, names[i]) == 0 &&
             info.rank == ranks[i] && memcmp(info.shape, shapes[i], (size_t)info.rank * sizeof(int64_t)) == 0;
        if (!ok) check_fail(c, "parameter table", "entry %d: %s", (int)i, info.name);
    }
    if (ok) c->passed++;
    else if (n != 12) check_fail(c, "parameter table", "%d parameters, expected 12", (int)n);
    float one = 1.0f;
    check_invalid(c, "load an unknown name", subq_parameters_load(p, "short_conv.bias", &one, 1), "short_conv.bias");
}

static void init_ranges(checker *c, subq_hyena *h)
{
    float shortcut[8], taps[72], w0[32];
    subq_parameters *p = subq_hyena_parameters(h);
    if (!check_ok(c, "init", subq_hyena_init(h, 3)) ||
        !check_ok(c, "read", subq_parameters_read(p, "global_conv.shortcut", shortcut, 8)) ||
        !check_ok(c, "read", subq_parameters_read(p, "short_conv.weight", taps, 72)) ||
        !check_ok(c, "read", subq_parameters_read(p, "global_conv.kernel_generator.input_layer.weight", w0, 32)))
        return;
    bool ok = true;
    for (int i = 0; i < 8; i++) ok = ok && fabsf(shortcut[i]) <= sqrtf(1.0f / 8.0f);
    for (int i = 0; i < 72; i++) ok = ok && fabsf(taps[i]) <= sqrtf(1.0f / 3.0f);
    for (int i = 0; i < 32; i++) ok = ok && fabsf(w0[i]) <= 2.0f * 3.1415927f;
    if (ok) c->passed++;
    else check_fail(c, "init ranges", "a value outside U(+-bound)");
}

/* out [B, T, C] on the host after a forward of q, k, v. */
static bool forward(checker *c, subq_hyena *h, subq_tensor *q, subq_tensor *k, subq_tensor *v, subq_tensor *out,
                    float *host, size_t n)
{
    return check_ok(c, "forward", subq_hyena_forward(c->stream, h, q, k, v, NULL, out)) &&
           check_ok(c, "wait", subq_stream_wait(c->stream)) &&
           check_ok(c, "download", subq_tensor_download(out, host, n * sizeof(float)));
}

static void close_floats(checker *c, const char *label, const float *got, const float *want, size_t n, double tol)
{
    double *ref = check_alloc(n);
    if (!ref) return;
    for (size_t i = 0; i < n; i++) ref[i] = want[i];
    check_close_values(c, label, got, ref, n, tol);
    free(ref);
}

/* Module b gets a's weights by name after b's first forward: b must recompute its cached kernel. */
static void cache_invalidation(checker *c, subq_hyena *a, subq_hyena *b, subq_tensor *q, subq_tensor *k,
                               subq_tensor *v, subq_tensor *out, size_t n)
{
    float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got), values[2048];
    subq_parameters *pa = subq_hyena_parameters(a), *pb = subq_hyena_parameters(b);
    bool ok = want && got && check_ok(c, "init b", subq_hyena_init(b, 11)) && forward(c, b, q, k, v, out, got, n) &&
              forward(c, a, q, k, v, out, want, n);
    for (int32_t i = 0; ok && i < subq_parameters_count(pa); i++) {
        subq_parameter_info info;
        ok = subq_parameters_info(pa, i, &info) == SUBQ_OK && info.numel <= 2048 &&
             check_ok(c, "read", subq_parameters_read(pa, info.name, values, info.numel)) &&
             check_ok(c, "load", subq_parameters_load(pb, info.name, values, info.numel));
    }
    if (ok && forward(c, b, q, k, v, out, got, n)) close_floats(c, "forward after parameters_load", got, want, n, 1e-6);
    free(want);
    free(got);
}

static subq_tensor *token_view(checker *c, subq_tensor *t, int64_t i, int64_t batch, int64_t length, int64_t ch)
{
    return check_tensor_view(c, t, i * ch, 3, (int64_t[]){batch, 1, ch}, (int64_t[]){length * ch, ch, 1});
}

static void incremental(checker *c, subq_hyena *h, subq_tensor *q, subq_tensor *k, subq_tensor *v, subq_tensor *out,
                        int64_t batch, int64_t length, int64_t ch)
{
    size_t n = (size_t)(batch * length * ch);
    float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
    subq_hyena_state *state = NULL;
    subq_tensor *steps = check_poisoned(c, "steps", 3, (int64_t[]){batch, length, ch});
    int64_t prefix = 4;
    subq_tensor *qp = check_tensor_view(c, q, 0, 3, (int64_t[]){batch, prefix, ch}, (int64_t[]){length * ch, ch, 1});
    subq_tensor *kp = check_tensor_view(c, k, 0, 3, (int64_t[]){batch, prefix, ch}, (int64_t[]){length * ch, ch, 1});
    subq_tensor *vp = check_tensor_view(c, v, 0, 3, (int64_t[]){batch, prefix, ch}, (int64_t[]){length * ch, ch, 1});
    subq_tensor *op = check_tensor_view(c, steps, 0, 3, (int64_t[]){batch, prefix, ch}, (int64_t[]){length * ch, ch, 1});
    bool ok = want && got && steps && op && forward(c, h, q, k, v, out, want, n) &&
              check_ok(c, "state", subq_hyena_state_create(h, batch, length, &state)) &&
              check_ok(c, "prefill", subq_hyena_prefill(c->stream, h, state, qp, kp, vp, NULL, op));
    for (int64_t i = prefix; ok && i < length; i++) {
        subq_tensor *t[4] = {token_view(c, q, i, batch, length, ch), token_view(c, k, i, batch, length, ch),
                             token_view(c, v, i, batch, length, ch), token_view(c, steps, i, batch, length, ch)};
        ok = check_ok(c, "step", subq_hyena_step(c->stream, h, state, t[0], t[1], t[2], t[3]));
        if (ok && i == length - 1)
            check_invalid(c, "step past max_length",
                          subq_hyena_step(c->stream, h, state, t[0], t[1], t[2], t[3]), "max_length");
        for (int j = 0; j < 4; j++) subq_tensor_destroy(t[j]);
    }
    if (ok && check_ok(c, "wait", subq_stream_wait(c->stream)) &&
        check_ok(c, "download", subq_tensor_download(steps, got, n * sizeof(float))))
        close_floats(c, "prefill 4 + steps == forward", got, want, n, 1e-5);
    check_invalid(c, "prefill of two-token shape as a step",
                  subq_hyena_step(c->stream, h, state, qp, kp, vp, op), "one token");
    subq_hyena_state_destroy(state);
    subq_tensor *all[] = {steps, qp, kp, vp, op};
    for (int i = 0; i < 5; i++) subq_tensor_destroy(all[i]);
    free(want);
    free(got);
}

static void bad_shapes(checker *c, subq_hyena *h, subq_tensor *q, subq_tensor *k, subq_tensor *v, subq_tensor *out)
{
    subq_tensor *narrow = check_tensor_random(c, 3, (int64_t[]){2, 12, 7});
    check_invalid(c, "q of 7 channels", subq_hyena_forward(c->stream, h, narrow, k, v, NULL, out), "q");
    check_invalid(c, "out is q", subq_hyena_forward(c->stream, h, q, k, v, NULL, q), "out");
    check_invalid(c, "NULL module", subq_hyena_forward(c->stream, NULL, q, k, v, NULL, out), "module");
    check_invalid(c, "conditioning without FiLM", subq_hyena_forward(c->stream, h, q, k, v, q, out), "conditioning");
    subq_tensor_destroy(narrow);
}

void check_hyena(checker *c)
{
    int64_t batch = 2, length = 12, ch = 8, shape[3] = {batch, length, ch};
    bad_configs(c);
    subq_hyena_config cfg = typical(ch);
    subq_hyena *a = NULL, *b = NULL;
    subq_tensor *q = check_tensor_random(c, 3, shape), *k = check_tensor_random(c, 3, shape);
    subq_tensor *v = check_tensor_random(c, 3, shape), *out = check_poisoned(c, "out", 3, shape);
    if (q && k && v && out && check_ok(c, "create", subq_hyena_create(c->ctx, &cfg, &a)) &&
        check_ok(c, "create", subq_hyena_create(c->ctx, &cfg, &b))) {
        parameter_table(c, a);
        init_ranges(c, a);
        cache_invalidation(c, a, b, q, k, v, out, (size_t)(batch * length * ch));
        incremental(c, a, q, k, v, out, batch, length, ch);
        bad_shapes(c, a, q, k, v, out);
    }
    subq_hyena_destroy(a);
    subq_hyena_destroy(b);
    subq_tensor *all[] = {q, k, v, out};
    for (int i = 0; i < 4; i++) subq_tensor_destroy(all[i]);
}
