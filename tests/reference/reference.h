/* Double-precision CPU references for subq's operators (SPEC.md sections 1, 2 and 4).
 *
 * They are written as the SPEC's direct sums, not as fast algorithms, so that a GPU result can be
 * judged against the math itself rather than against another implementation of the same trick.
 *
 * Conventions:
 *  - every tensor is a dense row-major array; shapes are given in the comments, outermost first;
 *  - nothing is validated: callers pass consistent shapes, and for those no function reads or
 *    writes out of bounds (sizes of 1 and empty varlen requests included);
 *  - a NULL optional tensor means "absent" (bias = 0, no initial states, no gate, ...);
 *  - outputs never alias inputs unless a comment says so. */
#ifndef SUBQ_TESTS_REFERENCE_H
#define SUBQ_TESTS_REFERENCE_H

#include <stdint.h>

#define REF_MAX_SPATIAL 3

/* Python's a % n for n > 0: circular indices may start negative (cache - (W-1), n - m + ...). */
static inline int64_t ref_floor_mod(int64_t a, int64_t n)
{
    int64_t r = a % n;
    return r < 0 ? r + n : r;
}

typedef enum ref_activation {
    REF_ACT_NONE = 0,
    REF_ACT_SILU, /* "silu" and "swish": x / (1 + exp(-x)) */
} ref_activation;

/* ---- SPEC 1: depthwise convolution (DistributedDepthwiseConv1d / 2d / 3d) -------------------- */

typedef enum ref_dwconv_padding {
    REF_DWCONV_SAME = 0, /* left (K-1)/2, rest right: output size = input size */
    REF_DWCONV_CAUSAL,   /* left K-1 on every axis (the module allows it in 1d only) */
    REF_DWCONV_EXPLICIT, /* PyTorch padding=p on both sides: output N + 2p - K + 1 */
} ref_dwconv_padding;

/* The expanded channel rows a rank owns are [cp_rank*C_local, (cp_rank+1)*C_local) of
 * C = C_local*cp_size; global channel c uses weight prototype c / (C / groups). Without context
 * parallelism pass cp_size = 1, cp_rank = 0. */
typedef struct ref_dwconv_shape {
    int64_t batch;
    int64_t channels_local;
    int64_t cp_size;
    int64_t cp_rank;
    int64_t groups;
    int ndim;                          /* spatial axes: 1, 2 or 3 */
    int64_t size[REF_MAX_SPATIAL];     /* input spatial sizes */
    int64_t kernel[REF_MAX_SPATIAL];
    int64_t pad[REF_MAX_SPATIAL];      /* read only for REF_DWCONV_EXPLICIT */
    ref_dwconv_padding padding;
} ref_dwconv_shape;

/* Output length of one spatial axis. */
int64_t ref_dwconv_out_size(const ref_dwconv_shape *shape, int axis);

/* Cross-correlation (like F.conv{1,2,3}d with groups = C).
 * x [batch, channels_local, *size], weight [groups, *kernel], bias [groups] or NULL,
 * y [batch, channels_local, *out_size]. */
void ref_depthwise_conv(const ref_dwconv_shape *shape, const double *x, const double *weight,
                        const double *bias, double *y);

/* ---- SPEC 6: context-parallel zigzag layout ------------------------------------------------- */

/* A global tensor [batch, channels, length, *rest] (rest: the trailing axes' product) over ranks. */
typedef struct ref_cp_shape {
    int64_t batch, channels, length, rest, ranks;
} ref_cp_shape;

/* The global position of a rank's local position: chunks rank and 2P-1-rank of length L/(2P). */
int64_t ref_cp_position(int64_t length, int64_t ranks, int64_t rank, int64_t local);
/* The rank's split tensor [batch, channels, length/ranks, rest]. */
void ref_cp_split(const ref_cp_shape *shape, int64_t rank, const double *global, double *local);
/* The rank's full tensor [batch, channels/ranks, length, rest]: its channel block, every position. */
void ref_cp_full(const ref_cp_shape *shape, int64_t rank, const double *global, double *full);

