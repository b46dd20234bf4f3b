/* subq_activation_apply and subq_gate against ref_gate: every activation over both of its
 * branches, strided and permuted views (vectorised and scalar paths), in place, broadcast gates,
 * the largest tensor one binding allows, and a bad-input table. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"
#include "views.h"

#define ACTIVATIONS 6

static const char *const NAMES[ACTIVATIONS] = {"none", "silu", "sigmoid", "gelu", "gelu_tanh", "softplus"};

typedef enum in_place { SEPARATE = 0, INTO_A, INTO_B } in_place;

typedef struct gate_case {
    int rank;
    int64_t shape[SUBQ_MAX_RANK];
    subq_activation activation;
    double scale; /* of b's values, to reach the activations' outer branches */
    bool gated;
    check_place a, b, y;
    in_place target;
} gate_case;

static void describe(const gate_case *k, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s %s [", k->gated ? "gate" : "activation", NAMES[k->activation]);
    for (int i = 0; i < k->rank; i++) n += snprintf(buf + n, size - (size_t)n, i ? ",%lld" : "%lld", (long long)k->shape[i]);
    snprintf(buf + n, size - (size_t)n, "] scale %g layouts %d/%d/%d%s", k->scale, k->a.layout, k->b.layout,
             k->y.layout, k->target == INTO_A ? " y=a" : k->target == INTO_B ? " y=b" : "");
}

static double *random_values(checker *c, int64_t n, double scale)
{
    double *v = check_alloc((size_t)n);
    check_random(c, v, (size_t)n);
    for (int64_t i = 0; i < n; i++) v[i] = (float)(v[i] * scale); /* what the device sees */
    return v;
}

static void run_case(checker *c, gate_case k)
{
    char label[256];
    describe(&k, label, sizeof label);
    int64_t n = 1;
    for (int i = 0; i < k.rank; i++) n *= k.shape[i];
    double *a = k.gated ? random_values(c, n, 1.0) : NULL, *b = random_values(c, n, k.scale);
    double *ref = check_alloc((size_t)n);
    ref_gate(k.gated ? a : NULL, b, (ref_nn_activation)k.activation, ref, n);
    check_view ta = {0}, tb = {0}, ty = {0};
    bool ok = (!k.gated || check_view_place(c, label, &ta, k.rank, k.shape, k.a, a)) &&
              check_view_place(c, label, &tb, k.rank, k.shape, k.b, b) &&
              (k.target != SEPARATE ||
               check_view_place(c, label, &ty, k.rank, k.shape, k.y, NULL));
    const check_view *out = k.target == INTO_A ? &ta : k.target == INTO_B ? &tb : &ty;
    if (ok) {
        subq_status s = k.gated ? subq_gate(c->stream, ta.view, tb.view, k.activation, out->view)
                                : subq_activation_apply(c->stream, tb.view, k.activation, out->view);
        if (check_ok(c, label, s) && check_ok(c, label, subq_stream_wait(c->stream)))
            check_view_close(c, label, out, ref, 1e-6);
    }
    check_view_release(&ta);
    check_view_release(&tb);
    check_view_release(&ty);
    free(a);
    free(b);
    free(ref);
}

/* Every activation at magnitudes that reach each branch (erf's two fits and its tail, softplus's
 * threshold, the exponentials' saturation), on the scalar and the vectorised path. */
static void grid_activations(checker *c)
{
    const double scales[] = {1.0, 6.0, 30.0};
    for (int act = 0; act < ACTIVATIONS; act++)
        for (int s = 0; s < 3; s++) {
            run_case(c, (gate_case){.rank = 2, .shape = {3, 37}, .activation = act, .scale = scales[s]});
            run_case(c, (gate_case){.rank = 3, .shape = {2, 5, 64}, .activation = act, .scale = scales[s],
                                    .gated = true});
        }
}

static void grid_layouts(checker *c)
{
    const check_place dense = {CHECK_LAYOUT_DENSE, 0, 0}, rows4 = {CHECK_LAYOUT_PADDED, 4, 0}, rows8 = {CHECK_LAYOUT_PADDED, 8, 4};
    const check_place odd = {CHECK_LAYOUT_PADDED, 3, 1}, transposed = {CHECK_LAYOUT_TRANSPOSED, 0, 0};
    run_case(c, (gate_case){.rank = 3, .shape = {2, 6, 64}, .activation = SUBQ_ACTIVATION_SILU, .scale = 3,
                            .gated = true, .a = rows4, .b = dense, .y = rows8});
    run_case(c, (gate_case){.rank = 3, .shape = {3, 5, 7}, .activation = SUBQ_ACTIVATION_SIGMOID, .scale = 3,
                            .gated = true, .a = odd, .b = transposed, .y = dense});
    run_case(c, (gate_case){.rank = 4, .shape = {2, 7, 3, 5}, .activation = SUBQ_ACTIVATION_GELU, .scale = 3,
                            .gated = true, .a = transposed, .b = transposed, .y = transposed});
    run_case(c, (gate_case){.rank = 5, .shape = {2, 3, 1, 5, 7}, .activation = SUBQ_ACTIVATION_SOFTPLUS,
                            .scale = 3, .gated = true});
    run_case(c, (gate_case){.rank = 1, .shape = {1}, .activation = SUBQ_ACTIVATION_SILU, .scale = 1, .gated = true});
    run_case(c, (gate_case){.rank = 2, .shape = {11, 13}, .activation = SUBQ_ACTIVATION_GELU_TANH, .scale = 4,
                            .a = odd, .b = odd, .y = transposed});
    /* gate.comp's TRANSPOSE over several ragged 32 x 32 tiles, gated and not */
    run_case(c, (gate_case){.rank = 3, .shape = {2, 45, 70}, .activation = SUBQ_ACTIVATION_SILU, .scale = 3,
                            .gated = true, .a = dense, .b = odd, .y = transposed});
    run_case(c, (gate_case){.rank = 4, .shape = {2, 33, 3, 40}, .activation = SUBQ_ACTIVATION_GELU, .scale = 3,
                            .b = dense, .y = transposed});
}

static void grid_in_place(checker *c)
{
    const check_place rows4 = {CHECK_LAYOUT_PADDED, 4, 0}, transposed = {CHECK_LAYOUT_TRANSPOSED, 0, 0};
    run_case(c, (gate_case){.rank = 3, .shape = {2, 3, 16}, .activation = SUBQ_ACTIVATION_SILU, .scale = 2,
                            .gated = true, .a = rows4, .b = transposed, .target = INTO_A});
    run_case(c, (gate_case){.rank = 3, .shape = {2, 3, 17}, .activation = SUBQ_ACTIVATION_GELU, .scale = 2,
                            .gated = true, .a = rows4, .b = transposed, .target = INTO_B});
    run_case(c, (gate_case){.rank = 2, .shape = {9, 8}, .activation = SUBQ_ACTIVATION_SOFTPLUS, .scale = 30,
                            .b = rows4, .target = INTO_B});
}

/* A gate shared by every row: b is [C] seen as [R, C] through a stride-0 axis. */
static void broadcast_gate(checker *c)
{
    const char *label = "gate silu, b broadcast over rows";
    int64_t shape[2] = {7, 12}, n = 84, channels = 12;
    double *a = random_values(c, n, 1.0), *b = random_values(c, channels, 3.0), *ref = check_alloc((size_t)n);
    for (int64_t i = 0; i < n; i++) ref[i] = a[i] * ref_activate(b[i % channels], REF_NN_SILU);
    subq_tensor *ta = check_upload(c, label, 2, shape, a), *tb = check_upload(c, label, 1, &channels, b);
    subq_tensor *ty = check_poisoned(c, label, 2, shape), *wide = NULL;
    if (ta && tb && ty && check_ok(c, label, subq_tensor_view(tb, 0, 2, shape, (int64_t[]){0, 1}, &wide)) &&
        check_ok(c, label, subq_gate(c->stream, ta, wide, SUBQ_ACTIVATION_SILU, ty)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_close(c, label, ty, ref, (size_t)n, 1e-6);
    subq_tensor *all[] = {ta, tb, ty, wide};
    for (int i = 0; i < 4; i++) subq_tensor_destroy(all[i]);
    free(a);
    free(b);
    free(ref);
}

/* Hyena's z = q * sigmoid(k) in place into q, with q, k, v the column blocks of one [M, 3C]
 * projection: interleaved views that share no element. k and v must come out untouched. */
static void qkv_in_place(checker *c)
{
    const char *label = "gate sigmoid in place on q, k column blocks of [M, 3C]";
    const int64_t m = 19, channels = 24, n = m * 3 * channels;
    double *qkv = random_values(c, n, 3.0), *want = check_alloc((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        int64_t col = i % (3 * channels);
        want[i] = col < channels ? qkv[i] * ref_activate(qkv[i + channels], REF_NN_SIGMOID) : qkv[i];
    }
    subq_tensor *storage = check_upload(c, label, 1, &n, qkv), *q = NULL, *k = NULL;
    int64_t shape[2] = {m, channels}, strides[2] = {3 * channels, 1};
    float *got = malloc((size_t)n * sizeof *got);
    if (!got) exit(2);
    if (storage && check_ok(c, label, subq_tensor_view(storage, 0, 2, shape, strides, &q)) &&
        check_ok(c, label, subq_tensor_view(storage, channels, 2, shape, strides, &k)) &&
        check_ok(c, label, subq_gate(c->stream, q, k, SUBQ_ACTIVATION_SIGMOID, q)) &&
        check_ok(c, label, subq_stream_wait(c->stream)) &&
        check_ok(c, label, subq_tensor_download(storage, got, (size_t)n * sizeof *got)))
        check_close_values(c, label, got, want, (size_t)n, 1e-6);
    subq_tensor_destroy(q);
    subq_tensor_destroy(k);
    subq_tensor_destroy(storage);
    free(got);
    free(qkv);
    free(want);
}

/* Each tensor as large as one binding allows (bounded on big GPUs). */
static void grid_largest(checker *c)
{
    int64_t elements = check_largest_binding(c);
    if (!elements) return;
    run_case(c, (gate_case){.rank = 2, .shape = {elements / 1024, 1024}, .activation = SUBQ_ACTIVATION_SILU,
                            .scale = 4});
}

typedef struct error_fixture {
    subq_tensor *a, *b, *y, *b_wrong, *ai, *y_shifted, *y_broadcast, *y_strided;
} error_fixture;

static void errors_gate(checker *c, const error_fixture *f)
{
    subq_stream *s = c->stream;
    subq_activation silu = SUBQ_ACTIVATION_SILU;
    check_invalid(c, "NULL stream", subq_gate(NULL, f->a, f->b, silu, f->y), "stream");
    check_invalid(c, "NULL a", subq_gate(s, NULL, f->b, silu, f->y), "a: expected a tensor");
    check_invalid(c, "NULL b", subq_gate(s, f->a, NULL, silu, f->y), "b: expected a tensor");
    check_invalid(c, "NULL y", subq_gate(s, f->a, f->b, silu, NULL), "y: expected a tensor");
    check_invalid(c, "b shape", subq_gate(s, f->a, f->b_wrong, silu, f->y), "b: expected shape [4, 6]");
    check_invalid(c, "y shape", subq_gate(s, f->a, f->b, silu, f->b_wrong), "y: expected shape [4, 6]");
    check_invalid(c, "a dtype", subq_gate(s, f->ai, f->b, silu, f->y), "a: expected dtype f32");
    check_invalid(c, "bad activation", subq_gate(s, f->a, f->b, (subq_activation)99, f->y), "activation: 99");
    check_invalid(c, "y overlaps a", subq_gate(s, f->a, f->b, silu, f->y_shifted), "y: overlaps a");
    check_invalid(c, "y strided through a", subq_gate(s, f->a, f->b, silu, f->y_strided), "y: overlaps a");
    check_invalid(c, "y broadcast", subq_gate(s, f->a, f->b, silu, f->y_broadcast), "y: axis 0 has stride 0");
}

static void errors_activation(checker *c, const error_fixture *f)
{
    subq_stream *s = c->stream;
    check_invalid(c, "apply: NULL x", subq_activation_apply(s, NULL, SUBQ_ACTIVATION_GELU, f->y), "x: expected a tensor");
    check_invalid(c, "apply: NULL y", subq_activation_apply(s, f->a, SUBQ_ACTIVATION_GELU, NULL), "y: expected a tensor");
    check_invalid(c, "apply: y overlaps x", subq_activation_apply(s, f->a, SUBQ_ACTIVATION_GELU, f->y_shifted),
           "y: overlaps x");
    check_invalid(c, "apply: bad activation", subq_activation_apply(s, f->a, (subq_activation)-1, f->y), "activation");
    subq_context *other = NULL;
    subq_tensor *foreign = NULL;
    if (!check_ok(c, "second context", subq_context_create(NULL, &other))) return;
    if (check_ok(c, "foreign tensor", subq_tensor_create(other, SUBQ_F32, 2, (int64_t[]){4, 6}, &foreign)))
        check_invalid(c, "b from another context", subq_gate(s, f->a, foreign, SUBQ_ACTIVATION_SILU, f->y),
               "another context");
    subq_tensor_destroy(foreign);
    subq_context_destroy(other);
}

/* The error fixtures' [4, 6] views. */
static subq_tensor *view(checker *c, subq_tensor *base, int64_t offset, const int64_t *strides)
{
    return check_tensor_view(c, base, offset, 2, (int64_t[]){4, 6}, strides);
}

/* a, y_shifted (one element on) and y_strided (rows 7 apart from element 3: it meets a at
 * element 10) are views of one storage that share some elements with a. */
static void check_errors(checker *c)
{
    subq_tensor *storage = check_tensor_empty(c, SUBQ_F32, 1, (int64_t[]){32});
    error_fixture f = {.a = view(c, storage, 0, NULL), .y_shifted = view(c, storage, 1, NULL),
                       .y_broadcast = view(c, storage, 0, (int64_t[]){0, 1}),
                       .y_strided = view(c, storage, 3, (int64_t[]){7, 1}),
                       .b = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){4, 6}), .y = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){4, 6}),
                       .b_wrong = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){6, 4}), .ai = check_tensor_empty(c, SUBQ_I32, 2, (int64_t[]){4, 6})};
    if (f.a && f.b && f.y && f.b_wrong && f.ai && f.y_shifted && f.y_broadcast && f.y_strided) {
        errors_gate(c, &f);
        errors_activation(c, &f);
    }
    subq_tensor *all[] = {f.a, f.b, f.y, f.b_wrong, f.ai, f.y_shifted, f.y_broadcast, f.y_strided, storage};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) subq_tensor_destroy(all[i]);
}

void check_gate(checker *c)
{
    grid_activations(c);
    grid_layouts(c);
    grid_in_place(c);
    broadcast_gate(c);
    qkv_in_place(c);
    grid_largest(c);
    check_errors(c);
}
