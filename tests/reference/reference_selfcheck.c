/* Checks the references against hand-computed cases and against each other where their
 * definitions overlap, so that a GPU test failing against them points at the GPU. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

static int passed, failed;

static void expect_close(const char *name, const double *got, const double *want, int64_t n)
{
    double worst = 0.0;
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]) / (1.0 + fabs(want[i]));
        if (!(err <= worst)) { /* also catches NaN */
            worst = err;
            at = i;
        }
    }
    if (worst <= 1e-12) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: element %lld is %.17g, expected %.17g\n", name, (long long)at, got[at],
           want[at]);
}

/* As expect_close with a tolerance of one's own (|got - want| / (1 + |want|)). */
static void expect_within(const char *name, const double *got, const double *want, int64_t n, double tol)
{
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]) / (1.0 + fabs(want[i]));
        worst = err > worst || err != err ? err : worst;
    }
    if (worst <= tol) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: error %.3g, tolerance %.3g\n", name, worst, tol);
}

static void expect_true(const char *name, int ok)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s\n", name);
}

/* xorshift64*: reproducible data without depending on the libc's rand(). */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static double uniform(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t bits = (rng_state * 0x2545F4914F6CDD1Du) >> 11;
    return 2.0 * ((double)bits / 9007199254740992.0) - 1.0;
}

static void fill_random(double *a, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        a[i] = uniform();
}

static double silu(double v)
{
    return v / (1.0 + exp(-v));
}

/* a [rows, cols] -> t [cols, rows] */
static void transpose(const double *a, double *t, int64_t rows, int64_t cols)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            t[c * rows + r] = a[r * cols + c];
}

/* ---- SPEC 1: depthwise ----------------------------------------------------------------------- */

static ref_dwconv_shape dw_1d(int64_t batch, int64_t channels, int64_t groups, int64_t n,
                              int64_t k, ref_dwconv_padding padding)
{
    return (ref_dwconv_shape){.batch = batch, .channels_local = channels, .cp_size = 1,
                              .groups = groups, .ndim = 1, .size = {n}, .kernel = {k},
                              .padding = padding};
}

static void check_dwconv_hand(void)
{
    const double x[3] = {1, 2, 3};
    const double w3[3] = {1, 10, 100}, w2[2] = {1, 10}, bias = 0.5;
    double y[4];

    ref_dwconv_shape s = dw_1d(1, 1, 1, 3, 3, REF_DWCONV_SAME);
    ref_depthwise_conv(&s, x, w3, &bias, y);
    expect_close("dwconv same K=3", y, (const double[]){210.5, 321.5, 32.5}, 3);

    s = dw_1d(1, 1, 1, 3, 2, REF_DWCONV_SAME);
    ref_depthwise_conv(&s, x, w2, NULL, y);
    expect_close("dwconv same K=2 pads right", y, (const double[]){21, 32, 3}, 3);

    s = dw_1d(1, 1, 1, 3, 3, REF_DWCONV_CAUSAL);
    ref_depthwise_conv(&s, x, w3, NULL, y);
    expect_close("dwconv causal", y, (const double[]){100, 210, 321}, 3);

    s = dw_1d(1, 1, 1, 3, 2, REF_DWCONV_EXPLICIT);
    s.pad[0] = 1;
    expect_true("dwconv explicit out size", ref_dwconv_out_size(&s, 0) == 4);
    ref_depthwise_conv(&s, x, w2, NULL, y);
    expect_close("dwconv explicit p=1", y, (const double[]){10, 21, 32, 3}, 4);
}

/* C = 4, G = 2, two ranks: rank 1 holds global channels 2 and 3, both of prototype 1. */
static void check_dwconv_cp_groups(void)
{
    const double x[2] = {1, 2}, w[2] = {2, 3}, bias[2] = {0.25, 0.5};
    double y[2];
    ref_dwconv_shape s = dw_1d(1, 2, 2, 1, 1, REF_DWCONV_SAME);
    s.cp_size = 2;
    s.cp_rank = 1;
    ref_depthwise_conv(&s, x, w, bias, y);
    expect_close("dwconv cp rank 1 prototypes", y, (const double[]){3.5, 6.5}, 2);
}

static void check_dwconv_box_3d(void)
{
    double x[27], w[27], y[27], want[27];
    const double per_axis[3] = {2, 3, 2}; /* taps inside a size-3 axis for K = 3 */
    for (int i = 0; i < 27; i++) {
        x[i] = 1.0;
        w[i] = 1.0;
        want[i] = per_axis[i / 9] * per_axis[i / 3 % 3] * per_axis[i % 3];
    }
    ref_dwconv_shape s = {.batch = 1, .channels_local = 1, .cp_size = 1, .groups = 1, .ndim = 3,
                          .size = {3, 3, 3}, .kernel = {3, 3, 3}, .padding = REF_DWCONV_SAME};
    ref_depthwise_conv(&s, x, w, NULL, y);
    expect_close("dwconv 3d box", y, want, 27);
}

