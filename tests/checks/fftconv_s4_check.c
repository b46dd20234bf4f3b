/* FFTConvS4 against s4_ref.c: S4D kernels (ZOH, bilinear, n_ssm tying, rate with l_max) through
 * the forward (FFT path vs the direct causal sum), both layouts, channels; the S4 DPLR kernel;
 * the state's response and forward_state vs the recurrence; setup_step/step vs the recurrence, and
 * prefill-then-step equal to the recurrence over the whole sequence (S4D: the diagonal one; S4:
 * tests/reference's dense recurrence with dC solved from C~, which also equals the full forward);
 * a weight change invalidating the cached kernel; bad configurations and inputs. fp32 phases
 * dt*Im(A)*l lose about 6e-8 of their size (as PyTorch's complex64 formulation does), hence an S4D
 * tolerance of 4e-6 (1 + largest phase) relative to max(1, max|y|); S4's fp32 Cauchy sums and
 * Woodbury correction reach 4e-5 of max|y| at d_state 64, hence 1e-4 and 2e-4 with a state.
 * Cases marked half take x in bf16 (the reference sees the rounded values) and give y in f16 (the
 * states stay f32): f16's rounding, 1e-3, is added to the tolerance of y. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "reference/reference.h"

typedef struct s4_case {
    subq_s4_kernel_type type;
    int64_t h, channels, d_state, n_ssm, batch, length, l_max, l_kernel;
    int bilinear, not_transposed;
    double rate;
    bool half;
} s4_case;

typedef struct host_params {
    double *a_real, *a_imag, *b, *c, *p, *inv_dt;
    ref_s4 ref;
} host_params;

static double *rounded(checker *c, size_t n, double lo, double hi)
{
    double *v = check_alloc(n);
    for (size_t i = 0; i < n; i++) {
        check_random(c, v + i, 1);
        v[i] = (float)(lo + (hi - lo) * (fabs(v[i]) - 0.05) / 0.95);
    }
    return v;
}

static bool load(checker *c, subq_fftconv_s4 *m, const char *name, const double *v, int64_t n)
{
    float *f = malloc((size_t)n * sizeof *f);
    if (!f) exit(2);
    for (int64_t i = 0; i < n; i++) f[i] = (float)v[i];
    bool ok = check_ok(c, name, subq_parameters_load(subq_fftconv_s4_parameters(m), name, f, n));
    free(f);
    return ok;
}

/* Random weights (A_real = log U(0.2, 0.8), A_imag U(0, pi n2), B and C +-[0.05, 1], inv_dt
 * U(log 0.001, log 0.1)), loaded by their state_dict names and kept for the reference. */
static bool make_params(checker *c, subq_fftconv_s4 *m, const s4_case *k, host_params *hp)
{
    int64_t n2 = k->d_state / 2, ns = k->n_ssm ? k->n_ssm : k->h, ch = k->channels ? k->channels : 1;
    hp->a_real = rounded(c, (size_t)(ns * n2), 0.2, 0.8);
    for (int64_t i = 0; i < ns * n2; i++) hp->a_real[i] = (float)log(hp->a_real[i]);
    hp->a_imag = rounded(c, (size_t)(ns * n2), 0.0, M_PI * (double)n2);
    hp->b = rounded(c, (size_t)(ns * n2 * 2), -1.0, 1.0);
    hp->c = rounded(c, (size_t)(ch * k->h * n2 * 2), -1.0, 1.0);
    hp->p = rounded(c, (size_t)(ns * n2 * 2), -0.5, 0.5);
    hp->inv_dt = rounded(c, (size_t)k->h, log(0.001), log(0.1));
    hp->ref = (ref_s4){.h = k->h, .channels = ch, .n2 = n2, .n_ssm = ns, .bilinear = k->bilinear,
                       .a_real = hp->a_real, .a_imag = hp->a_imag, .b = hp->b, .c = hp->c, .p = hp->p,
                       .inv_dt = hp->inv_dt};
    return load(c, m, "kernel.A_real", hp->a_real, ns * n2) && load(c, m, "kernel.A_imag", hp->a_imag, ns * n2) &&
           load(c, m, "kernel.B", hp->b, ns * n2 * 2) && load(c, m, "kernel.C", hp->c, ch * k->h * n2 * 2) &&
           load(c, m, "kernel.inv_dt", hp->inv_dt, k->h) &&
           (k->type != SUBQ_S4_KERNEL_S4 || load(c, m, "kernel.P", hp->p, ns * n2 * 2));
}

