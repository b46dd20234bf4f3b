/* Hyena and the QKV mixer across a local context-parallel group (P = 2 and 4, one context and one
 * thread per rank): every rank holds the module with the same weights (one init seed) and its
 * zigzag part of q, k, v; the ranks' outputs, put back in natural order, equal subq_hyena_forward
 * of the whole sequence on one device within 1e-6 relative. 1D non-causal and 2D, with and
 * without the short conv (ConvNd and grouped Distributed), QK, PixelHyena and output norms, FiLM
 * off and on; then the refusals, each failing on every rank. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cp_ranks.h"

/* A [B, S0, *R, C] tensor of the whole sequence. */
typedef struct seq_shape {
    int rank; /* D + 2 */
    int64_t dims[5];
} seq_shape;

static int64_t numel(const seq_shape *s)
{
    int64_t n = 1;
    for (int a = 0; a < s->rank; a++) n *= s->dims[a];
    return n;
}

/* Rank r's part [B, S0/P, *R, C]: chunks r and 2P-1-r of axis 1 (SPEC.md section 6). */
static void zigzag_part(const seq_shape *s, int p, int r, const double *whole, double *part)
{
    int64_t inner = numel(s) / (s->dims[0] * s->dims[1]), chunk = s->dims[1] / (2 * p);
    int64_t first[2] = {r * chunk, (2 * p - 1 - r) * chunk};
    size_t at = 0;
    for (int64_t b = 0; b < s->dims[0]; b++)
        for (int h = 0; h < 2; h++)
            for (int64_t i = 0; i < chunk; i++) {
                const double *row = whole + (b * s->dims[1] + first[h] + i) * inner;
                memcpy(part + at, row, (size_t)inner * sizeof *part);
                at += (size_t)inner;
            }
}

static seq_shape part_shape(const seq_shape *s, int p)
{
    seq_shape part = *s;
    part.dims[1] /= p;
    return part;
}

/* ---- the whole sequence on one device, then every rank's part ---------------------------------- */

typedef struct hyena_job {
    const char *name;
    subq_hyena_config cfg;
    bool mixer;                      /* QKVSequenceMixer(Hyena) instead of Hyena */
    seq_shape shape;                 /* of the whole sequence */
    const double *q, *k, *v;         /* whole; x of the mixer is q */
    const double *conditioning;      /* [B, film_cond_dim] or NULL */
    const double *expected;          /* the one-device output */
} hyena_job;

/* Module (Hyena, or a QKV mixer around one) of the job's config, initialised with one seed. */
typedef struct module {
    subq_hyena *hyena;
    subq_qkv_mixer *mixer;
} module;

static subq_status module_create(subq_context *ctx, const hyena_job *job, module *m)
{
    *m = (module){0};
    subq_status status = subq_hyena_create(ctx, &job->cfg, &m->hyena);
    if (status != SUBQ_OK || !job->mixer) return status == SUBQ_OK ? subq_hyena_init(m->hyena, 7) : status;
    subq_qkv_mixer_config q = {.hidden_dim = job->cfg.global_conv.hidden_dim, .qkv_bias = 1,
                               .mixer = subq_hyena_mixer(m->hyena, 1)};
    status = subq_qkv_mixer_create(ctx, &q, &m->mixer);
    if (status != SUBQ_OK) return status;
    m->hyena = NULL; /* owned by the mixer */
    return subq_qkv_mixer_init(m->mixer, 7);
}

static void module_destroy(module *m)
{
    subq_hyena_destroy(m->hyena);
    subq_qkv_mixer_destroy(m->mixer);
}

static subq_status module_forward(subq_stream *s, module *m, subq_cp_group *g, subq_tensor *const in[3],
                                  const subq_tensor *cond, subq_tensor *out)
{
    if (m->mixer) return subq_qkv_mixer_forward_cp(s, m->mixer, g, in[0], cond, out);
    if (!g) return subq_hyena_forward(s, m->hyena, in[0], in[1], in[2], cond, out);
    return subq_hyena_forward_cp(s, m->hyena, g, in[0], in[1], in[2], cond, out);
}