/* An impulse at p answers w[p - o + left] per axis: checks every axis's stride and padding. */
static void check_dwconv_impulse_3d(void)
{
    const int64_t n[3] = {3, 4, 5}, k[3] = {2, 3, 4}, p[3] = {1, 2, 2};
    double x[60] = {0}, w[24], y[60], want[60];
    fill_random(w, 24);
    x[(p[0] * n[1] + p[1]) * n[2] + p[2]] = 1.0;
    for (int64_t o0 = 0; o0 < n[0]; o0++)
        for (int64_t o1 = 0; o1 < n[1]; o1++)
            for (int64_t o2 = 0; o2 < n[2]; o2++) {
                int64_t j0 = p[0] - o0 + (k[0] - 1) / 2, j1 = p[1] - o1 + (k[1] - 1) / 2,
                        j2 = p[2] - o2 + (k[2] - 1) / 2;
                int inside = j0 >= 0 && j0 < k[0] && j1 >= 0 && j1 < k[1] && j2 >= 0 && j2 < k[2];
                want[(o0 * n[1] + o1) * n[2] + o2] =
                    inside ? w[(j0 * k[1] + j1) * k[2] + j2] : 0.0;
            }
    ref_dwconv_shape s = {.batch = 1, .channels_local = 1, .cp_size = 1, .groups = 1, .ndim = 3,
                          .size = {3, 4, 5}, .kernel = {2, 3, 4}, .padding = REF_DWCONV_SAME};
    ref_depthwise_conv(&s, x, w, NULL, y);
    expect_close("dwconv 3d impulse", y, want, 60);
}

/* A separable 2d kernel a (x) b equals a 1d pass along each axis (one group shares the kernel
 * over every row); the two axes differ in size, kernel parity and padding. */
static void check_dwconv_separable_2d(ref_dwconv_padding padding, const char *name)
{
    enum { N0 = 5, N1 = 6, K0 = 3, K1 = 4, P0 = 1, P1 = 2 };
    enum { MAX_OUT = (N0 + 2 * P0) * (N1 + 2 * P1) }; /* bounds every intermediate, K >= 1 */
    double x[N0 * N1], a[K0], b[K1], w[K0 * K1], y[MAX_OUT];
    double rows[MAX_OUT], t[MAX_OUT], cols[MAX_OUT], want[MAX_OUT];
    fill_random(x, N0 * N1);
    fill_random(a, K0);
    fill_random(b, K1);
    for (int i = 0; i < K0 * K1; i++)
        w[i] = a[i / K1] * b[i % K1];

    ref_dwconv_shape along1 = dw_1d(1, N0, 1, N1, K1, padding);
    along1.pad[0] = P1;
    int64_t o1 = ref_dwconv_out_size(&along1, 0);
    ref_depthwise_conv(&along1, x, b, NULL, rows);
    transpose(rows, t, N0, o1);
    ref_dwconv_shape along0 = dw_1d(1, o1, 1, N0, K0, padding);
    along0.pad[0] = P0;
    int64_t o0 = ref_dwconv_out_size(&along0, 0);
    ref_depthwise_conv(&along0, t, a, NULL, cols);
    transpose(cols, want, o1, o0);

    ref_dwconv_shape both = {.batch = 1, .channels_local = 1, .cp_size = 1, .groups = 1,
                             .ndim = 2, .size = {N0, N1}, .kernel = {K0, K1}, .pad = {P0, P1},
                             .padding = padding};
    ref_depthwise_conv(&both, x, w, NULL, y);
    expect_close(name, y, want, o0 * o1);
}

/* ---- SPEC 2: causal conv1d family ----------------------------------------------------------- */

static void check_varlen_hand(void)
{
    /* D = 1, W = 2: w[0] meets the previous token. Request 0 = tokens 0-1, request 1 = token 2. */
    const double x[3] = {1, 2, 3}, w[2] = {2, 1}, init[2] = {5, 7};
    const int32_t cu[3] = {0, 2, 3};
    double out[3];
    ref_causal_conv1d_varlen(x, w, NULL, cu, init, NULL, NULL, out, 3, 1, 2, 2);
    expect_close("varlen hand", out, (const double[]){silu(11), silu(4), silu(17)}, 3);
}

static void check_carry_hand(void)
{
    /* W = 3; request 0 has one token, so two columns of its old state survive. */
    const double x[5] = {10, 20, 30, 40, 50};
    const int32_t cu[3] = {0, 1, 5};
    double state[6] = {1, 2, 3, 4, 5, 6}, next[6];
    const double want[6] = {2, 3, 10, 30, 40, 50};
    ref_causal_conv1d_varlen_carry_states(x, cu, state, next, 1, 3, 2);
    expect_close("carry_states hand", next, want, 6);
    ref_causal_conv1d_varlen_carry_states(x, cu, state, state, 1, 3, 2);
    expect_close("carry_states in place", state, want, 6);
}

static void check_fn_hand(void)
{
    const double x[4] = {1, 2, 3, 4}, w2[2] = {1, 10}, init1 = 100;
    const int32_t seq[4] = {0, 0, 1, -1};
    double out[4], final_state;
    ref_causal_conv1d(x, w2, NULL, seq, &init1, &final_state, out, REF_ACT_NONE, 1, 1, 4, 2);
    expect_close("fn seq_idx hand", out, (const double[]){110, 21, 30, 0}, 4);
    expect_close("fn final state hand", &final_state, (const double[]){4}, 1);

    /* Token 1 starts segment 1: the state, which continues segment 0, must not reach it. */
    const double w3[3] = {1, 10, 100}, init2[2] = {7, 8};
    const int32_t seq3[3] = {0, 1, 1};
    ref_causal_conv1d(x, w3, NULL, seq3, init2, NULL, out, REF_ACT_NONE, 1, 1, 3, 3);
    expect_close("fn state only in first segment", out, (const double[]){187, 200, 320}, 3);
}