static void free_params(host_params *hp)
{
    free(hp->a_real), free(hp->a_imag), free(hp->b), free(hp->c), free(hp->p), free(hp->inv_dt);
}

static double tolerance(const host_params *hp, int64_t length, double rate)
{
    double phase = 0;
    for (int64_t h = 0; h < hp->ref.h; h++)
        for (int64_t n = 0; n < hp->ref.n2; n++)
            phase = fmax(phase, exp(hp->inv_dt[h]) * rate * fabs(hp->a_imag[(h % hp->ref.n_ssm) * hp->ref.n2 + n]));
    return 4e-6 * (1 + phase * (double)length);
}

/* Fresh random inputs as the device holds them: rounded to f32, or to bf16 in a half case. */
static void random_x(checker *c, const s4_case *k, double *x, size_t n)
{
    check_random(c, x, n);
    for (size_t i = 0; i < n; i++) x[i] = k->half ? check_round_bf16(x[i]) : (float)x[i];
}

/* t itself, or (a half case) a bf16 or f16 copy of it in place of t. */
static subq_tensor *narrow(checker *c, const s4_case *k, subq_tensor *t, subq_dtype dtype)
{
    if (!k->half) return t;
    subq_tensor *out = check_convert(c, t, dtype);
    subq_tensor_destroy(t);
    return out;
}

/* x [B, H, L] as the module takes it: itself, or transposed to (B, L, H); bf16 in a half case. */
static subq_tensor *upload_x(checker *c, const s4_case *k, const double *x, int64_t length)
{
    if (!k->not_transposed)
        return narrow(c, k, check_upload(c, "x", 3, (int64_t[]){k->batch, k->h, length}, x), SUBQ_BF16);
    double *t = check_alloc((size_t)(k->batch * k->h * length));
    for (int64_t b = 0; b < k->batch; b++)
        for (int64_t h = 0; h < k->h; h++)
            for (int64_t l = 0; l < length; l++) t[(b * length + l) * k->h + h] = x[(b * k->h + h) * length + l];
    subq_tensor *out = check_upload(c, "x", 3, (int64_t[]){k->batch, length, k->h}, t);
    free(t);
    return narrow(c, k, out, SUBQ_BF16);
}

/* A NaN-filled y: f32, or f16 in a half case. */
static subq_tensor *poisoned_y(checker *c, const s4_case *k, int rank, const int64_t *shape)
{
    return narrow(c, k, check_poisoned(c, "y", rank, shape), SUBQ_F16);
}

static int64_t kernel_length(const s4_case *k)
{
    if (!k->l_max) return k->length;
    int64_t lk = (int64_t)rint((double)k->l_max / k->rate);
    return lk < k->length ? lk : k->length;
}

static void forward_plain(checker *c, subq_fftconv_s4 *m, const s4_case *k, host_params *hp, const char *label)
{
    int64_t lk = kernel_length(k), ch = hp->ref.channels, n = k->batch * ch * k->h * k->length;
    double *x = check_alloc((size_t)(k->batch * k->h * k->length)), *kern = check_alloc((size_t)(ch * k->h * lk));
    double *ref = check_alloc((size_t)n);
    random_x(c, k, x, (size_t)(k->batch * k->h * k->length));
    if (k->type == SUBQ_S4_KERNEL_S4D) {
        ref_s4d_kernel(&hp->ref, k->rate, lk, kern);
    } else {
        int64_t l_kernel = k->l_kernel ? k->l_kernel : k->l_max ? k->l_max : (int64_t)rint(k->rate * (double)k->length);
        ref_s4_dplr_kernel(&hp->ref, k->rate, (int64_t)rint((double)l_kernel / k->rate), lk, kern);
    }
    ref_s4_causal(kern, ch, k->h, lk, x, k->batch, k->length, ref);
    subq_tensor *tx = upload_x(c, k, x, k->length);
    subq_tensor *ty = poisoned_y(c, k, 4, (int64_t[]){k->batch, ch, k->h, k->length});
    double tol = (k->type == SUBQ_S4_KERNEL_S4D ? tolerance(hp, lk, k->rate) : 1e-4) + (k->half ? 1e-3 : 0);
    if (tx && ty && check_ok(c, label, subq_fftconv_s4_forward(c->stream, m, tx, NULL, k->rate, ty, NULL)) &&
        check_ok(c, label, subq_stream_wait(c->stream)))
        check_close(c, label, ty, ref, (size_t)n, tol);
    subq_tensor_destroy(tx), subq_tensor_destroy(ty);
    free(x), free(kern), free(ref);
}