/* Uploads q, k, v (parts or whole), runs the forward (across g, or alone when g is NULL) and
 * compares with expected (or, expected NULL, downloads into got). */
static void run_module(checker *c, const char *label, const hyena_job *job, subq_cp_group *g, const seq_shape *shape,
                       const double *const values[3], const double *expected, double *got)
{
    int64_t n = numel(shape);
    module m;
    subq_tensor *in[3] = {0}, *out = check_poisoned(c, label, shape->rank, shape->dims), *cond = NULL;
    for (int i = 0; i < 3; i++) in[i] = check_upload(c, label, shape->rank, shape->dims, values[i]);
    if (job->conditioning)
        cond = check_upload(c, label, 2, (int64_t[]){shape->dims[0], job->cfg.global_conv.film_cond_dim},
                            job->conditioning);
    bool ready = in[0] && in[1] && in[2] && out && (cond || !job->conditioning);
    if (check_ok(c, label, module_create(c->ctx, job, &m)) && ready &&
        check_ok(c, label, module_forward(c->stream, &m, g, in, cond, out)) &&
        check_ok(c, label, subq_stream_wait(c->stream))) {
        if (expected) {
            check_close(c, label, out, expected, (size_t)n, 1e-6);
        } else {
            float *host = malloc((size_t)n * sizeof *host);
            if (host && check_ok(c, label, subq_tensor_download(out, host, (size_t)n * sizeof *host)))
                for (int64_t i = 0; i < n; i++) got[i] = host[i];
            free(host);
        }
    }
    module_destroy(&m);
    subq_tensor *all[] = {in[0], in[1], in[2], out, cond};
    for (int i = 0; i < 5; i++) subq_tensor_destroy(all[i]);
}

static void rank_body(rank_run *run)
{
    const hyena_job *job = run->job;
    seq_shape part = part_shape(&job->shape, run->size);
    size_t n = (size_t)numel(&part);
    double *parts[4];
    const double *whole[4] = {job->q, job->k, job->v, job->expected};
    for (int i = 0; i < 4; i++) {
        parts[i] = check_alloc(n);
        zigzag_part(&job->shape, run->size, run->rank, whole[i], parts[i]);
    }
    char label[160];
    snprintf(label, sizeof label, "%s P=%d rank %d", job->name, run->size, run->rank);
    run_module(&run->c, label, job, run->group, &part, (const double *const[]){parts[0], parts[1], parts[2]},
               parts[3], NULL);
    for (int i = 0; i < 4; i++) free(parts[i]);
}

static void run_job(checker *c, cp_world *w, hyena_job job, const int *sizes, int size_count)
{
    size_t n = (size_t)numel(&job.shape);
    int64_t film = job.cfg.global_conv.film_cond_dim;
    double *values[3], *expected = check_alloc(n), *cond = film ? check_alloc((size_t)(job.shape.dims[0] * film)) : NULL;
    for (int i = 0; i < 3; i++) {
        values[i] = check_alloc(n);
        check_random(c, values[i], n);
    }
    if (cond) check_random(c, cond, (size_t)(job.shape.dims[0] * film));
    job.q = values[0], job.k = values[1], job.v = values[2], job.conditioning = cond;
    char label[160];
    snprintf(label, sizeof label, "%s on one device", job.name);
    run_module(c, label, &job, NULL, &job.shape, (const double *const[]){values[0], values[1], values[2]}, NULL,
               expected);
    job.expected = expected;
    for (int i = 0; i < size_count; i++) cp_run_ranks(c, w, sizes[i], rank_body, &job);
    for (int i = 0; i < 3; i++) free(values[i]);
    free(expected);
    free(cond);
}