static void check_update_hand(void)
{
    const double x = 10, w[3] = {1, 10, 100};
    double state[4] = {1, 2, 3, 4}, out;
    int32_t cache = 1;
    ref_causal_conv1d_update(&x, state, w, NULL, &cache, NULL, &out, REF_ACT_NONE, 1, 1, 1, 3, 4);
    expect_close("update circular out", &out, (const double[]){4 + 10 + 1000}, 1);
    expect_close("update circular state", state, (const double[]){1, 10, 3, 4}, 4);

    double linear[4] = {1, 2, 3, 4};
    ref_causal_conv1d_update(&x, linear, w, NULL, NULL, NULL, &out, REF_ACT_NONE, 1, 1, 1, 3, 4);
    expect_close("update linear out", &out, (const double[]){3 + 40 + 1000}, 1);
    expect_close("update linear state", linear, (const double[]){2, 3, 4, 10}, 4);
}

/* (B, D, L) channels-first rows -> (B*L, D) packed tokens, one request per batch row. */
static void pack_tokens(const double *x, double *packed, int64_t batch, int64_t dim, int64_t len)
{
    for (int64_t b = 0; b < batch; b++)
        transpose(x + b * dim * len, packed + b * len * dim, dim, len);
}

/* Without seq_idx, each batch row of causal_conv1d_fn is one varlen request. */
static void check_fn_vs_varlen(void)
{
    enum { B = 2, D = 3, L = 5, W = 4 };
    double x[B * D * L], w[D * W], bias[D], init[B * D * (W - 1)];
    double out[B * D * L], packed[B * L * D], vout[B * L * D], want[B * D * L];
    const int32_t cu[B + 1] = {0, L, 2 * L};
    fill_random(x, B * D * L);
    fill_random(w, D * W);
    fill_random(bias, D);
    fill_random(init, B * D * (W - 1));
    ref_causal_conv1d(x, w, bias, NULL, init, NULL, out, REF_ACT_SILU, B, D, L, W);
    pack_tokens(x, packed, B, D, L);
    ref_causal_conv1d_varlen(packed, w, bias, cu, init, NULL, NULL, vout, B * L, D, W, B);
    for (int64_t b = 0; b < B; b++)
        transpose(vout + b * L * D, want + b * D * L, L, D);
    expect_close("fn == varlen (one request per row)", out, want, B * D * L);
}

/* seq_idx segments are varlen requests; the initial state goes to the first one only. An empty
 * request in cu_seqlens changes nothing. */
static void check_fn_segments_vs_varlen(void)
{
    enum { D = 2, L = 9, W = 4, R = 4 };
    const int32_t seq[L] = {0, 0, 0, 1, 1, 2, 2, 2, 2};
    const int32_t cu[R + 1] = {0, 3, 3, 5, 9};
    double x[D * L], w[D * W], init[D * (W - 1)], out[D * L];
    double packed[L * D], states[R * D * (W - 1)] = {0}, vout[L * D], want[D * L];
    fill_random(x, D * L);
    fill_random(w, D * W);
    fill_random(init, D * (W - 1));
    memcpy(states, init, sizeof(init));
    ref_causal_conv1d(x, w, NULL, seq, init, NULL, out, REF_ACT_SILU, 1, D, L, W);
    pack_tokens(x, packed, 1, D, L);
    ref_causal_conv1d_varlen(packed, w, NULL, cu, states, NULL, NULL, vout, L, D, W, R);
    transpose(vout, want, L, D);
    expect_close("fn seq_idx + state == varlen", out, want, D * L);
}

/* Precomputed seq_idx/seq_start agree with derived ones; trailing padding tokens (sentinel 0, 0)
 * produce finite values. */
static void check_varlen_precomputed(void)
{
    enum { D = 3, W = 3, R = 3, T = 7, PAD = 2 };
    const int32_t cu[R + 1] = {0, 4, 4, T - PAD};
    const int32_t seq_idx[T] = {0, 0, 0, 0, 2, 0, 0};
    const int32_t seq_start[T] = {0, 0, 0, 0, 4, 0, 0};
    double x[T * D], w[D * W], bias[D], init[R * D * (W - 1)], derived[T * D], pre[T * D];
    fill_random(x, T * D);
    fill_random(w, D * W);
    fill_random(bias, D);
    fill_random(init, R * D * (W - 1));
    ref_causal_conv1d_varlen(x, w, bias, cu, init, NULL, NULL, derived, T, D, W, R);
    ref_causal_conv1d_varlen(x, w, bias, cu, init, seq_idx, seq_start, pre, T, D, W, R);
    expect_close("varlen precomputed == derived", pre, derived, (T - PAD) * D);
    int finite = 1;
    for (int i = (T - PAD) * D; i < T * D; i++)
        finite &= isfinite(pre[i]) != 0;
    expect_true("varlen padding tokens finite", finite);
}

