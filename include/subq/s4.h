/* The lrnnx convolution family (SPEC.md section 7): fft_conv's einsum patterns, opt_ssm_forward with
 * its three strategies, and the FFTConvS4 module (S4D and S4 DPLR kernels, states, recurrent stepping
 * for both, LegS and Lin inits).
 * Included by subq.h.
 *
 * Complex tensors have a trailing axis of 2 holding (re, im), as torch.view_as_real gives them: a
 * complex [N, L] is a real [N, L, 2]. Where an argument may be real or complex, its rank says which
 * (the complex one has the extra trailing axis). Every tensor here is dense row-major unless a
 * comment allows strides.
 *
 * Inputs and outputs (x, y, fft_conv's kernel and projections, opt_ssm_forward's K, B_ and C) may
 * each be f32, f16 or bf16, chosen per tensor (16-bit ones need a device with 16-bit storage); the
 * arithmetic is fp32 (the spectra in the workspace too) and only loads and stores convert. FFTConvS4's
 * parameters and its recurrent states are f32 (a 16-bit state is refused, naming it): the state
 * carries the whole sequence, and rounding it at every step would add up. */
#ifndef SUBQ_S4_H
#define SUBQ_S4_H

#include "subq/subq.h"
#include "subq/parameters.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- workspace ---------------------------------------------------------------------------- */

/* Intermediate spectra of fft_conv and opt_ssm_forward live in a workspace: it grows to the
 * largest call and is reused by the next (calls recorded in one stream are ordered). Buffers it
 * outgrows are kept until it is destroyed, since recorded work may still use them. */
typedef struct subq_lrnnx_workspace subq_lrnnx_workspace;

subq_status subq_lrnnx_workspace_create(subq_context *context, subq_lrnnx_workspace **workspace);
/* Not while a stream that used it has work in flight. */
void subq_lrnnx_workspace_destroy(subq_lrnnx_workspace *workspace);

/* ---- fft_conv(equation, input, *args) ------------------------------------------------------ */

/* The einsum patterns of lrnnx's fft_conv. With L = x's length, every kernel's time axis is
 * zero-padded (or cut) to 2L, the product is taken in frequency space and the first L points of
 * the inverse are returned, complex: y = ifft(einsum(eq, fft(x, 2L), fft(kernel, 2L), ...))[:, :L]. */
typedef enum subq_lrnnx_pattern {
    SUBQ_LRNNX_FULL = 0, /* "bli,loi->blo": x [B, L, I], kernel [Lk, O, I]; b_proj, c_proj NULL */
    SUBQ_LRNNX_DIAGONAL, /* "bln,ln->bln": x [B, L, N], kernel [Lk, N]; b_proj, c_proj NULL */
    SUBQ_LRNNX_FACTORED, /* "blh,nl,nh,on->blo": x [B, L, H], kernel K [N, Lk], b_proj B_ [N, H],
                            c_proj C [O, N] (B_ and C are not transformed) */
} subq_lrnnx_pattern;

/* x, kernel, b_proj and c_proj each real or complex (by rank); y [B, L, O, 2] complex, sharing
 * memory with no input. Lk >= 1 is free (torch's fft(k, n=2L) pads or cuts it to 2L). */
subq_status subq_lrnnx_fft_conv(subq_stream *stream, subq_lrnnx_workspace *workspace,
                                subq_lrnnx_pattern pattern, const subq_tensor *x,
                                const subq_tensor *kernel, const subq_tensor *b_proj, const subq_tensor *c_proj,
                                subq_tensor *y);

/* ---- opt_ssm_forward(x, K, B_, C) --------------------------------------------------------- */

/* y[b,t,o] = Re sum_{s<=t} sum_n C[o,n] K[n,s] sum_h B_[n,h] x[b,t-s,h], by one of three routes. */
typedef enum subq_opt_ssm_strategy {
    SUBQ_OPT_SSM_AUTO = 0,    /* as opt_ssm_forward chooses (subq_opt_ssm_choose) */
    SUBQ_OPT_SSM_FULL_KERNEL, /* strategy 1: kernel = Re einsum("on,nl,ni->loi"), fft_conv "bli,loi->blo" */
    SUBQ_OPT_SSM_PROJECT,     /* strategy 2: x B_^T, fft_conv "bln,ln->bln" with K^T, times C^T, Re */
    SUBQ_OPT_SSM_FACTORED,    /* the fallback: fft_conv "blh,nl,nh,on->blo", Re */
} subq_opt_ssm_strategy;

