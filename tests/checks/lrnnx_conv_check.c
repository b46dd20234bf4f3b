/* subq_lrnnx_fft_conv (three patterns, real and complex operands, kernels shorter and longer than
 * 2L) and subq_opt_ssm_forward (each strategy forced, and the automatic choice) against the direct
 * sums of s4_ref.c, plus their bad-input table. FFT round-off grows with the summed magnitudes:
 * 3e-5 relative to max(1, max|y|) covers the shapes here (O(1) inputs, <= 1e3 terms per output).
 * Cases marked half hold every input in bf16 (the reference sees the rounded values) and y in f16,
 * held to f16's rounding (1e-3, as tests/python/test_half_precision_torch.py). */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"

#define TOL 3e-5
#define TOL_HALF 1e-3

typedef struct conv_case {
    ref_lrnnx_pattern pattern;
    int64_t batch, length, inner, out, n, lk;
    int xp, kp, bp, cp; /* parts: 1 real, 2 complex */
    bool half;
} conv_case;

/* Fresh random values rounded to f32, or to bf16 when half (the reference sees the device's
 * inputs), and their tensor: shape plus a trailing 2 when complex. */
static subq_tensor *operand(checker *c, int rank, const int64_t *shape, int parts, bool half, double **host)
{
    int64_t full[6], n = parts;
    for (int i = 0; i < rank; i++) full[i] = shape[i], n *= shape[i];
    full[rank] = 2;
    *host = check_alloc((size_t)n);
    check_random(c, *host, (size_t)n);
    for (int64_t i = 0; i < n; i++) (*host)[i] = half ? check_round_bf16((*host)[i]) : (float)(*host)[i];
    subq_tensor *t = check_upload(c, "operand", rank + (parts == 2), full, *host);
    if (!half) return t;
    subq_tensor *narrow = check_convert(c, t, SUBQ_BF16);
    subq_tensor_destroy(t);
    return narrow;
}

/* A NaN-filled y, in f16 when half. */
static subq_tensor *output(checker *c, int rank, const int64_t *shape, bool half)
{
    subq_tensor *y = check_poisoned(c, "y", rank, shape);
    if (!half) return y;
    subq_tensor *narrow = check_convert(c, y, SUBQ_F16);
    subq_tensor_destroy(y);
    return narrow;
}