/* final_states of fn is carry_states without its oldest column, for L below and above W-1. */
static void check_final_vs_carry(int64_t len)
{
    enum { D = 2, W = 4, MAXL = 6 };
    double x[D * MAXL], w[D * W], init[D * (W - 1)], out[D * MAXL], final_states[D * (W - 1)];
    double prev[D * W], packed[MAXL * D], next[D * W], want[D * (W - 1)];
    const int32_t cu[2] = {0, (int32_t)len};
    fill_random(x, D * len);
    fill_random(w, D * W);
    fill_random(prev, D * W);
    for (int64_t c = 0; c < D; c++)
        memcpy(init + c * (W - 1), prev + c * W + 1, (W - 1) * sizeof(double));
    ref_causal_conv1d(x, w, NULL, NULL, init, final_states, out, REF_ACT_NONE, 1, D, len, W);
    pack_tokens(x, packed, 1, D, len);
    ref_causal_conv1d_varlen_carry_states(packed, cu, prev, next, D, W, 1);
    for (int64_t c = 0; c < D; c++)
        memcpy(want + c * (W - 1), next + c * W + 1, (W - 1) * sizeof(double));
    expect_close(len < W - 1 ? "final_states == carry (short)" : "final_states == carry",
                 final_states, want, D * (W - 1));
}

/* The W-1 state columns a decode step reads, as causal_conv1d_fn initial_states. */
static void read_window(const double *state, const int32_t *cache, double *init, int64_t dim,
                        int64_t width, int64_t state_len)
{
    for (int64_t c = 0; c < dim; c++)
        for (int64_t i = 0; i < width - 1; i++) {
            int64_t origin = (cache ? *cache : state_len) - (width - 1);
            init[c * (width - 1) + i] =
                state[c * state_len + ref_floor_mod(origin + i, state_len)];
        }
}

/* Decoding token by token, or L tokens in one call, equals the full causal conv whose initial
 * state is the window the first step reads; the linear buffer also ends as final_states. */
static void check_update_vs_fn(int64_t state_len, int circular, const char *name)
{
    enum { D = 3, L = 7, W = 4, MAXS = 8 };
    double x[D * L], w[D * W], bias[D], state0[D * MAXS], init[D * (W - 1)];
    double want[D * L], final_states[D * (W - 1)];
    double step_state[D * MAXS], steps[D * L], bulk_state[D * MAXS], bulk[D * L];
    int32_t cache0 = 5;
    fill_random(x, D * L);
    fill_random(w, D * W);
    fill_random(bias, D);
    fill_random(state0, D * state_len);
    read_window(state0, circular ? &cache0 : NULL, init, D, W, state_len);
    ref_causal_conv1d(x, w, bias, NULL, init, final_states, want, REF_ACT_SILU, 1, D, L, W);

    memcpy(step_state, state0, (size_t)(D * state_len) * sizeof(double));
    for (int64_t t = 0; t < L; t++) {
        double xt[D], yt[D];
        int32_t cache = cache0 + (int32_t)t;
        for (int64_t c = 0; c < D; c++)
            xt[c] = x[c * L + t];
        ref_causal_conv1d_update(xt, step_state, w, bias, circular ? &cache : NULL, NULL, yt,
                                 REF_ACT_SILU, 1, D, 1, W, state_len);
        for (int64_t c = 0; c < D; c++)
            steps[c * L + t] = yt[c];
    }
    expect_close(name, steps, want, D * L);

    memcpy(bulk_state, state0, (size_t)(D * state_len) * sizeof(double));
    ref_causal_conv1d_update(x, bulk_state, w, bias, circular ? &cache0 : NULL, NULL, bulk,
                             REF_ACT_SILU, 1, D, L, W, state_len);
    expect_close("update bulk == token by token", bulk, steps, D * L);
    expect_close("update bulk state == stepped state", bulk_state, step_state, D * state_len);

    if (!circular) {
        double last[D * (W - 1)];
        read_window(step_state, NULL, last, D, W, state_len);
        expect_close("update state == final_states", last, final_states, D * (W - 1));
    }
}

/* conv_state_indices route rows to slots; a negative index yields zeros and touches nothing. */
static void check_update_indices(void)
{
    enum { B = 3, SLOTS = 4, D = 2, L = 2, W = 3, S = 3 };
    const int32_t indices[B] = {2, -1, 0};
    double x[B * D * L], w[D * W], state[SLOTS * D * S], before[SLOTS * D * S], out[B * D * L];
    fill_random(x, B * D * L);
    fill_random(w, D * W);
    fill_random(state, SLOTS * D * S);
    memcpy(before, state, sizeof(state));
    ref_causal_conv1d_update(x, state, w, NULL, NULL, indices, out, REF_ACT_NONE, B, D, L, W, S);

    double want_state[SLOTS * D * S], row_out[D * L];
    memcpy(want_state, before, sizeof(before));
    for (int64_t b = 0; b < B; b++) {
        if (indices[b] < 0)
            continue;
        ref_causal_conv1d_update(x + b * D * L, want_state + indices[b] * D * S, w, NULL, NULL,
                                 NULL, row_out, REF_ACT_NONE, 1, D, L, W, S);
        expect_close("update routed row", out + b * D * L, row_out, D * L);
    }
    expect_close("update routed states", state, want_state, SLOTS * D * S);
    expect_close("update negative slot gives zeros", out + 1 * D * L,
                 (const double[D * L]){0}, D * L);
}