/* opt_ssm_forward's rule: strategy 1 if 1/H_in + 1/H_out > 1/B + 1/N and H_in * H_out <= N;
 * strategy 2 if 1/H_in + 1/H_out <= 1/B + 1/N and N <= H_in; else the fallback. */
subq_opt_ssm_strategy subq_opt_ssm_choose(int64_t batch, int64_t h_in, int64_t h_out, int64_t n);

typedef struct subq_opt_ssm_options {
    subq_opt_ssm_strategy strategy; /* AUTO: subq_opt_ssm_choose; the others force a route */
} subq_opt_ssm_options;

/* x [B, L, H_in] real; K [N, Lk] or [N, Lk, 2]; b_proj B_ [N, H_in] or [N, H_in, 2]; c_proj C
 * [H_out, N] or [H_out, N, 2]; y [B, L, H_out] real. options may be NULL. */
subq_status subq_opt_ssm_forward(subq_stream *stream, subq_lrnnx_workspace *workspace, const subq_tensor *x,
                                 const subq_tensor *K,
                                 const subq_tensor *b_proj, const subq_tensor *c_proj,
                                 const subq_opt_ssm_options *options, subq_tensor *y);

/* ---- FFTConvS4 ----------------------------------------------------------------------------- */

typedef enum subq_s4_kernel_type {
    SUBQ_S4_KERNEL_NONE = 0, /* an error, as FFTConvS4 without kernel_type or kernel */
    SUBQ_S4_KERNEL_S4D,      /* "s4d": diagonal A */
    SUBQ_S4_KERNEL_S4,       /* "s4": diagonal plus rank-1 (DPLR) A */
} subq_s4_kernel_type;

typedef enum subq_s4_discretization {
    SUBQ_S4_ZOH = 0,  /* "zoh" */
    SUBQ_S4_BILINEAR, /* "bilinear" (S4D only; the DPLR kernel is bilinear by construction) */
} subq_s4_discretization;

/* subq_fftconv_s4_init's initialisation of A, B (and P), as lrnnx's `init` argument. */
typedef enum subq_s4_init {
    SUBQ_S4_INIT_LEGS = 0, /* "legs", lrnnx's default for both kernel types (its S4 and S4D models):
                              the normal plus low-rank form of HiPPO-LegS (see subq_fftconv_s4_init) */
    SUBQ_S4_INIT_LIN,      /* "diag-lin" (S4D) or "dplr-lin" (S4): A_imag = pi n, B = 1, P random */
} subq_s4_init;

typedef struct subq_fftconv_s4_config {
    int64_t d_model;      /* H, required */
    int64_t l_max;        /* 0: None (a kernel as long as the input) */
    int64_t channels;     /* 0: 1 */
    int32_t not_transposed; /* 0: transposed=True, x (B, H, L); 1: x (B, L, H) */
    subq_s4_kernel_type kernel_type;
    subq_s4_discretization disc;
    int64_t d_state;      /* 0: 64; the state holds d_state / 2 complex modes (conjugate pairs) */
    int64_t n_ssm;        /* 0: H; SSM h uses parameter row h mod n_ssm; must divide H */
    double dt_min, dt_max; /* 0: 0.001 and 0.1 */
    int64_t l_kernel;     /* S4 only: the length C~ was set up for (lrnnx's l_kernel buffer);
                             0: l_max, or the input length when l_max is 0 (then no stepping) */
    subq_s4_init init;    /* 0: LegS, as lrnnx */
} subq_fftconv_s4_config;

typedef struct subq_fftconv_s4 subq_fftconv_s4;

/* Parameters, named as lrnnx's state_dict: kernel.A_real [n_ssm, N2], kernel.A_imag [n_ssm, N2],
 * kernel.B [1, n_ssm, N2, 2], kernel.C [channels, H, N2, 2], kernel.P [1, n_ssm, N2, 2] (S4 only),
 * kernel.inv_dt [H, 1], N2 = d_state / 2. A = -exp(A_real) - i A_imag, dt = exp(inv_dt) * rate. */
subq_status subq_fftconv_s4_create(subq_context *context, const subq_fftconv_s4_config *config,
                                   subq_fftconv_s4 **module);