/* ---- SPEC 2.1: causal_conv1d_varlen_fn (Megatron) -------------------------------------------- */

/* x (T, D) packed channels-last, weight (D, W), bias (D) or NULL, cu_seqlens (R+1),
 * initial_states (R, D, W-1) or NULL (column W-2 is the token just before the request),
 * seq_idx and seq_start (T) both given or both NULL (then derived from cu_seqlens, which must end
 * at T), out (T, D). Precomputed padding tokens carry the sentinel seq_idx = seq_start = 0 and
 * get finite outputs. The activation is always SiLU, as in the original. */
void ref_causal_conv1d_varlen(const double *x, const double *weight, const double *bias,
                              const int32_t *cu_seqlens, const double *initial_states,
                              const int32_t *seq_idx, const int32_t *seq_start, double *out,
                              int64_t tokens, int64_t dim, int64_t width, int64_t requests);

/* The state each request leaves behind, width W: x (T, D), cu_seqlens (R+1), prev (R, D, W),
 * next (R, D, W). next may alias prev (the update reads only columns it has not yet written). */
void ref_causal_conv1d_varlen_carry_states(const double *x, const int32_t *cu_seqlens,
                                           const double *prev, double *next, int64_t dim,
                                           int64_t width, int64_t requests);

/* ---- SPEC 2.2: causal_conv1d_fn (Dao) -------------------------------------------------------- */

/* x (B, D, L), weight (D, W) any W >= 1, bias (D) or NULL, seq_idx (B, L) or NULL,
 * initial_states (B, D, W-1) or NULL, final_states (B, D, W-1) or NULL (not wanted), out (B, D, L).
 *
 * seq_idx together with initial_states (forbidden by the original): the taps before t = 0 belong
 * to the segment seq_idx[b, 0], so they read initial_states only for outputs with
 * seq_idx[b, t] == seq_idx[b, 0]: the state continues the first segment and no other.
 * final_states follows the SPEC literally: the last W-1 columns of cat(initial_states, x), with no
 * masking by seq_idx. */
void ref_causal_conv1d(const double *x, const double *weight, const double *bias,
                       const int32_t *seq_idx, const double *initial_states, double *final_states,
                       double *out, ref_activation activation, int64_t batch, int64_t dim,
                       int64_t len, int64_t width);

/* ---- SPEC 2.3: causal_conv1d_update (Dao) ---------------------------------------------------- */

/* x (B, D, L) (a (B, D) call is L = 1), conv_state (slots, D, S) with S >= W-1, updated in place,
 * weight (D, W), bias (D) or NULL, out (B, D, L).
 * cache_seqlens (B) or NULL: NULL is the linear buffer (window = cat(state, x), keep the last S),
 * otherwise a circular buffer read from (cache - (W-1)) mod S and written from cache mod S; when
 * L > S later tokens overwrite earlier ones, as the CUDA kernel's sequential writes do.
 * conv_state_indices (B) or NULL (row b uses slot b): a negative index gives zeros and leaves
 * every slot untouched. */
void ref_causal_conv1d_update(const double *x, double *conv_state, const double *weight,
                              const double *bias, const int32_t *cache_seqlens,
                              const int32_t *conv_state_indices, double *out,
                              ref_activation activation, int64_t batch, int64_t dim, int64_t len,
                              int64_t width, int64_t state_len);

/* ---- SPEC 4: CKConvND global convolution (true convolution, kernel index 0 = lag 0) ---------- */

/* The fused epilogue shared by both forms: u = pre * x, y = post * (conv(u, k) + shortcut[c] * u).
 * pre and post have x's shape; shortcut is [C]; each is NULL when absent. */
typedef struct ref_fftconv_extras {
    const double *shortcut;
    const double *pre;
    const double *post;
} ref_fftconv_extras;

/* In place: the DFT X[k] = sum_j x[j] exp(-2 pi i jk / n) of re + i im, n a power of two (radix 2);
 * for checks that build a kernel's spectrum the way an op expects it. */