/* forward(x[:P], state0) then steps over x[P:], against the recurrence over x from state0. */
static void prefill_then_step(checker *c, subq_fftconv_s4 *m, const s4_case *k, host_params *hp, const char *label)
{
    int64_t ch = hp->ref.channels, h = k->h, L = k->length, P = L / 2 > 0 ? L / 2 : 1, sn = k->batch * h * hp->ref.n2 * 2;
    double *x = check_alloc((size_t)(k->batch * h * L)), *state = check_alloc((size_t)sn);
    double *ref = check_alloc((size_t)(k->batch * ch * h * L)), *s0 = check_alloc((size_t)sn);
    random_x(c, k, x, (size_t)(k->batch * h * L));
    check_random(c, state, (size_t)sn);
    for (int64_t i = 0; i < sn; i++) s0[i] = state[i] = (float)state[i];
    if (k->type == SUBQ_S4_KERNEL_S4) /* state: the final one */
        ref_s4_dplr_recur(&hp->ref, k->l_kernel ? k->l_kernel : k->l_max, x, k->batch, L, state, ref);
    else
        ref_s4d_recur(&hp->ref, x, k->batch, L, state, ref);
    double *xp = check_alloc((size_t)(k->batch * h * P));
    for (int64_t b = 0; b < k->batch; b++)
        for (int64_t j = 0; j < h; j++)
            for (int64_t t = 0; t < P; t++) xp[(b * h + j) * P + t] = x[(b * h + j) * L + t];
    int64_t ss[4] = {k->batch, h, hp->ref.n2, 2};
    subq_tensor *tx = upload_x(c, k, xp, P), *t0 = check_upload(c, "state", 4, ss, s0);
    subq_tensor *ts = check_poisoned(c, "next", 4, ss), *ty = poisoned_y(c, k, 4, (int64_t[]){k->batch, ch, h, P});
    /* a step's x is uploaded into x32 and (half) converted into xs */
    subq_tensor *x32 = check_tensor_empty(c, SUBQ_F32, 2, (int64_t[]){k->batch, h});
    subq_tensor *xs = k->half ? check_tensor_empty(c, SUBQ_BF16, 2, (int64_t[]){k->batch, h}) : x32;
    subq_tensor *ys = poisoned_y(c, k, 3, (int64_t[]){k->batch, ch, h});
    float *got = malloc(sizeof(float) * (size_t)(k->batch * ch * h * L)), *one = malloc(sizeof(float) * (size_t)(k->batch * ch * h));
    float *col = malloc(sizeof(float) * (size_t)(k->batch * h));
    bool ok = tx && t0 && ts && ty && x32 && xs && ys && got && one && col &&
              check_ok(c, label, subq_fftconv_s4_forward(c->stream, m, tx, t0, 1.0, ty, ts)) &&
              check_ok(c, label, subq_fftconv_s4_setup_step(c->stream, m)) &&
              check_ok(c, label, subq_stream_wait(c->stream));
    float *prefix = ok ? malloc(sizeof(float) * (size_t)(k->batch * ch * h * P)) : NULL;
    ok = ok && prefix && check_download(c, label, ty, prefix, (size_t)(k->batch * ch * h * P));
    for (int64_t i = 0; ok && i < k->batch * ch * h; i++)
        for (int64_t t = 0; t < P; t++) got[i * L + t] = prefix[i * P + t];
    for (int64_t t = P; ok && t < L; t++) {
        for (int64_t b = 0; b < k->batch; b++)
            for (int64_t j = 0; j < h; j++) col[b * h + j] = (float)x[(b * h + j) * L + t];
        ok = check_ok(c, label, subq_tensor_upload(x32, col, sizeof(float) * (size_t)(k->batch * h))) &&
             (xs == x32 || check_ok(c, label, subq_tensor_copy(c->stream, x32, xs))) &&
             check_ok(c, label, subq_fftconv_s4_step(c->stream, m, xs, ts, ys, ts)) &&
             check_ok(c, label, subq_stream_wait(c->stream)) &&
             check_download(c, label, ys, one, (size_t)(k->batch * ch * h));
        for (int64_t i = 0; ok && i < k->batch * ch * h; i++) got[i * L + t] = one[i];
    }
    double tol = k->type == SUBQ_S4_KERNEL_S4D ? tolerance(hp, L, 1.0) : 2e-4;
    if (ok) {
        check_close_values(c, label, got, ref, (size_t)(k->batch * ch * h * L), tol + (k->half ? 1e-3 : 0));
        char state_label[300];
        snprintf(state_label, sizeof state_label, "%s final state", label);
        check_close(c, state_label, ts, state, (size_t)sn, tol);
    }
    subq_tensor *all[] = {tx, t0, ts, ty, x32, xs == x32 ? NULL : xs, ys};
    for (int i = 0; i < 7; i++) subq_tensor_destroy(all[i]);
    free(x), free(state), free(ref), free(s0), free(xp), free(got), free(one), free(col), free(prefix);
}