/* SPEC 1 causal with G = C is causal_conv1d_fn without activation. */
static void check_dwconv_vs_fn(void)
{
    enum { B = 2, C = 3, L = 6, K = 4 };
    double x[B * C * L], w[C * K], bias[C], a[B * C * L], b[B * C * L];
    fill_random(x, B * C * L);
    fill_random(w, C * K);
    fill_random(bias, C);
    ref_dwconv_shape s = dw_1d(B, C, C, L, K, REF_DWCONV_CAUSAL);
    ref_depthwise_conv(&s, x, w, bias, a);
    ref_causal_conv1d(x, w, bias, NULL, NULL, NULL, b, REF_ACT_NONE, B, C, L, K);
    expect_close("dwconv causal == causal_conv1d_fn", a, b, B * C * L);
}

/* Degenerate but valid shapes: W = 1 (no state at all, S = 0), empty requests, L = 0. Run under
 * a sanitizer these also prove that no reference reads outside its arrays. */
static void check_edge_shapes(void)
{
    const double x[2] = {3, -2}, w = 2, bias = 1;
    const int32_t cu[4] = {0, 0, 2, 2};
    double out[2], prev[3] = {0}, next[3];
    ref_causal_conv1d_varlen(x, &w, &bias, cu, NULL, NULL, NULL, out, 2, 1, 1, 3);
    expect_close("varlen W=1 with empty requests", out, (const double[]){silu(7), silu(-3)}, 2);
    ref_causal_conv1d_varlen_carry_states(x, cu, prev, next, 1, 1, 3);
    expect_close("carry_states W=1", next, (const double[]){0, -2, 0}, 3);

    int32_t cache = 4;
    double no_state[1]; /* S = 0: never touched */
    ref_causal_conv1d_update(x, no_state, &w, NULL, &cache, NULL, out, REF_ACT_NONE, 1, 1, 2, 1,
                             0);
    expect_close("update W=1 S=0 circular", out, (const double[]){6, -4}, 2);
    ref_causal_conv1d_update(x, no_state, &w, NULL, NULL, NULL, out, REF_ACT_NONE, 1, 1, 2, 1, 0);
    expect_close("update W=1 S=0 linear", out, (const double[]){6, -4}, 2);

    const double init[2] = {5, 6}, w3[3] = {1, 1, 1};
    double final_states[2];
    ref_causal_conv1d(x, w3, NULL, NULL, init, final_states, out, REF_ACT_NONE, 1, 1, 0, 3);
    expect_close("fn L=0 keeps the state", final_states, init, 2);
}

/* ---- SPEC 4: global convolution ------------------------------------------------------------- */

static ref_fftconv_shape fft_1d(int64_t channels, int64_t n, int64_t k,
                                ref_fftconv_padding padding)
{
    return (ref_fftconv_shape){.batch = 1, .channels = channels, .kernel_batch = 1, .ndim = 1,
                               .size = {n}, .kernel = {k}, .padding = {padding}};
}

static void check_fftconv_hand(void)
{
    const double x[3] = {1, 2, 3}, ones[3] = {1, 1, 1}, k2[2] = {1, 10}, k3[3] = {1, 10, 100};
    const double shortcut = 0.5, pre[3] = {2, 2, 2}, post[3] = {1, -1, 1};
    double y[3];

    ref_fftconv_causal(ones, (const double[]){1, 2}, NULL, y, 1, 1, 3, 2, 1);
    expect_close("fftconv causal hand", y, (const double[]){1, 3, 3}, 3);
    const ref_fftconv_extras gates = {.shortcut = &shortcut, .pre = pre, .post = post};
    ref_fftconv_causal(ones, (const double[]){1, 2}, &gates, y, 1, 1, 3, 2, 1);
    expect_close("fftconv causal gated hand", y, (const double[]){3, -7, 7}, 3);

    ref_fftconv_shape s = fft_1d(1, 3, 3, REF_FFTCONV_ZERO);
    ref_fftconv_nd(&s, x, k3, NULL, y);
    expect_close("fftconv zero K=3", y, (const double[]){12, 123, 230}, 3);
    s = fft_1d(1, 3, 2, REF_FFTCONV_ZERO);
    ref_fftconv_nd(&s, x, k2, NULL, y);
    expect_close("fftconv zero K=2", y, (const double[]){12, 23, 30}, 3);
    s = fft_1d(1, 3, 3, REF_FFTCONV_CIRCULAR);
    ref_fftconv_nd(&s, x, k3, NULL, y);
    expect_close("fftconv circular K=3", y, (const double[]){312, 123, 231}, 3);
    s = fft_1d(1, 3, 2, REF_FFTCONV_CIRCULAR);
    ref_fftconv_nd(&s, x, k2, NULL, y);
    expect_close("fftconv circular K=2", y, (const double[]){31, 12, 23}, 3);
}

/* K = 1 is a per-channel (and, with a batched kernel, per-batch) scale. */
static void check_fftconv_pointwise(void)
{
    enum { B = 2, C = 3, N0 = 4, N1 = 5, P = N0 * N1 };
    double x[B * C * P], k[B * C], y[B * C * P], want[B * C * P];
    fill_random(x, B * C * P);
    fill_random(k, B * C);
    for (int i = 0; i < B * C * P; i++)
        want[i] = k[i / P] * x[i];
    ref_fftconv_shape s = {.batch = B, .channels = C, .kernel_batch = B, .ndim = 2,
                           .size = {N0, N1}, .kernel = {1, 1},
                           .padding = {REF_FFTCONV_ZERO, REF_FFTCONV_CIRCULAR}};
    ref_fftconv_nd(&s, x, k, NULL, y);
    expect_close("fftconv K=1 pointwise", y, want, B * C * P);
}