void ref_fft(double *re, double *im, int64_t n);
/* spectrum [rows, points / 2 + 1, 2] = rfft(k zero-padded to points) / points for each of the rows
 * of k [rows, len], len <= points, points a power of two: a kernel spectrum as the FFT convs take it. */
void ref_rfft_rows(const double *k, int64_t rows, int64_t len, int64_t points, double *spectrum);

/* Causal 1D: y[b,c,n] = sum_{m <= n, m < K} k[c,m] * u[b,c,n-m].
 * x, y [B, C, N]; k [Bk, C, K] with Bk = 1 (shared) or B. extras may be NULL. */
void ref_fftconv_causal(const double *x, const double *k, const ref_fftconv_extras *extras,
                        double *y, int64_t batch, int64_t channels, int64_t len,
                        int64_t kernel_len, int64_t kernel_batch);

typedef enum ref_fftconv_padding {
    REF_FFTCONV_ZERO = 0, /* y[n] = sum_m k[m] * x[n + K/2 - m], x = 0 outside [0, N) */
    REF_FFTCONV_CIRCULAR, /* y[n] = sum_m k[m] * x[(n - m + (K-1)/2) mod N] */
} ref_fftconv_padding;

typedef struct ref_fftconv_shape {
    int64_t batch;
    int64_t channels;
    int64_t kernel_batch;                     /* 1 (shared kernel) or batch */
    int ndim;                                 /* spatial axes: 1, 2 or 3 */
    int64_t size[REF_MAX_SPATIAL];            /* N per axis; the output has the same size */
    int64_t kernel[REF_MAX_SPATIAL];          /* K per axis, typically 2g-1 */
    ref_fftconv_padding padding[REF_MAX_SPATIAL];
} ref_fftconv_shape;

/* Non-causal ND, each axis zero- or circular-padded (mixed is the product of the per-axis sums).
 * x, y [B, C, *size]; k [kernel_batch, C, *kernel]. extras may be NULL.
 * The SPEC's zero-padded FFT size min(N + ceil(K/2), 2N) reproduces this sum only for
 * K <= 2N + 2 (beyond, the 2N-point transform aliases): GPU tests should stay in that range. */
void ref_fftconv_nd(const ref_fftconv_shape *shape, const double *x, const double *k,
                    const ref_fftconv_extras *extras, double *y);

/* ---- SPEC 3 and 5: activations, gates, norms over channels, linear projections -------------- */

/* The values of subq_activation. */
typedef enum ref_nn_activation {
    REF_NN_NONE = 0,
    REF_NN_SILU,      /* x / (1 + exp(-x)) */
    REF_NN_SIGMOID,   /* 1 / (1 + exp(-x)) */
    REF_NN_GELU,      /* x/2 * (1 + erf(x / sqrt 2)) */
    REF_NN_GELU_TANH, /* x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) */
    REF_NN_SOFTPLUS,  /* log(1 + exp(x)), x itself above 20 (PyTorch's beta 1, threshold 20) */
} ref_nn_activation;

double ref_activate(double x, ref_nn_activation activation);

/* y = a * act(b) over n elements; a NULL: y = act(b). y may alias a or b. */
void ref_gate(const double *a, const double *b, ref_nn_activation activation, double *y, int64_t n);

typedef enum ref_norm_kind {
    REF_NORM_RMS = 0, /* x / sqrt(mean(x^2) + eps) */
    REF_NORM_LAYER,   /* (x - mean) / sqrt(var + eps), biased variance */
    REF_NORM_L2,      /* x / max(||x||, eps) */
} ref_norm_kind;

/* Norm over the channel axis of x viewed as [outer, channels, inner] (channels-last: inner = 1;
 * channels-first [B, C, *S]: outer = B, inner = prod(S)), then * gamma[c] + beta[c] (each NULL
 * when absent). eps is used as given. x, y [outer, channels, inner]; y may alias x. */