/* Cases that prefill and step: rate 1, a kernel as long as x, and for S4 a C~ length to step with. */
static bool steps(const s4_case *k)
{
    bool long_kernel = !k->l_max || k->l_max >= k->length;
    return k->rate == 1.0 && long_kernel && (k->type == SUBQ_S4_KERNEL_S4D || k->l_kernel || k->l_max);
}

static void run_case(checker *c, const s4_case *k)
{
    subq_fftconv_s4_config cfg = {.d_model = k->h, .l_max = k->l_max, .channels = k->channels,
                                  .not_transposed = k->not_transposed, .kernel_type = k->type,
                                  .disc = k->bilinear ? SUBQ_S4_BILINEAR : SUBQ_S4_ZOH, .d_state = k->d_state,
                                  .n_ssm = k->n_ssm, .l_kernel = k->l_kernel};
    char label[200];
    snprintf(label, sizeof label, "fftconv_s4 %s H%lld C%lld N%lld nssm%lld B%lld L%lld lmax%lld %s %s rate %g%s",
             k->type == SUBQ_S4_KERNEL_S4 ? "s4" : "s4d", (long long)k->h, (long long)k->channels,
             (long long)k->d_state, (long long)k->n_ssm, (long long)k->batch, (long long)k->length,
             (long long)k->l_max, k->bilinear ? "bilinear" : "zoh", k->not_transposed ? "(B,L,H)" : "(B,H,L)",
             k->rate, k->half ? " bf16 x, f16 y" : "");
    subq_fftconv_s4 *m = NULL;
    host_params hp = {0};
    if (!check_ok(c, label, subq_fftconv_s4_create(c->ctx, &cfg, &m))) return;
    if (make_params(c, m, k, &hp)) {
        forward_plain(c, m, k, &hp, label);
        if (steps(k)) {
            char more[240];
            snprintf(more, sizeof more, "%s prefill+step", label);
            prefill_then_step(c, m, k, &hp, more);
            free(hp.c);
            hp.c = rounded(c, (size_t)(hp.ref.channels * k->h * hp.ref.n2 * 2), -1.0, 1.0);
            hp.ref.c = hp.c;
            snprintf(more, sizeof more, "%s after new C", label);
            if (load(c, m, "kernel.C", hp.c, hp.ref.channels * k->h * hp.ref.n2 * 2)) forward_plain(c, m, k, &hp, more);
        }
    }
    subq_fftconv_s4_destroy(m);
    free_params(&hp);
}

