/* subq_norm and subq_gated_norm against ref_norm (and ref_gate): every kind in both layouts, both
 * ways a row is walked (channels across a workgroup, held in registers or streamed; one invocation
 * per row), gamma and beta, gates before and after, strided views, in place, the largest input one
 * binding allows, and a bad-input table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"
#include "views.h"

typedef enum in_place { SEPARATE = 0, INTO_A, INTO_B } in_place;
typedef enum gate_use { NO_GATE = 0, BEFORE, AFTER } gate_use;

typedef struct norm_case {
    int rank;
    int64_t shape[SUBQ_MAX_RANK];
    subq_norm_kind kind;
    subq_layout layout;
    float eps; /* 0: the kind's default */
    bool gamma, beta;
    gate_use gate;
    subq_activation activation;
    check_place a, b, y;
    in_place target;
    double center; /* added to a's values */
} norm_case;

static void describe(const norm_case *k, char *buf, size_t size)
{
    static const char *kinds[] = {"rms", "layer", "l2"}, *gates[] = {"", " gate-before", " gate-after"};
    int n = snprintf(buf, size, "norm %s %s [", kinds[k->kind], k->layout ? "channels-first" : "channels-last");
    for (int i = 0; i < k->rank; i++) n += snprintf(buf + n, size - (size_t)n, i ? ",%lld" : "%lld", (long long)k->shape[i]);
    snprintf(buf + n, size - (size_t)n, "]%s%s%s act %d layouts %d/%d/%d%s", k->gamma ? " gamma" : "",
             k->beta ? " beta" : "", gates[k->gate], k->activation, k->a.layout, k->b.layout, k->y.layout,
             k->target == INTO_A ? " y=a" : k->target == INTO_B ? " y=b" : "");
}

static double default_eps(subq_norm_kind kind)
{
    return kind == SUBQ_NORM_LAYER ? 1e-5 : kind == SUBQ_NORM_L2 ? 1e-12 : 1e-6;
}

/* The norm of a (or of a * act(b)), then * act(b) for a gate after: the math, in double. */
static void reference(const norm_case *k, const double *a, const double *b, const double *gamma,
                      const double *beta, double *ref, int64_t n)
{
    int axis = k->layout == SUBQ_CHANNELS_FIRST ? 1 : k->rank - 1;
    int64_t channels = k->shape[axis], inner = 1;
    for (int i = axis + 1; i < k->rank; i++) inner *= k->shape[i];
    ref_nn_activation act = (ref_nn_activation)k->activation;
    if (k->gate == BEFORE) ref_gate(a, b, act, ref, n);
    else
        for (int64_t i = 0; i < n; i++) ref[i] = a[i];
    double eps = k->eps > 0 ? (double)k->eps : default_eps(k->kind);
    ref_norm(ref, gamma, beta, (ref_norm_kind)k->kind, eps, ref, n / (channels * inner), channels, inner);
    if (k->gate == AFTER) ref_gate(ref, b, act, ref, n);
}

static subq_status call(checker *c, const norm_case *k, const check_view *a, const check_view *b, subq_tensor *gamma,
                        subq_tensor *beta, const check_view *y)
{
    subq_norm_options o = {.kind = k->kind, .layout = k->layout, .eps = k->eps,
                           .gate_position = k->gate == AFTER ? SUBQ_GATE_AFTER : SUBQ_GATE_BEFORE};
    if (k->gate == NO_GATE) return subq_norm(c->stream, a->view, gamma, beta, &o, y->view);
    return subq_gated_norm(c->stream, a->view, b->view, k->activation, gamma, beta, &o, y->view);
}