void ref_norm(const double *x, const double *gamma, const double *beta, ref_norm_kind kind, double eps,
              double *y, int64_t outer, int64_t channels, int64_t inner);

/* y [M, N] = x [M, K] W^T + bias, W [N, K], bias [N] or NULL. */
void ref_linear(const double *x, const double *weight, const double *bias, double *y, int64_t m, int64_t n,
                int64_t k);

/* ---- SPEC 4: CKConv kernel generators and masks --------------------------------------------- */

/* Grid points along one axis: g = N (double grid) or (N + 1) / 2 (single), 2g - 1 points. */
int64_t ref_ckconv_axis_points(int64_t n, int single);

/* grid [P, D], P = prod of ref_ckconv_axis_points, axis 0 slowest: grid[p, d] =
 * (i_d - (g_d - 1)) / (cache[d] - 1). single[d]: nonzero for a single-grid axis. */
void ref_ckconv_grid(int dims, const int64_t *size, const int64_t *cache, const int *single, double *grid);

/* SIREN on grid [P, D]: h = sin(w0 p + b0) (w0 [H, D]), then layers - 1 times
 * h = sin(wh[l] h + bh[l]) (wh [layers - 1, H, H], bh [layers - 1, H]), after each layer
 * h = gamma[b, l] * h + beta[b, l] when gamma is not NULL (gamma, beta [batch, layers, H]),
 * then k = wout h + bout (wout [C, H]). kernel [batch, P, C] (batch = 1 without FiLM). */
void ref_ckconv_siren(const double *grid, int64_t points, int64_t dims, int64_t hidden, int64_t layers,
                      int64_t channels, const double *w0, const double *b0, const double *wh, const double *bh,
                      const double *wout, const double *bout, const double *gamma, const double *beta,
                      int64_t batch, double *kernel);

/* kernel [batch, P, C] *= mask at grid [P, D] with params [D, C]: Gaussian (gaussian != 0)
 * exp(-0.5 sum_d p_d^2 / clamp(sigma_dc, min_std, max_std)^2), else prod_d exp(-|p_d| |w_dc|). */
void ref_ckconv_mask(const double *grid, int64_t points, int64_t dims, const double *params, int64_t channels,
                     int gaussian, double min_std, double max_std, int64_t batch, double *kernel);

/* ---- SPEC 7: lrnnx convolution family (s4_ref.c) ---------------------------------------------- */
/* Complex arrays interleave (re, im); a "parts" argument says whether an input is real (1, no
 * imaginary values stored) or complex (2). */

typedef enum ref_lrnnx_pattern { REF_LRNNX_FULL = 0, REF_LRNNX_DIAGONAL, REF_LRNNX_FACTORED } ref_lrnnx_pattern;

/* fft_conv as a direct sum over the 2L-point circular convolution: y[b,t,o] (complex, [B, L, O, 2])
 * = sum_{s < min(Lk, 2L)} sum_(pattern) k[s] x[(t - s) mod 2L] with x zero from L on. FULL: x
 * [B, L, I], k [Lk, O, I]; DIAGONAL: x [B, L, N], k [Lk, N] (O = N); FACTORED: x [B, L, H], k
 * [N, Lk], b [N, H], c [O, N]. */
void ref_lrnnx_fft_conv(ref_lrnnx_pattern pattern, int64_t batch, int64_t length, int64_t inner, int64_t out,
                        int64_t n, int64_t lk, const double *x, int x_parts, const double *k, int k_parts,
                        const double *b, int b_parts, const double *c, int c_parts, double *y);

/* opt_ssm_forward's formula: y[b,t,o] = Re sum_{s <= t, s < Lk} sum_n C[o,n] K[n,s] sum_h
 * B_[n,h] x[b,t-s,h]; x [B, L, Hin] real, K [N, Lk], B_ [N, Hin], C [Hout, N]; y [B, L, Hout]. */
void ref_opt_ssm(int64_t batch, int64_t length, int64_t h_in, int64_t h_out, int64_t n, int64_t lk,
                 const double *x, const double *K, int k_parts, const double *B, int b_parts, const double *C,
                 int c_parts, double *y);