static void config_errors(checker *c)
{
    subq_fftconv_s4 *m = NULL;
    subq_fftconv_s4_config none = {.d_model = 4};
    check_invalid(c, "s4 no kernel_type", subq_fftconv_s4_create(c->ctx, &none, &m), "kernel_type");
    subq_fftconv_s4_config bad_ssm = {.d_model = 6, .kernel_type = SUBQ_S4_KERNEL_S4D, .n_ssm = 4};
    check_invalid(c, "s4 n_ssm", subq_fftconv_s4_create(c->ctx, &bad_ssm, &m), "n_ssm");
    subq_fftconv_s4_config odd = {.d_model = 4, .kernel_type = SUBQ_S4_KERNEL_S4D, .d_state = 5};
    check_invalid(c, "s4 d_state", subq_fftconv_s4_create(c->ctx, &odd, &m), "d_state");
    subq_fftconv_s4_config dplr_bilinear = {.d_model = 4, .kernel_type = SUBQ_S4_KERNEL_S4, .disc = SUBQ_S4_BILINEAR};
    check_invalid(c, "s4 dplr disc", subq_fftconv_s4_create(c->ctx, &dplr_bilinear, &m), "disc");
    subq_fftconv_s4_config dt = {.d_model = 4, .kernel_type = SUBQ_S4_KERNEL_S4D, .dt_min = 0.5, .dt_max = 0.1};
    check_invalid(c, "s4 dt", subq_fftconv_s4_create(c->ctx, &dt, &m), "dt_min");
    check_invalid(c, "s4 NULL config", subq_fftconv_s4_create(c->ctx, NULL, &m), "config");
}

/* An S4 module d (d_model 4, d_state 4, neither l_max nor l_kernel) with x [2, 4, 8], y [2, 1, 4, 8]:
 * states of the wrong shape or dtype, stepping before setup_step, and setup_step without a C~ length;
 * then the same module with l_kernel set steps, and checks its step's arguments. */
static void dplr_errors(checker *c, subq_fftconv_s4 *d, const subq_tensor *x, subq_tensor *y)
{
    subq_stream *s = c->stream;
    subq_tensor *st = check_tensor_random(c, 4, (int64_t[]){2, 4, 2, 2}), *nx = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 4, 2, 2});
    subq_tensor *wide = check_tensor_random(c, 4, (int64_t[]){2, 4, 3, 2}), *one = check_tensor_random(c, 4, (int64_t[]){1, 4, 2, 2});
    subq_tensor *half = check_tensor_empty(c, SUBQ_F16, 4, (int64_t[]){2, 4, 2, 2}), *flat = check_tensor_random(c, 3, (int64_t[]){2, 4, 4});
    subq_tensor *xs = check_tensor_random(c, 2, (int64_t[]){2, 4}), *xs3 = check_tensor_random(c, 2, (int64_t[]){2, 3});
    subq_tensor *ys = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 1, 4});
    check_invalid(c, "s4 dplr state N2", subq_fftconv_s4_forward(s, d, x, wide, 1.0, y, nx), "state");
    check_invalid(c, "s4 dplr state batch", subq_fftconv_s4_forward(s, d, x, one, 1.0, y, nx), "state");
    check_error(c, "s4 dplr state dtype", subq_fftconv_s4_forward(s, d, x, half, 1.0, y, nx), SUBQ_ERROR_UNSUPPORTED,
                "state");
    check_invalid(c, "s4 dplr state rank", subq_fftconv_s4_forward(s, d, x, flat, 1.0, y, nx), "state");
    check_invalid(c, "s4 dplr next_state", subq_fftconv_s4_forward(s, d, x, st, 1.0, y, wide), "next_state");
    check_invalid(c, "s4 dplr step before setup", subq_fftconv_s4_step(s, d, xs, st, ys, nx), "setup_step");
    check_invalid(c, "s4 dplr setup_step without l_kernel", subq_fftconv_s4_setup_step(s, d), "config.l_kernel");
    check_invalid(c, "s4 dplr step after a failed setup", subq_fftconv_s4_step(s, d, xs, st, ys, nx), "setup_step");
    subq_fftconv_s4_config cfg = {.d_model = 4, .kernel_type = SUBQ_S4_KERNEL_S4, .d_state = 4, .l_kernel = 8};
    subq_fftconv_s4 *m = NULL;
    if (check_ok(c, "s4 dplr l_kernel", subq_fftconv_s4_create(c->ctx, &cfg, &m)) &&
        check_ok(c, "s4 dplr init", subq_fftconv_s4_init(m, 5)) &&
        check_ok(c, "s4 dplr setup_step", subq_fftconv_s4_setup_step(s, m))) {
        check_invalid(c, "s4 dplr step state", subq_fftconv_s4_step(s, m, xs, wide, ys, nx), "state");
        check_error(c, "s4 dplr step state dtype", subq_fftconv_s4_step(s, m, xs, half, ys, nx), SUBQ_ERROR_UNSUPPORTED,
                    "state");
        check_invalid(c, "s4 dplr step next_state", subq_fftconv_s4_step(s, m, xs, st, ys, one), "next_state");
        check_invalid(c, "s4 dplr step x", subq_fftconv_s4_step(s, m, xs3, st, ys, nx), "x");
        check_ok(c, "s4 dplr step in place", subq_fftconv_s4_step(s, m, xs, st, ys, st));
        subq_stream_wait(s);
    }
    subq_fftconv_s4_destroy(m);
    subq_tensor *all[] = {st, nx, wide, one, half, flat, xs, xs3, ys};
    for (int i = 0; i < 9; i++) subq_tensor_destroy(all[i]);
}