static subq_hyena_config config_1d(int64_t c, int64_t length)
{
    return (subq_hyena_config){
        .global_conv = {.data_dim = 1, .hidden_dim = c, .cache_size = {length}},
        .short_conv = {.kind = SUBQ_SHORT_CONV_CONV, .kernel_size = {3}, .causal = 1},
        .qk_norm = SUBQ_HYENA_NORM_RMS, /* identity gate: k_norm too */
        .pixelhyena_norm = SUBQ_HYENA_NORM_LAYER,
        .output_norm = SUBQ_HYENA_NORM_RMS,
    };
}

static void grid(checker *c, cp_world *w)
{
    const int both[] = {2, 4};
    int64_t ch = 8;
    /* 1D, every norm, causal short conv over the whole sequence, FiLM off */
    hyena_job job = {.name = "hyena 1D", .cfg = config_1d(ch, 40), .shape = {3, {2, 40, ch}}};
    run_job(c, w, job, both, 2);
    /* 1D, FiLM on, silu/sigmoid gates (no k_norm), grouped Distributed short conv with bias, no
     * PixelHyena norm (the one-device path fuses q * gate(k) into the FFT conv; CP forms z) */
    job.name = "hyena 1D FiLM, grouped short conv";
    job.cfg.global_conv.film_cond_dim = 3;
    job.cfg.global_conv.mask = SUBQ_KERNEL_MASK_GAUSSIAN;
    job.cfg.short_conv = (subq_short_conv_config){.kind = SUBQ_SHORT_CONV_DISTRIBUTED, .kernel_size = {4},
                                                  .bias = 1, .num_groups = 12};
    job.cfg.gate = SUBQ_ACTIVATION_SILU, job.cfg.has_gate_2 = 1, job.cfg.gate_2 = SUBQ_ACTIVATION_SIGMOID;
    job.cfg.pixelhyena_norm = SUBQ_HYENA_NORM_NONE;
    job.shape = (seq_shape){3, {1, 56, ch}};
    run_job(c, w, job, both, 2);
    /* 2D, 3x3 'same' short conv, L2 QK norm, LayerNorms, circular second axis, FiLM on, a mask of
     * [2, C] (the rank's columns) */
    job = (hyena_job){.name = "hyena 2D FiLM", .shape = {4, {2, 8, 5, ch}}};
    job.cfg = (subq_hyena_config){.global_conv = {.data_dim = 2, .hidden_dim = ch, .cache_size = {8, 5},
                                                  .film_cond_dim = 2, .padding = {0, SUBQ_FFT_PADDING_CIRCULAR},
                                                  .mask = SUBQ_KERNEL_MASK_EXPONENTIAL,
                                                  .grid_type = {0, SUBQ_CKCONV_GRID_SINGLE}},
                                  .short_conv = {.kind = SUBQ_SHORT_CONV_CONV, .kernel_size = {3, 3}},
                                  .qk_norm = SUBQ_HYENA_NORM_L2, .pixelhyena_norm = SUBQ_HYENA_NORM_LAYER,
                                  .output_norm = SUBQ_HYENA_NORM_LAYER};
    run_job(c, w, job, both, 2);
    /* 2D without a short conv (two all-to-alls), silu gate, RFF kernel */
    job.name = "hyena 2D no short conv";
    job.cfg.short_conv.kind = SUBQ_SHORT_CONV_NONE;
    job.cfg.global_conv.film_cond_dim = 0;
    job.cfg.global_conv.generator = SUBQ_GENERATOR_RFF;
    job.cfg.gate = SUBQ_ACTIVATION_SILU;
    job.shape = (seq_shape){4, {1, 16, 3, ch}};
    run_job(c, w, job, both, 2);
    /* QKVSequenceMixer(Hyena): q, k, v are column blocks of one projection (no concatenation copy) */
    job = (hyena_job){.name = "qkv mixer(hyena 1D)", .cfg = config_1d(ch, 24), .mixer = true,
                      .shape = {3, {2, 24, ch}}};
    run_job(c, w, job, both, 2);
    job.name = "qkv mixer(hyena 2D)";
    job.cfg = (subq_hyena_config){.global_conv = {.data_dim = 2, .hidden_dim = ch, .cache_size = {8, 3}},
                                  .short_conv = {.kind = SUBQ_SHORT_CONV_CONV, .kernel_size = {3, 1}},
                                  .pixelhyena_norm = SUBQ_HYENA_NORM_RMS};
    job.shape = (seq_shape){4, {1, 8, 3, ch}};
    run_job(c, w, job, both + 1, 1);
}