/* Zero padding with K = 2N-1 whose first N-1 taps are zero is the causal conv; gates, shortcut and
 * a per-batch kernel go through both paths the same way. */
static void check_fftconv_causal_vs_zero(void)
{
    enum { B = 2, C = 2, N = 6, K = 2 * N - 1 };
    double x[B * C * N], kc[B * C * N], kz[B * C * K] = {0}, shortcut[C];
    double pre[B * C * N], post[B * C * N], a[B * C * N], b[B * C * N];
    fill_random(x, B * C * N);
    fill_random(kc, B * C * N);
    fill_random(shortcut, C);
    fill_random(pre, B * C * N);
    fill_random(post, B * C * N);
    for (int row = 0; row < B * C; row++)
        memcpy(kz + row * K + (N - 1), kc + row * N, N * sizeof(double));
    const ref_fftconv_extras e = {.shortcut = shortcut, .pre = pre, .post = post};
    ref_fftconv_causal(x, kc, &e, a, B, C, N, N, B);
    ref_fftconv_shape s = {.batch = B, .channels = C, .kernel_batch = B, .ndim = 1,
                           .size = {N}, .kernel = {K}, .padding = {REF_FFTCONV_ZERO}};
    ref_fftconv_nd(&s, x, kz, &e, b);
    expect_close("fftconv causal == zero-padded 2N-1", a, b, B * C * N);
}

/* The fused call equals its composition: u = pre*x, then post * (conv(u) + D*u). */
static void check_fftconv_gates(void)
{
    enum { B = 2, C = 2, N0 = 3, N1 = 4, P = N0 * N1, K0 = 5, K1 = 7 };
    double x[B * C * P], k[C * K0 * K1], shortcut[C], pre[B * C * P], post[B * C * P];
    double u[B * C * P], conv[B * C * P], y[B * C * P], want[B * C * P];
    fill_random(x, B * C * P);
    fill_random(k, C * K0 * K1);
    fill_random(shortcut, C);
    fill_random(pre, B * C * P);
    fill_random(post, B * C * P);
    for (int i = 0; i < B * C * P; i++)
        u[i] = pre[i] * x[i];
    ref_fftconv_shape s = {.batch = B, .channels = C, .kernel_batch = 1, .ndim = 2,
                           .size = {N0, N1}, .kernel = {K0, K1},
                           .padding = {REF_FFTCONV_CIRCULAR, REF_FFTCONV_ZERO}};
    ref_fftconv_nd(&s, u, k, NULL, conv);
    for (int i = 0; i < B * C * P; i++)
        want[i] = post[i] * (conv[i] + shortcut[i / P % C] * u[i]);
    const ref_fftconv_extras e = {.shortcut = shortcut, .pre = pre, .post = post};
    ref_fftconv_nd(&s, x, k, &e, y);
    expect_close("fftconv fused gates == composition", y, want, B * C * P);
}

/* Mixed padding with a separable kernel a (x) b equals a zero-padded pass along axis 0 and a
 * circular pass along axis 1 (kernel rows repeated per channel, as the 1d form wants). */
static void check_fftconv_mixed_separable(void)
{
    enum { N0 = 5, N1 = 4, K0 = 9, K1 = 6 };
    double x[N0 * N1], a[K0], b[K1], k[K0 * K1], y[N0 * N1];
    double a_rows[N1 * K0], b_rows[N0 * K1], rows[N0 * N1], t[N1 * N0], cols[N1 * N0];
    double want[N0 * N1];
    fill_random(x, N0 * N1);
    fill_random(a, K0);
    fill_random(b, K1);
    for (int i = 0; i < K0 * K1; i++)
        k[i] = a[i / K1] * b[i % K1];
    for (int r = 0; r < N0; r++)
        memcpy(b_rows + r * K1, b, sizeof(b));
    for (int r = 0; r < N1; r++)
        memcpy(a_rows + r * K0, a, sizeof(a));

    ref_fftconv_shape along1 = fft_1d(N0, N1, K1, REF_FFTCONV_CIRCULAR);
    ref_fftconv_nd(&along1, x, b_rows, NULL, rows);
    transpose(rows, t, N0, N1);
    ref_fftconv_shape along0 = fft_1d(N1, N0, K0, REF_FFTCONV_ZERO);
    ref_fftconv_nd(&along0, t, a_rows, NULL, cols);
    transpose(cols, want, N1, N0);

    ref_fftconv_shape both = {.batch = 1, .channels = 1, .kernel_batch = 1, .ndim = 2,
                              .size = {N0, N1}, .kernel = {K0, K1},
                              .padding = {REF_FFTCONV_ZERO, REF_FFTCONV_CIRCULAR}};
    ref_fftconv_nd(&both, x, k, NULL, y);
    expect_close("fftconv mixed 2d separable", y, want, N0 * N1);
}

/* An impulse at p answers k[n + K/2 - p] on zero axes and k[(n - p + (K-1)/2) mod N] on
 * circular ones (K <= N there, so one tap at most): checks every axis's stride in 3d. */