static void call_errors(checker *c)
{
    subq_fftconv_s4_config cfg = {.d_model = 4, .kernel_type = SUBQ_S4_KERNEL_S4D, .d_state = 4, .channels = 2};
    subq_fftconv_s4_config dplr = {.d_model = 4, .kernel_type = SUBQ_S4_KERNEL_S4, .d_state = 4};
    subq_fftconv_s4 *m = NULL, *d = NULL;
    if (!check_ok(c, "s4 errors", subq_fftconv_s4_create(c->ctx, &cfg, &m)) ||
        !check_ok(c, "s4 errors", subq_fftconv_s4_create(c->ctx, &dplr, &d)) ||
        !check_ok(c, "s4 init", subq_fftconv_s4_init(m, 1)) || !check_ok(c, "s4 init", subq_fftconv_s4_init(d, 2))) {
        subq_fftconv_s4_destroy(m), subq_fftconv_s4_destroy(d);
        return;
    }
    subq_stream *s = c->stream;
    subq_tensor *x = check_tensor_random(c, 3, (int64_t[]){2, 4, 8}), *x_bad = check_tensor_random(c, 3, (int64_t[]){2, 3, 8});
    subq_tensor *y = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 2, 4, 8});
    subq_tensor *y1 = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 1, 4, 8});
    subq_tensor *st = check_tensor_random(c, 4, (int64_t[]){2, 4, 2, 2}), *st2 = check_tensor_empty(c, SUBQ_F32, 4, (int64_t[]){2, 4, 2, 2});
    subq_tensor *xs = check_tensor_random(c, 2, (int64_t[]){2, 4}), *ys = check_tensor_empty(c, SUBQ_F32, 3, (int64_t[]){2, 2, 4});
    check_invalid(c, "s4 x channels", subq_fftconv_s4_forward(s, m, x_bad, NULL, 1.0, y, NULL), "d_model");
    check_invalid(c, "s4 y shape", subq_fftconv_s4_forward(s, m, x, NULL, 1.0, y1, NULL), "y");
    check_invalid(c, "s4 state alone", subq_fftconv_s4_forward(s, m, x, st, 1.0, y, NULL), "next_state");
    check_invalid(c, "s4 rate", subq_fftconv_s4_forward(s, m, x, NULL, -1.0, y, NULL), "rate");
    check_invalid(c, "s4 step before setup", subq_fftconv_s4_step(s, m, xs, st, ys, st2), "setup_step");
    dplr_errors(c, d, x, y1);
    if (check_ok(c, "s4 setup", subq_fftconv_s4_setup_step(s, m))) {
        check_invalid(c, "s4 step y", subq_fftconv_s4_step(s, m, xs, st, st2, st2), "y");
        float one = 0.5f;
        int64_t count = 4;
        float dt[4] = {one, one, one, one};
        check_ok(c, "s4 reload", subq_parameters_load(subq_fftconv_s4_parameters(m), "kernel.inv_dt", dt, count));
        check_invalid(c, "s4 stale step", subq_fftconv_s4_step(s, m, xs, st, ys, st2), "setup_step");
    }
    subq_parameter_info info;
    int32_t index;
    if (check_ok(c, "s4 names", subq_parameters_find(subq_fftconv_s4_parameters(d), "kernel.P", &index)) &&
        check_ok(c, "s4 names", subq_parameters_info(subq_fftconv_s4_parameters(d), index, &info)) &&
        (info.rank != 4 || info.shape[0] != 1 || info.shape[1] != 4 || info.shape[2] != 2))
        check_fail(c, "s4 names", "kernel.P has rank %d", info.rank);
    if (subq_fftconv_s4_d_output(m) != 8) check_fail(c, "s4 d_output", "expected 8, got %lld", (long long)subq_fftconv_s4_d_output(m));
    subq_stream_wait(s);
    subq_tensor *all[] = {x, x_bad, y, y1, st, st2, xs, ys};
    for (int i = 0; i < 8; i++) subq_tensor_destroy(all[i]);
    subq_fftconv_s4_destroy(m), subq_fftconv_s4_destroy(d);
}