/* Not while a stream that uses it has work in flight. */
void subq_fftconv_s4_destroy(subq_fftconv_s4 *module);
subq_parameters *subq_fftconv_s4_parameters(subq_fftconv_s4 *module);
/* lrnnx's initialisation by config.init, the same for both kernel types (S4D ignores P):
 *  LegS: A + P P^T = -I/2 + S for HiPPO-LegS A [d_state, d_state] and P = sqrt(n + 1/2), S skew; the
 *        eigenvectors V of -i S (in double precision) whose eigenvalues w are negative, each one
 *        with its first component real and positive (LAPACK leaves that sign free: it flips a mode's
 *        P and B together, which changes no kernel); A = -1/2 + i w (A_real = log 1/2, A_imag = -w),
 *        P = V^* P, B = V^* sqrt(2n + 1) with Im B clipped to [-2, 2], every SSM row alike.
 *  Lin:  A_real = log 1/2, A_imag = max(pi n, 1e-4) (lrnnx clamps it), B = 1, P ~ complex N(0, 1).
 * Then C ~ complex N(0, 1) (each part std sqrt(1/2)) and inv_dt ~ U(log dt_min, log dt_max). */
subq_status subq_fftconv_s4_init(subq_fftconv_s4 *module, uint64_t seed);
/* H * channels. */
int64_t subq_fftconv_s4_d_output(const subq_fftconv_s4 *module);
/* A one-line summary of the configuration. */
subq_status subq_fftconv_s4_describe(const subq_fftconv_s4 *module, char *buffer, size_t size);

/* x (B, H, L) or (B, L, H) by config.not_transposed; y [B, C, H, L]; x and y f32, f16 or bf16,
 * state and next_state f32 (a 16-bit y is rounded once, after the state's response is added). The
 * kernel (length lk = L, or min(L, round(l_max / rate))) is generated on the GPU and kept for the
 * next forward of the same length and rate until the weights change. rate 0 means 1. With state [B, H, N2, 2]
 * (lk must equal L), y gains the state's response (lrnnx's k_state, at the rate; S4: through the
 * kernel's Cauchy sums with the state as B) and next_state [B, H, N2, 2] receives
 * forward_state(x, state) at rate 1 (S4: a scan of the step); both NULL otherwise. At rate 1 a
 * forward with a state followed by steps gives the forward of the whole sequence (S4: for lengths
 * up to l_kernel, where C~ makes the kernel exact). A forward of another length or rate than the
 * previous one replaces the cached kernel: not while earlier work of the module is in flight. */
subq_status subq_fftconv_s4_forward(subq_stream *stream, subq_fftconv_s4 *module, const subq_tensor *x,
                                    const subq_tensor *state, double rate, subq_tensor *y,
                                    subq_tensor *next_state);
/* Discretise for stepping at rate 1; again after the weights change. S4D: dA, dB on the GPU. S4:
 * the original's "linear" step mode (bilinear dA = (I - dt/2 A)^-1 (I + dt/2 A) applied as its
 * diagonal plus rank-1 parts, dB likewise), its coefficients on the GPU, and dC = C~ (I - dA^l)^-1
 * for l = config.l_kernel (else l_max; with neither, an error naming config.l_kernel) computed on
 * the host in double precision (O(C H l d_state): 1.5 s on one core at H = 768, d_state 64,
 * l = 4096) and uploaded synchronously: not while steps recorded before it are still to run. */
subq_status subq_fftconv_s4_setup_step(subq_stream *stream, subq_fftconv_s4 *module);
/* One recurrent step: x [B, H], state [B, H, N2, 2] -> y [B, C, H] = 2 Re sum_n dC s', next_state
 * [B, H, N2, 2] (next_state may be state itself). x and y f32, f16 or bf16; the states f32. */
subq_status subq_fftconv_s4_step(subq_stream *stream, subq_fftconv_s4 *module, const subq_tensor *x,
                                 const subq_tensor *state, subq_tensor *y, subq_tensor *next_state);
/* [batch, H, N2, 2]: the shape of a state. */
subq_status subq_fftconv_s4_state_shape(const subq_fftconv_s4 *module, int64_t batch, int64_t shape[4]);
/* Zeros into state, an f32 [B, H, N2, 2] tensor (synchronous). */
subq_status subq_fftconv_s4_default_state(subq_fftconv_s4 *module, subq_tensor *state);

#ifdef __cplusplus
}
#endif

#endif