static void conv_case_run(checker *c, subq_lrnnx_workspace *ws, const conv_case *k)
{
    char label[160];
    snprintf(label, sizeof label, "lrnnx fft_conv pattern %d B%lld L%lld I%lld O%lld N%lld Lk%lld parts %d%d%d%d%s",
             (int)k->pattern, (long long)k->batch, (long long)k->length, (long long)k->inner, (long long)k->out,
             (long long)k->n, (long long)k->lk, k->xp, k->kp, k->bp, k->cp, k->half ? " bf16 in, f16 y" : "");
    double *x, *kern, *b = NULL, *cc = NULL;
    int64_t xs[3] = {k->batch, k->length, k->inner}, out = k->out;
    subq_tensor *tx = operand(c, 3, xs, k->xp, k->half, &x), *tk, *tb = NULL, *tc = NULL;
    if (k->pattern == REF_LRNNX_FULL) {
        tk = operand(c, 3, (int64_t[]){k->lk, k->out, k->inner}, k->kp, k->half, &kern);
    } else if (k->pattern == REF_LRNNX_DIAGONAL) {
        tk = operand(c, 2, (int64_t[]){k->lk, k->inner}, k->kp, k->half, &kern);
        out = k->inner;
    } else {
        tk = operand(c, 2, (int64_t[]){k->n, k->lk}, k->kp, k->half, &kern);
        tb = operand(c, 2, (int64_t[]){k->n, k->inner}, k->bp, k->half, &b);
        tc = operand(c, 2, (int64_t[]){k->out, k->n}, k->cp, k->half, &cc);
    }
    int64_t ys[4] = {k->batch, k->length, out, 2};
    size_t count = (size_t)(k->batch * k->length * out * 2);
    subq_tensor *ty = output(c, 4, ys, k->half);
    double *ref = check_alloc(count);
    ref_lrnnx_fft_conv(k->pattern, k->batch, k->length, k->inner, out, k->n, k->lk, x, k->xp, kern, k->kp, b, k->bp,
                       cc, k->cp, ref);
    if (tx && tk && ty && check_ok(c, label, subq_lrnnx_fft_conv(c->stream, ws, (subq_lrnnx_pattern)k->pattern, tx, tk,
                                                                 tb, tc, ty)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_close(c, label, ty, ref, count, k->half ? TOL_HALF : TOL);
    subq_tensor *all[] = {tx, tk, tb, tc, ty};
    for (int i = 0; i < 5; i++) subq_tensor_destroy(all[i]);
    free(x), free(kern), free(b), free(cc), free(ref);
}

typedef struct ssm_case {
    int64_t batch, length, h_in, h_out, n, lk;
    int kp, bp, cp;
    bool half;
} ssm_case;

static void ssm_case_run(checker *c, subq_lrnnx_workspace *ws, const ssm_case *k)
{
    double *x, *kern, *b, *cc;
    subq_tensor *tx = operand(c, 3, (int64_t[]){k->batch, k->length, k->h_in}, 1, k->half, &x);
    subq_tensor *tk = operand(c, 2, (int64_t[]){k->n, k->lk}, k->kp, k->half, &kern);
    subq_tensor *tb = operand(c, 2, (int64_t[]){k->n, k->h_in}, k->bp, k->half, &b);
    subq_tensor *tc = operand(c, 2, (int64_t[]){k->h_out, k->n}, k->cp, k->half, &cc);
    int64_t ys[3] = {k->batch, k->length, k->h_out};
    size_t count = (size_t)(k->batch * k->length * k->h_out);
    double *ref = check_alloc(count);
    ref_opt_ssm(k->batch, k->length, k->h_in, k->h_out, k->n, k->lk, x, kern, k->kp, b, k->bp, cc, k->cp, ref);
    for (int s = SUBQ_OPT_SSM_AUTO; s <= SUBQ_OPT_SSM_FACTORED; s++) {
        char label[160];
        snprintf(label, sizeof label, "opt_ssm_forward strategy %d B%lld L%lld Hin%lld Hout%lld N%lld Lk%lld parts %d%d%d%s",
                 s, (long long)k->batch, (long long)k->length, (long long)k->h_in, (long long)k->h_out,
                 (long long)k->n, (long long)k->lk, k->kp, k->bp, k->cp, k->half ? " bf16 in, f16 y" : "");
        subq_tensor *ty = output(c, 3, ys, k->half);
        subq_opt_ssm_options o = {.strategy = (subq_opt_ssm_strategy)s};
        if (tx && tk && tb && tc && ty &&
            check_ok(c, label, subq_opt_ssm_forward(c->stream, ws, tx, tk, tb, tc, &o, ty)) &&
            check_ok(c, label, subq_stream_wait(c->stream)))
            check_close(c, label, ty, ref, count, k->half ? TOL_HALF : TOL);
        subq_tensor_destroy(ty);
    }
    subq_tensor *all[] = {tx, tk, tb, tc};
    for (int i = 0; i < 4; i++) subq_tensor_destroy(all[i]);
    free(x), free(kern), free(b), free(cc), free(ref);
}

static void choice(checker *c)
{
    struct { int64_t b, hi, ho, n; subq_opt_ssm_strategy want; } rows[] = {
        {32, 2, 2, 16, SUBQ_OPT_SSM_FULL_KERNEL}, {32, 8, 8, 16, SUBQ_OPT_SSM_FACTORED},
        {4, 64, 64, 16, SUBQ_OPT_SSM_PROJECT},    {4, 64, 64, 128, SUBQ_OPT_SSM_FACTORED},
        {32, 64, 64, 128, SUBQ_OPT_SSM_FACTORED},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        subq_opt_ssm_strategy got = subq_opt_ssm_choose(rows[i].b, rows[i].hi, rows[i].ho, rows[i].n);
        if (got != rows[i].want)
            check_fail(c, "opt_ssm_choose", "B%lld Hin%lld Hout%lld N%lld: got %d, expected %d", (long long)rows[i].b,
                       (long long)rows[i].hi, (long long)rows[i].ho, (long long)rows[i].n, got, rows[i].want);
        else
            c->passed++;
    }
}

static void errors(checker *c, subq_lrnnx_workspace *ws)
{
    subq_tensor *x = check_tensor_random(c, 3, (int64_t[]){2, 8, 3});
    subq_tensor *k_full = check_tensor_random(c, 3, (int64_t[]){8, 4, 3});
    subq_tensor *k_bad = check_tensor_random(c, 3, (int64_t[]){8, 4, 5});
    subq_tensor *k_3 = check_tensor_random(c, 4, (int64_t[]){8, 4, 3, 3});
    subq_tensor *K = check_tensor_random(c, 3, (int64_t[]){5, 8, 2});
    subq_tensor *b = check_tensor_random(c, 2, (int64_t[]){5, 3});
    subq_tensor *b_bad = check_tensor_random(c, 2, (int64_t[]){4, 3});
    subq_tensor *cc = check_tensor_random(c, 2, (int64_t[]){2, 5});
    subq_tensor *y = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 8, 4, 2});
    subq_tensor *y_bad = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 8, 3, 2});
    subq_tensor *ys = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 8, 2});
    subq_tensor *xc = check_tensor_random(c, 4, (int64_t[]){2, 8, 3, 2});
    subq_stream *s = c->stream;
    check_invalid(c, "fft_conv NULL workspace", subq_lrnnx_fft_conv(s, NULL, SUBQ_LRNNX_FULL, x, k_full, NULL, NULL, y), "workspace");
    check_invalid(c, "fft_conv pattern", subq_lrnnx_fft_conv(s, ws, 9, x, k_full, NULL, NULL, y), "pattern");
    check_invalid(c, "fft_conv kernel I", subq_lrnnx_fft_conv(s, ws, SUBQ_LRNNX_FULL, x, k_bad, NULL, NULL, y), "kernel");
    check_invalid(c, "fft_conv trailing 3", subq_lrnnx_fft_conv(s, ws, SUBQ_LRNNX_FULL, x, k_3, NULL, NULL, y), "trailing");
    check_invalid(c, "fft_conv y shape", subq_lrnnx_fft_conv(s, ws, SUBQ_LRNNX_FULL, x, k_full, NULL, NULL, y_bad), "y");
    check_invalid(c, "fft_conv extra b", subq_lrnnx_fft_conv(s, ws, SUBQ_LRNNX_FULL, x, k_full, b, NULL, y), "b_proj");
    check_invalid(c, "fft_conv y is x", subq_lrnnx_fft_conv(s, ws, SUBQ_LRNNX_DIAGONAL, xc, b, NULL, NULL, xc), "y");
    check_invalid(c, "factored b N", subq_lrnnx_fft_conv(s, ws, SUBQ_LRNNX_FACTORED, x, K, b_bad, cc, y), "b_proj");
    check_invalid(c, "factored c NULL", subq_lrnnx_fft_conv(s, ws, SUBQ_LRNNX_FACTORED, x, K, b, NULL, y), "c_proj");
    check_invalid(c, "opt_ssm complex x", subq_opt_ssm_forward(s, ws, xc, K, b, cc, NULL, ys), "x");
    subq_opt_ssm_options bad = {.strategy = 7};
    check_invalid(c, "opt_ssm strategy", subq_opt_ssm_forward(s, ws, x, K, b, cc, &bad, ys), "strategy");
    check_invalid(c, "opt_ssm y", subq_opt_ssm_forward(s, ws, x, K, b, cc, NULL, y), "y");
    subq_tensor *all[] = {x, k_full, k_bad, k_3, K, b, b_bad, cc, y, y_bad, ys, xc};
    for (int i = 0; i < 12; i++) subq_tensor_destroy(all[i]);
}