/* ---- refusals (P = 2): every rank runs the same rows, each row fails on both ------------------- */

typedef struct refusal_fixture {
    subq_hyena *hyena, *causal, *odd;         /* C = 4 non-causal; causal; C = 3 */
    subq_tensor *x, *out, *x_long, *out_long, *x_odd_length, *out_odd_length, *x3, *out3, *cond;
    subq_qkv_mixer *plain;                    /* inner mixer without forward_cp */
} refusal_fixture;

static void refusal_rows(rank_run *run, refusal_fixture *f)
{
    checker *c = &run->c;
    subq_stream *s = c->stream;
    subq_cp_group *g = run->group;
    bool first = run->rank == 0;
    subq_tensor *x = f->x, *out = f->out;
    check_invalid(c, "hyena cp causal", subq_hyena_forward_cp(s, f->causal, g, x, x, x, NULL, out),
                  "causal Hyena cannot run across");
    check_invalid(c, "hyena cp C % P", subq_hyena_forward_cp(s, f->odd, g, f->x3, f->x3, f->x3, NULL, f->out3),
                  "3 channels are not divisible by the group size 2");
    check_invalid(c, "hyena cp L % 2P",
                  subq_hyena_forward_cp(s, f->hyena, g, f->x_odd_length, f->x_odd_length, f->x_odd_length, NULL,
                                        f->out_odd_length),
                  "L = 6 is not divisible by 2P = 4");
    check_invalid(c, "hyena cp one rank's out is q",
                  subq_hyena_forward_cp(s, f->hyena, g, x, x, x, NULL, first ? out : x),
                  first ? "rank 1 refused its arguments" : "out: shares memory");
    check_invalid(c, "hyena cp one rank without a module",
                  subq_hyena_forward_cp(s, first ? NULL : f->hyena, g, x, x, x, NULL, out),
                  first ? "module: expected a Hyena" : "rank 0 refused its arguments");
    check_invalid(c, "hyena cp shapes differ",
                  subq_hyena_forward_cp(s, f->hyena, g, first ? x : f->x_long, first ? x : f->x_long,
                                        first ? x : f->x_long, NULL, first ? out : f->out_long),
                  "every rank must pass the same shapes");
    check_invalid(c, "hyena cp conditioning without FiLM",
                  subq_hyena_forward_cp(s, f->hyena, g, x, x, x, first ? NULL : f->cond, out),
                  first ? "rank 1 refused" : "conditioning");
    check_error(c, "qkv mixer cp without an inner forward_cp",
                subq_qkv_mixer_forward_cp(s, f->plain, g, x, NULL, out), SUBQ_ERROR_UNSUPPORTED,
                "no context-parallel forward");
    check_invalid(c, "qkv mixer cp NULL module", subq_qkv_mixer_forward_cp(s, NULL, g, x, NULL, out), "module");
}