/* FFTConvS4's parameters (as the module's state_dict holds them) and sizes. */
typedef struct ref_s4 {
    int64_t h, channels, n2, n_ssm;
    int bilinear;
    const double *a_real, *a_imag; /* [n_ssm, n2] */
    const double *b, *c, *p;       /* [n_ssm, n2, 2], [channels, h, n2, 2], [n_ssm, n2, 2] (S4 only) */
    const double *inv_dt;          /* [h] */
} ref_s4;

/* S4D: dA [h, n2, 2] and dB [h, n2, 2] at a rate (ZOH or bilinear). */
void ref_s4d_discretise(const ref_s4 *s, double rate, double *da, double *db);
/* S4D kernel [channels, h, lk]: 2 Re sum_n C dB dA^l. */
void ref_s4d_kernel(const ref_s4 *s, double rate, int64_t lk, double *k);
/* S4 DPLR kernel [channels, h, lk]: Cauchy sums at the fft-point nodes, Woodbury, 2/(1+omega),
 * irfft of fft points (a direct sum), first lk points. */
void ref_s4_dplr_kernel(const ref_s4 *s, double rate, int64_t fft, int64_t lk, double *k);
/* y[b,c,h,t] = sum_{s <= t, s < lk} k[c,h,s] x[b,h,t-s]; x [B, h, L], y [B, channels, h, L]. */
void ref_s4_causal(const double *k, int64_t channels, int64_t h, int64_t lk, const double *x, int64_t batch,
                   int64_t length, double *y);
/* The S4D recurrence at rate 1 from state [B, h, n2, 2] over x [B, h, L]: s' = dA s + dB u,
 * y[b,c,h,t] = 2 Re sum_n C s'; the final state into state (in place). */
void ref_s4d_recur(const ref_s4 *s, const double *x, int64_t batch, int64_t length, double *state, double *y);

/* S4 (DPLR, rank 1) at rate 1 as dense matrices over both members of each pair (m = 2 n2 values,
 * the second half the conjugates of the first): A = diag(Lambda) - P P^*, dA = (I - dt/2 A)^-1
 * (I + dt/2 A) [m, m, 2] and dB = (I - dt/2 A)^-1 dt B [m, 2] of SSM row h. */
void ref_s4_dplr_discretise(const ref_s4 *s, int64_t h, double *da, double *db);
/* dC [channels, h, n2, 2]: the first n2 values of the solution of (I - dA^l_kernel)^T dC = (C~, conj C~),
 * dA^l_kernel by repeated squaring, as the original's _setup_step. */
void ref_s4_dplr_output(const ref_s4 *s, int64_t l_kernel, double *dc);
/* The dense S4 recurrence from state [B, h, n2, 2] over x [B, h, L]: s' = dA s + dB u,
 * y[b,c,h,t] = Re sum_m dC_m s'_m over both halves (= 2 Re over the first); final state in place. */
void ref_s4_dplr_recur(const ref_s4 *s, int64_t l_kernel, const double *x, int64_t batch, int64_t length,
                       double *state, double *y);

/* ---- HiPPO-LegS (hippo_ref.c) ------------------------------------------------------------------ */

/* A [n, n] (-sqrt(2i+1) sqrt(2j+1) below the diagonal, -(i+1) on it), B [n] = sqrt(2i+1),
 * P [n] = sqrt(i + 1/2). */
void ref_hippo_legs(int64_t n, double *a, double *b, double *p);
/* Its normal plus low-rank form for even n: the eigenvectors of -i S (S = A + P P^T + I/2, skew)
 * with the n/2 negative eigenvalues mu, ascending, first components real and positive, as the columns
 * of v [n, n/2, 2]; w [n/2, 2] = mean(diag(A + P P^T)) + i mu, p = V^* P and b = V^* B [n/2, 2]. */
void ref_hippo_legs_nplr(int64_t n, double *w, double *p, double *b, double *v);

#endif