void check_lrnnx_conv(checker *c)
{
    subq_lrnnx_workspace *ws = NULL;
    if (!check_ok(c, "workspace", subq_lrnnx_workspace_create(c->ctx, &ws))) return;
    const conv_case convs[] = {
        {REF_LRNNX_FULL, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0},      {REF_LRNNX_FULL, 2, 7, 3, 5, 0, 7, 1, 2, 0, 0},
        {REF_LRNNX_FULL, 3, 33, 4, 2, 0, 70, 2, 1, 0, 0},    {REF_LRNNX_FULL, 2, 64, 8, 3, 0, 17, 2, 2, 0, 0},
        {REF_LRNNX_DIAGONAL, 2, 13, 5, 0, 0, 13, 2, 2, 0, 0}, {REF_LRNNX_DIAGONAL, 1, 64, 3, 0, 0, 20, 1, 2, 0, 0},
        {REF_LRNNX_DIAGONAL, 3, 31, 1, 0, 0, 31, 2, 1, 0, 0}, {REF_LRNNX_FACTORED, 2, 11, 3, 2, 4, 11, 2, 2, 2, 2},
        {REF_LRNNX_FACTORED, 1, 30, 2, 3, 3, 30, 1, 2, 1, 2}, {REF_LRNNX_FACTORED, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {REF_LRNNX_FACTORED, 2, 97, 5, 7, 6, 97, 1, 2, 2, 1},
        {REF_LRNNX_FULL, 2, 7, 3, 5, 0, 9, 1, 2, 0, 0, true},  {REF_LRNNX_DIAGONAL, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, true},
        {REF_LRNNX_DIAGONAL, 3, 31, 5, 0, 0, 20, 2, 2, 0, 0, true}, {REF_LRNNX_FACTORED, 2, 11, 3, 2, 4, 11, 2, 1, 2, 2, true},
    };
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) conv_case_run(c, ws, &convs[i]);
    const ssm_case ssms[] = {
        {2, 9, 3, 2, 4, 9, 2, 1, 2},    {1, 17, 1, 1, 1, 17, 2, 2, 2}, {3, 25, 5, 4, 7, 20, 2, 2, 1},
        {4, 64, 8, 8, 2, 64, 2, 1, 1},  {2, 40, 2, 3, 16, 40, 1, 2, 2}, {2, 9, 3, 2, 4, 9, 2, 1, 2, true},
        {1, 1, 1, 1, 1, 1, 1, 1, 1, true},
    };
    for (size_t i = 0; i < sizeof ssms / sizeof ssms[0]; i++) ssm_case_run(c, ws, &ssms[i]);
    choice(c);
    errors(c, ws);
    subq_stream_wait(c->stream);
    subq_lrnnx_workspace_destroy(ws);
}