static void check_fftconv_impulse_3d(void)
{
    const int64_t n[3] = {3, 4, 5}, k[3] = {4, 3, 5}, p[3] = {2, 1, 3};
    const ref_fftconv_padding pad[3] = {REF_FFTCONV_ZERO, REF_FFTCONV_CIRCULAR, REF_FFTCONV_ZERO};
    double x[60] = {0}, kern[60], y[60], want[60];
    fill_random(kern, 60);
    x[(p[0] * n[1] + p[1]) * n[2] + p[2]] = 1.0;
    for (int64_t i = 0; i < 60; i++) {
        int64_t o[3] = {i / (n[1] * n[2]), i / n[2] % n[1], i % n[2]}, m[3];
        int inside = 1;
        for (int d = 0; d < 3; d++) {
            m[d] = pad[d] == REF_FFTCONV_CIRCULAR
                       ? ref_floor_mod(o[d] - p[d] + (k[d] - 1) / 2, n[d])
                       : o[d] + k[d] / 2 - p[d];
            inside &= m[d] >= 0 && m[d] < k[d];
        }
        want[i] = inside ? kern[(m[0] * k[1] + m[1]) * k[2] + m[2]] : 0.0;
    }
    ref_fftconv_shape s = {.batch = 1, .channels = 1, .kernel_batch = 1, .ndim = 3,
                           .size = {3, 4, 5}, .kernel = {4, 3, 5},
                           .padding = {pad[0], pad[1], pad[2]}};
    ref_fftconv_nd(&s, x, kern, NULL, y);
    expect_close("fftconv 3d impulse", y, want, 60);
}

/* ---- SPEC 7: S4 (DPLR) and HiPPO-LegS ------------------------------------------------------------ */

/* The NPLR form gives back HiPPO-LegS: A = 2 Re(V diag(W) V^*) - P P^T with P = 2 Re(V p) (the
 * conjugate half of the basis completes each sum), B = 2 Re(V b), V^* V = I, -i S v = mu v. */
static void check_hippo_legs(int64_t n)
{
    int64_t h = n / 2;
    double *a = calloc((size_t)(5 * n * n + 10 * n), sizeof(double));
    double *b = a + n * n, *p = b + n, *w = p + n, *pt = w + n, *bt = pt + n, *v = bt + n, *rec = v + n * n;
    double *pr = rec + n * n, *br = pr + n, *gram = br + n, *eye = gram + h * h;
    ref_hippo_legs(n, a, b, p);
    ref_hippo_legs_nplr(n, w, pt, bt, v);
#define V(i, k) (v[2 * ((i) * h + (k))] + I * v[2 * ((i) * h + (k)) + 1])
    for (int64_t i = 0; i < n; i++) {
        double complex pi = 0, bi = 0;
        for (int64_t k = 0; k < h; k++) pi += V(i, k) * (pt[2 * k] + I * pt[2 * k + 1]), bi += V(i, k) * (bt[2 * k] + I * bt[2 * k + 1]);
        pr[i] = 2 * creal(pi), br[i] = 2 * creal(bi);
    }
    double residual = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double complex acc = 0;
            for (int64_t k = 0; k < h; k++) acc += V(i, k) * (w[2 * k] + I * w[2 * k + 1]) * conj(V(j, k));
            rec[i * n + j] = 2 * creal(acc) - pr[i] * pr[j];
        }
    for (int64_t k = 0; k < h; k++)
        for (int64_t l = 0; l < h; l++) {
            double complex acc = 0;
            for (int64_t i = 0; i < n; i++) acc += conj(V(i, k)) * V(i, l);
            gram[k * h + l] = cabs(acc), eye[k * h + l] = k == l;
        }
    for (int64_t k = 0; k < h; k++) /* -i S v_k = mu_k v_k, S_ij = -sqrt(2i+1) sqrt(2j+1) / 2 below the diagonal */
        for (int64_t i = 0; i < n; i++) {
            double complex acc = -w[2 * k + 1] * V(i, k);
            for (int64_t j = 0; j < n; j++)
                if (i != j) acc += -I * (i > j ? -0.5 : 0.5) * sqrt((2.0 * i + 1) * (2.0 * j + 1)) * V(j, k);
            residual = fmax(residual, cabs(acc) / (double)n);
        }
#undef V
    char name[64];
    snprintf(name, sizeof name, "hippo legs n=%lld: A = V(W - PP*)V*", (long long)n);
    expect_within(name, rec, a, n * n, 1e-9);
    snprintf(name, sizeof name, "hippo legs n=%lld: P and B", (long long)n);
    expect_within(name, pr, p, n, 1e-9);
    expect_within(name, br, b, n, 1e-9);
    snprintf(name, sizeof name, "hippo legs n=%lld: V*V = I, eigenpairs", (long long)n);
    expect_within(name, gram, eye, h * h, 1e-12);
    expect_true(name, residual < 1e-12 && fabs(w[0] + 0.5) < 1e-14);
    free(a);
}