void check_fftconv_s4(checker *c)
{
    const s4_case cases[] = {
        {SUBQ_S4_KERNEL_S4D, 3, 1, 8, 0, 2, 37, 0, 0, 0, 0, 1.0},
        {SUBQ_S4_KERNEL_S4D, 4, 2, 6, 2, 1, 64, 0, 0, 1, 0, 1.0},
        {SUBQ_S4_KERNEL_S4D, 5, 1, 4, 1, 3, 1, 0, 0, 0, 1, 1.0},
        {SUBQ_S4_KERNEL_S4D, 2, 3, 16, 0, 2, 129, 0, 0, 0, 1, 1.0},
        {SUBQ_S4_KERNEL_S4D, 3, 1, 8, 3, 2, 50, 40, 0, 1, 0, 2.0},
        {SUBQ_S4_KERNEL_S4D, 2, 1, 2, 0, 1, 31, 10, 0, 0, 0, 1.0},
        {SUBQ_S4_KERNEL_S4, 3, 1, 8, 0, 2, 16, 16, 0, 0, 0, 1.0},
        {SUBQ_S4_KERNEL_S4, 2, 2, 4, 1, 1, 40, 0, 0, 0, 1, 1.0},
        {SUBQ_S4_KERNEL_S4, 2, 1, 8, 0, 2, 24, 32, 0, 0, 0, 2.0},
        {SUBQ_S4_KERNEL_S4, 1, 1, 2, 1, 1, 1, 0, 4, 0, 0, 1.0},
        {SUBQ_S4_KERNEL_S4, 1, 2, 2, 0, 3, 7, 0, 7, 0, 1, 1.0},
        {SUBQ_S4_KERNEL_S4, 5, 3, 6, 5, 3, 23, 0, 31, 0, 1, 1.0},
        {SUBQ_S4_KERNEL_S4, 4, 2, 16, 2, 2, 37, 37, 0, 0, 0, 1.0},
        {SUBQ_S4_KERNEL_S4, 7, 1, 10, 7, 1, 50, 64, 0, 0, 0, 1.0},
        {SUBQ_S4_KERNEL_S4, 6, 1, 64, 1, 2, 129, 0, 256, 0, 0, 1.0},
        {SUBQ_S4_KERNEL_S4D, 3, 2, 8, 0, 2, 37, 0, 0, 0, 0, 1.0, true},
        {SUBQ_S4_KERNEL_S4D, 2, 1, 6, 0, 1, 2, 0, 0, 1, 1, 1.0, true},
        {SUBQ_S4_KERNEL_S4, 3, 2, 8, 0, 2, 23, 0, 31, 0, 1, 1.0, true},
        {SUBQ_S4_KERNEL_S4, 1, 1, 2, 1, 1, 1, 0, 4, 0, 0, 1.0, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(c, &cases[i]);
    config_errors(c);
    call_errors(c);
}