static void refusals_body(rank_run *run)
{
    checker *c = &run->c;
    refusal_fixture f = {0};
    subq_hyena_config cfg = config_1d(4, 8), causal = cfg, odd = config_1d(3, 8);
    causal.global_conv.causal = 1;
    subq_hyena *inner = NULL;
    bool made = check_ok(c, "create", subq_hyena_create(c->ctx, &cfg, &f.hyena)) &&
                check_ok(c, "create", subq_hyena_create(c->ctx, &causal, &f.causal)) &&
                check_ok(c, "create", subq_hyena_create(c->ctx, &odd, &f.odd)) &&
                check_ok(c, "create", subq_hyena_create(c->ctx, &cfg, &inner));
    if (made) {
        subq_qkv_mixer_config q = {.hidden_dim = 4, .mixer = subq_hyena_mixer(inner, 1)};
        q.mixer.forward_cp = NULL;
        made = check_ok(c, "create", subq_qkv_mixer_create(c->ctx, &q, &f.plain));
        if (made) inner = NULL;
    }
    f.x = check_tensor_random(c, 3, (int64_t[]){2, 4, 4});
    f.out = check_poisoned(c, "out", 3, (int64_t[]){2, 4, 4});
    f.x_long = check_tensor_random(c, 3, (int64_t[]){2, 6, 4});
    f.out_long = check_poisoned(c, "out", 3, (int64_t[]){2, 6, 4});
    f.x_odd_length = check_tensor_random(c, 3, (int64_t[]){2, 3, 4});
    f.out_odd_length = check_poisoned(c, "out", 3, (int64_t[]){2, 3, 4});
    f.x3 = check_tensor_random(c, 3, (int64_t[]){2, 4, 3});
    f.out3 = check_poisoned(c, "out", 3, (int64_t[]){2, 4, 3});
    f.cond = check_tensor_random(c, 2, (int64_t[]){2, 2});
    subq_tensor *all[] = {f.x, f.out, f.x_long, f.out_long, f.x_odd_length, f.out_odd_length, f.x3, f.out3, f.cond};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) made = made && all[i];
    if (made) {
        refusal_rows(run, &f);
        /* the group and the module still work */
        if (check_ok(c, "hyena cp after refusals", subq_hyena_init(f.hyena, 1)) &&
            check_ok(c, "hyena cp after refusals", subq_hyena_forward_cp(c->stream, f.hyena, run->group, f.x, f.x,
                                                                         f.x, NULL, f.out)))
            check_ok(c, "hyena cp after refusals", subq_stream_wait(c->stream));
    }
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
    subq_hyena_destroy(f.hyena);
    subq_hyena_destroy(f.causal);
    subq_hyena_destroy(f.odd);
    subq_hyena_destroy(inner);
    subq_qkv_mixer_destroy(f.plain);
}

/* A group of one rank is the plain forward, a causal module included. */
static void single_rank_body(rank_run *run)
{
    checker *c = &run->c;
    subq_hyena_config cfg = config_1d(4, 6);
    cfg.global_conv.causal = 1;
    subq_hyena *h = NULL;
    subq_tensor *x = check_tensor_random(c, 3, (int64_t[]){1, 6, 4});
    subq_tensor *a = check_poisoned(c, "out", 3, (int64_t[]){1, 6, 4}), *b = check_poisoned(c, "out", 3, (int64_t[]){1, 6, 4});
    float ga[24], gb[24];
    if (x && a && b && check_ok(c, "create", subq_hyena_create(c->ctx, &cfg, &h)) &&
        check_ok(c, "init", subq_hyena_init(h, 2)) &&
        check_ok(c, "P=1 cp forward", subq_hyena_forward_cp(c->stream, h, run->group, x, x, x, NULL, a)) &&
        check_ok(c, "forward", subq_hyena_forward(c->stream, h, x, x, x, NULL, b)) &&
        check_ok(c, "wait", subq_stream_wait(c->stream)) && check_ok(c, "down", subq_tensor_download(a, ga, sizeof ga)) &&
        check_ok(c, "down", subq_tensor_download(b, gb, sizeof gb))) {
        if (memcmp(ga, gb, sizeof ga)) check_fail(c, "hyena cp P=1", "differs from subq_hyena_forward");
        else c->passed++;
    }
    subq_hyena_destroy(h);
    subq_tensor_destroy(x);
    subq_tensor_destroy(a);
    subq_tensor_destroy(b);
}

void check_cp_hyena(checker *c)
{
    cp_world w;
    if (cp_world_create(c, &w)) {
        grid(c, &w);
        cp_run_ranks(c, &w, 2, refusals_body, NULL);
        cp_run_ranks(c, &w, 1, single_rank_body, NULL);
    }
    cp_world_destroy(&w);
}