/* Random S4 weights (A_real = log U(0.2, 0.8), A_imag, B, C, P in +-1, inv_dt U(log 1e-3, log 1e-1)). */
static double *s4_weights(ref_s4 *s, int64_t h, int64_t channels, int64_t n2, int64_t n_ssm)
{
    int64_t rows = n_ssm * n2;
    double *all = malloc(sizeof(double) * (size_t)(6 * rows + 2 * channels * h * n2 + h));
    double *a_real = all, *a_imag = a_real + rows, *b = a_imag + rows, *p = b + 2 * rows, *c = p + 2 * rows;
    double *inv_dt = c + 2 * channels * h * n2;
    fill_random(all, 6 * rows + 2 * channels * h * n2 + h);
    for (int64_t i = 0; i < rows; i++) a_real[i] = log(0.5 + 0.3 * a_real[i]), a_imag[i] = 3 * fabs(a_imag[i]);
    for (int64_t i = 0; i < h; i++) inv_dt[i] = log(0.001) + (log(0.1) - log(0.001)) * fabs(inv_dt[i]);
    *s = (ref_s4){.h = h, .channels = channels, .n2 = n2, .n_ssm = n_ssm, .bilinear = 1, .a_real = a_real,
                  .a_imag = a_imag, .b = b, .c = c, .p = p, .inv_dt = inv_dt};
    return all;
}

/* With P = 0 the dense DPLR discretisation is S4D's bilinear one on the diagonal. */
static void check_dplr_diagonal(void)
{
    ref_s4 s;
    double *all = s4_weights(&s, 2, 1, 3, 2);
    double zero[12] = {0}, da[2 * 36], db[12], want_a[2 * 36] = {0}, want_b[12], sda[12], sdb[12];
    s.p = zero;
    ref_s4d_discretise(&s, 1.0, sda, sdb);
    for (int64_t h = 0; h < 2; h++) {
        ref_s4_dplr_discretise(&s, h, da, db);
        for (int64_t i = 0; i < 6; i++) {
            int64_t n = i % 3, sign = i < 3 ? 1 : -1;
            want_a[2 * (i * 6 + i)] = sda[2 * (h * 3 + n)], want_a[2 * (i * 6 + i) + 1] = sign * sda[2 * (h * 3 + n) + 1];
            want_b[2 * i] = sdb[2 * (h * 3 + n)], want_b[2 * i + 1] = sign * sdb[2 * (h * 3 + n) + 1];
        }
        expect_within("s4 dplr dA with P = 0 == s4d bilinear", da, want_a, 72, 1e-13);
        expect_within("s4 dplr dB with P = 0 == s4d bilinear", db, want_b, 12, 1e-13);
    }
    free(all);
}

/* The dense recurrence from zero (dC from C~ for l_kernel) equals the causal convolution with the
 * Cauchy/Woodbury kernel of l_kernel FFT points, for lengths up to l_kernel. */
static void check_dplr_recur_vs_kernel(int64_t channels, int64_t l_kernel, int64_t length)
{
    ref_s4 s;
    int64_t h = 3, n2 = 4, batch = 2;
    double *all = s4_weights(&s, h, channels, n2, 1);
    double *x = malloc(sizeof(double) * (size_t)(batch * h * length)), *state = calloc((size_t)(batch * h * n2 * 2), sizeof(double));
    double *k = malloc(sizeof(double) * (size_t)(channels * h * length));
    double *y = malloc(sizeof(double) * (size_t)(2 * batch * channels * h * length)), *want = y + batch * channels * h * length;
    fill_random(x, batch * h * length);
    ref_s4_dplr_kernel(&s, 1.0, l_kernel, length, k);
    ref_s4_causal(k, channels, h, length, x, batch, length, want);
    ref_s4_dplr_recur(&s, l_kernel, x, batch, length, state, y);
    char name[80];
    snprintf(name, sizeof name, "s4 dplr recurrence == kernel, C%lld l_kernel %lld L %lld", (long long)channels,
             (long long)l_kernel, (long long)length);
    expect_within(name, y, want, batch * channels * h * length, 1e-9);
    free(all), free(x), free(state), free(k), free(y);
}

int main(void)
{
    check_dwconv_hand();
    check_dwconv_cp_groups();
    check_dwconv_box_3d();
    check_dwconv_impulse_3d();
    check_dwconv_separable_2d(REF_DWCONV_SAME, "dwconv 2d same separable");
    check_dwconv_separable_2d(REF_DWCONV_EXPLICIT, "dwconv 2d explicit separable");
    check_dwconv_vs_fn();
    check_varlen_hand();
    check_carry_hand();
    check_fn_hand();
    check_update_hand();
    check_fn_vs_varlen();
    check_fn_segments_vs_varlen();
    check_varlen_precomputed();
    check_final_vs_carry(1);
    check_final_vs_carry(6);
    check_update_vs_fn(3, 0, "update linear S=W-1 == fn");
    check_update_vs_fn(6, 0, "update linear S>W-1 == fn");
    check_update_vs_fn(5, 1, "update circular == fn");
    check_update_vs_fn(3, 1, "update circular S=W-1 == fn");
    check_update_indices();
    check_edge_shapes();
    check_fftconv_hand();
    check_fftconv_pointwise();
    check_fftconv_causal_vs_zero();
    check_fftconv_gates();
    check_fftconv_mixed_separable();
    check_fftconv_impulse_3d();
    for (int64_t n = 2; n <= 64; n *= 4) check_hippo_legs(n);
    check_dplr_diagonal();
    check_dplr_recur_vs_kernel(1, 16, 12);
    check_dplr_recur_vs_kernel(2, 9, 9);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