static void run_case(checker *c, norm_case k)
{
    char label[256];
    describe(&k, label, sizeof label);
    int64_t n = 1, channels = k.shape[k.layout == SUBQ_CHANNELS_FIRST ? 1 : k.rank - 1];
    for (int i = 0; i < k.rank; i++) n *= k.shape[i];
    double *a = check_alloc((size_t)n), *b = check_alloc((size_t)n), *ref = check_alloc((size_t)n);
    double *gamma = check_alloc((size_t)channels), *beta = check_alloc((size_t)channels);
    check_random(c, a, (size_t)n);
    if (k.gate != NO_GATE) check_random(c, b, (size_t)n);
    check_random(c, gamma, (size_t)channels);
    check_random(c, beta, (size_t)channels);
    /* the reference sees exactly the fp32 values the device gets */
    for (int64_t i = 0; i < n; i++) {
        a[i] = (float)(a[i] + k.center);
        b[i] = (float)(3.0 * b[i]);
    }
    for (int64_t i = 0; i < channels; i++) {
        gamma[i] = (float)gamma[i];
        beta[i] = (float)beta[i];
    }
    reference(&k, a, b, k.gamma ? gamma : NULL, k.beta ? beta : NULL, ref, n);
    check_view ta = {0}, tb = {0}, ty = {0};
    subq_tensor *tg = k.gamma ? check_upload(c, label, 1, &channels, gamma) : NULL;
    subq_tensor *tbeta = k.beta ? check_upload(c, label, 1, &channels, beta) : NULL;
    bool ok = (tg || !k.gamma) && (tbeta || !k.beta) &&
              check_view_place(c, label, &ta, k.rank, k.shape, k.a, a) &&
              (k.gate == NO_GATE || check_view_place(c, label, &tb, k.rank, k.shape, k.b, b)) &&
              (k.target != SEPARATE ||
               check_view_place(c, label, &ty, k.rank, k.shape, k.y, NULL));
    const check_view *out = k.target == INTO_A ? &ta : k.target == INTO_B ? &tb : &ty;
    if (ok && check_ok(c, label, call(c, &k, &ta, &tb, tg, tbeta, out)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_view_close(c, label, out, ref, 1e-5);
    check_view_release(&ta);
    check_view_release(&tb);
    check_view_release(&ty);
    subq_tensor_destroy(tg);
    subq_tensor_destroy(tbeta);
    free(a);
    free(b);
    free(ref);
    free(gamma);
    free(beta);
}

static const check_place DENSE = {CHECK_LAYOUT_DENSE, 0, 0}, TRANSPOSED = {CHECK_LAYOUT_TRANSPOSED, 0, 0};
static const check_place PADDED = {CHECK_LAYOUT_PADDED, 5, 3};

/* Channel counts for each row shape: 1 invocation's worth, a partial workgroup, several values per
 * invocation (1, 2, 4, 8 in registers), primes, and one past what registers hold (streamed). */
static void grid_channels_last(checker *c)
{
    const int64_t channels[] = {1, 3, 17, 64, 251, 768, 1031, 8209};
    for (size_t i = 0; i < sizeof channels / sizeof *channels; i++)
        for (int kind = 0; kind < 3; kind++) {
            int64_t rows = channels[i] > 1024 ? 3 : 7;
            run_case(c, (norm_case){.rank = 2, .shape = {rows, channels[i]}, .kind = kind,
                                    .gamma = (i + (size_t)kind) % 2, .beta = kind == SUBQ_NORM_LAYER && i % 2});
        }
}

static void grid_channels_first(checker *c)
{
    for (int kind = 0; kind < 3; kind++) {
        run_case(c, (norm_case){.rank = 3, .shape = {2, 13, 37}, .kind = kind, .layout = SUBQ_CHANNELS_FIRST,
                                .gamma = true, .beta = true});
        run_case(c, (norm_case){.rank = 4, .shape = {2, 24, 5, 7}, .kind = kind, .layout = SUBQ_CHANNELS_FIRST,
                                .gamma = kind != 1, .a = TRANSPOSED, .y = TRANSPOSED});
        run_case(c, (norm_case){.rank = 5, .shape = {1, 3, 4, 1, 6}, .kind = kind, .layout = SUBQ_CHANNELS_FIRST,
                                .a = TRANSPOSED, .y = DENSE});
        run_case(c, (norm_case){.rank = 3, .shape = {3, 11, 1}, .kind = kind, .layout = SUBQ_CHANNELS_FIRST,
                                .beta = true});
    }
    /* channels-last tensors whose storage is channels-first: the per-row walk over a strided axis */
    run_case(c, (norm_case){.rank = 3, .shape = {2, 9, 40}, .kind = SUBQ_NORM_LAYER, .a = TRANSPOSED,
                            .y = DENSE, .gamma = true, .beta = true});
    run_case(c, (norm_case){.rank = 2, .shape = {3, 700}, .kind = SUBQ_NORM_LAYER, .center = -100.0});
    /* channels-first rows as long as the Hyena mixer's (768 channels) and longer, with gamma and beta */
    run_case(c, (norm_case){.rank = 3, .shape = {2, 768, 37}, .kind = SUBQ_NORM_LAYER, .layout = SUBQ_CHANNELS_FIRST,
                            .gamma = true, .beta = true});
    run_case(c, (norm_case){.rank = 3, .shape = {1, 1500, 33}, .kind = SUBQ_NORM_RMS, .layout = SUBQ_CHANNELS_FIRST,
                            .gamma = true});
    /* channels-first rows too long for one invocation: a workgroup per row over a strided axis */
    run_case(c, (norm_case){.rank = 3, .shape = {1, 40009, 2}, .kind = SUBQ_NORM_LAYER, .layout = SUBQ_CHANNELS_FIRST,
                            .gamma = true});
    /* statistics over values far from zero: the shifted sums must not cancel */
    run_case(c, (norm_case){.rank = 3, .shape = {2, 300, 9}, .kind = SUBQ_NORM_LAYER, .layout = SUBQ_CHANNELS_FIRST,
                            .eps = 1e-3f, .center = 100.0});
}

static void grid_gates(checker *c)
{
    for (int kind = 0; kind < 3; kind++)
        for (int gate = BEFORE; gate <= AFTER; gate++) {
            run_case(c, (norm_case){.rank = 3, .shape = {2, 5, 96}, .kind = kind, .gate = gate, .gamma = true,
                                    .beta = gate == AFTER, .activation = (subq_activation)(kind + gate)});
            run_case(c, (norm_case){.rank = 3, .shape = {2, 48, 10}, .kind = kind, .layout = SUBQ_CHANNELS_FIRST,
                                    .gate = gate, .activation = SUBQ_ACTIVATION_SIGMOID, .a = TRANSPOSED,
                                    .b = DENSE, .y = PADDED});
        }
    run_case(c, (norm_case){.rank = 2, .shape = {4, 2500}, .kind = SUBQ_NORM_LAYER, .gate = BEFORE,
                            .activation = SUBQ_ACTIVATION_GELU, .a = PADDED, .b = PADDED, .y = PADDED, .gamma = true});
}

static void grid_views_in_place(checker *c)
{
    run_case(c, (norm_case){.rank = 3, .shape = {3, 4, 33}, .kind = SUBQ_NORM_RMS, .a = PADDED, .y = PADDED,
                            .eps = 0.5f, .gamma = true});
    run_case(c, (norm_case){.rank = 3, .shape = {3, 4, 33}, .kind = SUBQ_NORM_LAYER, .a = PADDED,
                            .target = INTO_A, .beta = true});
    run_case(c, (norm_case){.rank = 3, .shape = {2, 16, 12}, .kind = SUBQ_NORM_L2, .layout = SUBQ_CHANNELS_FIRST,
                            .target = INTO_A});
    run_case(c, (norm_case){.rank = 2, .shape = {5, 9000}, .kind = SUBQ_NORM_RMS, .target = INTO_A});
    run_case(c, (norm_case){.rank = 2, .shape = {6, 70}, .kind = SUBQ_NORM_RMS, .gate = AFTER,
                            .activation = SUBQ_ACTIVATION_SILU, .target = INTO_B});
    run_case(c, (norm_case){.rank = 2, .shape = {6, 70}, .kind = SUBQ_NORM_LAYER, .gate = BEFORE,
                            .activation = SUBQ_ACTIVATION_SOFTPLUS, .target = INTO_A, .b = TRANSPOSED});
}

/* x as large as one binding allows, rows longer than registers hold (bounded on big GPUs). */
static void grid_largest(checker *c)
{
    int64_t elements = check_largest_binding(c);
    if (!elements) return;
    run_case(c, (norm_case){.rank = 2, .shape = {elements / 8209, 8209}, .kind = SUBQ_NORM_LAYER, .gamma = true,
                            .beta = true});
}

typedef struct error_fixture {
    subq_tensor *x, *y, *b, *gamma, *gamma7, *beta_strided, *x1, *xi, *y_shifted, *y_in_gamma, *storage;
} error_fixture;

static void errors_args(checker *c, const error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_norm_options first = {.layout = SUBQ_CHANNELS_FIRST};
    check_invalid(c, "NULL stream", subq_norm(NULL, f->x, NULL, NULL, NULL, f->y), "stream");
    check_invalid(c, "NULL x", subq_norm(s, NULL, NULL, NULL, NULL, f->y), "x: expected a tensor");
    check_invalid(c, "NULL y", subq_norm(s, f->x, NULL, NULL, NULL, NULL), "y: expected a tensor");
    check_invalid(c, "x dtype", subq_norm(s, f->xi, NULL, NULL, NULL, f->y), "x: expected dtype f32");
    check_invalid(c, "y shape", subq_norm(s, f->x, NULL, NULL, NULL, f->gamma), "y: expected rank 2");
    check_invalid(c, "gamma shape", subq_norm(s, f->x, f->gamma7, NULL, NULL, f->y), "gamma: expected shape [6]");
    check_invalid(c, "beta strided", subq_norm(s, f->x, NULL, f->beta_strided, NULL, f->y), "beta: expected a dense");
    check_invalid(c, "channels-first rank 1", subq_norm(s, f->x1, NULL, NULL, &first, f->x1), "options.layout: channels-first");
    check_invalid(c, "y overlaps x", subq_norm(s, f->x, NULL, NULL, NULL, f->y_shifted), "y: overlaps x");
    check_invalid(c, "y in gamma", subq_norm(s, f->x, f->gamma, NULL, NULL, f->y_in_gamma), "y: shares memory with gamma");
}

static void errors_options(checker *c, const error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_norm_options o = {.kind = (subq_norm_kind)3};
    check_invalid(c, "bad kind", subq_norm(s, f->x, NULL, NULL, &o, f->y), "options.kind: 3");
    o = (subq_norm_options){.layout = (subq_layout)2};
    check_invalid(c, "bad layout", subq_norm(s, f->x, NULL, NULL, &o, f->y), "options.layout: 2");
    o = (subq_norm_options){.eps = -1e-5f};
    check_invalid(c, "negative eps", subq_norm(s, f->x, NULL, NULL, &o, f->y), "options.eps");
    o = (subq_norm_options){.eps = (float)NAN};
    check_invalid(c, "NaN eps", subq_norm(s, f->x, NULL, NULL, &o, f->y), "options.eps");
    o = (subq_norm_options){.gate_position = (subq_gate_position)5};
    check_invalid(c, "bad gate position", subq_gated_norm(s, f->x, f->b, SUBQ_ACTIVATION_SILU, NULL, NULL, &o, f->y),
           "options.gate_position");
    check_invalid(c, "gated: NULL b", subq_gated_norm(s, f->x, NULL, SUBQ_ACTIVATION_SILU, NULL, NULL, NULL, f->y),
           "b: expected a tensor");
    check_invalid(c, "gated: b shape", subq_gated_norm(s, f->x, f->gamma, SUBQ_ACTIVATION_SILU, NULL, NULL, NULL, f->y),
           "b: expected rank 2");
    check_invalid(c, "gated: bad activation", subq_gated_norm(s, f->x, f->b, (subq_activation)17, NULL, NULL, NULL, f->y),
           "activation: 17");
    check_invalid(c, "gated: y overlaps a", subq_gated_norm(s, f->x, f->b, SUBQ_ACTIVATION_SILU, NULL, NULL, NULL,
                                                      f->y_shifted), "y: overlaps a");
}

/* x [4, 6] and y_shifted share a storage one element apart; y_in_gamma covers gamma's storage. */
static void check_errors(checker *c)
{
    error_fixture f = {.storage = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){32}), .y = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){4, 6}),
                       .b = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){4, 6}), .gamma7 = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){7}),
                       .x1 = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){6}), .xi = check_tensor_empty(c, SUBQ_I32, 2, (int64_t[]){4, 6})};
    f.x = check_tensor_view(c, f.storage, 0, 2, (int64_t[]){4, 6}, NULL);
    f.y_shifted = check_tensor_view(c, f.storage, 1, 2, (int64_t[]){4, 6}, NULL);
    f.gamma = check_tensor_view(c, f.storage, 24, 1, (int64_t[]){6}, NULL);
    f.y_in_gamma = check_tensor_view(c, f.storage, 8, 2, (int64_t[]){4, 6}, NULL);
    f.beta_strided = check_tensor_view(c, f.storage, 0, 1, (int64_t[]){6}, (int64_t[]){2});
    if (f.x && f.y && f.b && f.gamma && f.gamma7 && f.beta_strided && f.x1 && f.xi && f.y_shifted && f.y_in_gamma) {
        errors_args(c, &f);
        errors_options(c, &f);
    }
    subq_tensor *all[] = {f.x, f.y, f.b, f.gamma, f.gamma7, f.beta_strided, f.x1, f.xi, f.y_shifted,
                          f.y_in_gamma, f.storage};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
}

void check_norm(checker *c)
{
    grid_channels_last(c);
    grid_channels_first(c);
    grid_gates(c);
    grid_views_in_place(c);
    grid_largest(c);
    check_errors(c);
}
