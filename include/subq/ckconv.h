/* CKConv's implicit kernels (SPEC.md section 4, "Kernel generators" and "Masks"): the coordinate
 * grid, the SIREN network evaluated on it, and the masks that multiply its output. Included by
 * subq.h.
 *
 * A kernel is produced channels-last, [Bk, P, C] with P = prod over axes of (2g - 1) points, axis 0
 * slowest; seen as [Bk, K0, (K1, (K2,)) C] it is the kernel of subq_fft_kernel_create after a
 * permuted view to [Bk, C, *K] (that function accepts strided kernels).
 *
 * Causal 1D kernels keep k[(2N-1)/2 :] (length N, k[0] = lag 0): that is a view, no copy. For a
 * dense kernel [Bk, 2N-1, C] (double grid on its one axis):
 *     int64_t shape[3] = {Bk, C, N}, strides[3] = {(2N-1) * C, 1, C};
 *     subq_tensor_view(kernel, (N - 1) * C, 3, shape, strides, &causal);
 * gives the [Bk, C, N] kernel for subq_fft_kernel_create with options.causal = 1. */
#ifndef SUBQ_CKCONV_H
#define SUBQ_CKCONV_H

#include "subq/subq.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SUBQ_CKCONV_MAX_AXES 3
#define SUBQ_CKCONV_MAX_HIDDEN 64 /* the SIREN's hidden width H: one invocation holds a layer */
#define SUBQ_CKCONV_MAX_LAYERS 8

typedef enum subq_ckconv_grid_type {
    SUBQ_CKCONV_GRID_DOUBLE = 0, /* g = N: 2N - 1 points, every lag of an N-point input */
    SUBQ_CKCONV_GRID_SINGLE,     /* g = (N + 1) / 2: N points (N odd), N - 1 points (N even) */
} subq_ckconv_grid_type;

typedef struct subq_ckconv_grid_options {
    int32_t data_dim;                                   /* D: 1, 2 or 3 axes */
    int64_t size[SUBQ_CKCONV_MAX_AXES];                 /* N per axis, >= 1 */
    int64_t cache_size[SUBQ_CKCONV_MAX_AXES];           /* L_cache per axis, >= 2 */
    subq_ckconv_grid_type grid_type[SUBQ_CKCONV_MAX_AXES];
} subq_ckconv_grid_options;

/* P, the number of grid points the options describe (prod of 2g - 1); fails on bad options. */
subq_status subq_ckconv_grid_points(const subq_ckconv_grid_options *options, int64_t *points);

/* grid [P, D] dense: grid[p, d] = (i_d - (g_d - 1)) / (L_cache_d - 1), i_d the index of point p
 * along axis d (torch.meshgrid indexing 'ij'). Past L_cache the grid extends at the same step. */
subq_status subq_ckconv_grid(subq_stream *stream, const subq_ckconv_grid_options *options, subq_tensor *grid);

/* SIREN weights, every tensor dense f32, in PyTorch's Linear layout. The embedding width equals
 * the hidden width H (<= SUBQ_CKCONV_MAX_HIDDEN), so every layer's FiLM has H channels. */
typedef struct subq_ckconv_siren_weights {
    const subq_tensor *w0, *b0;             /* [H, D], [H]: omega0 already folded into w0 */
    const subq_tensor *w_hidden, *b_hidden; /* [num_layers - 1, H, H], [num_layers - 1, H]; NULL when
                                               num_layers = 1 */
    const subq_tensor *w_out, *b_out;       /* [C, H], [C] */
    const subq_tensor *film_gamma, *film_beta; /* [B, num_layers, H] each, or both NULL */
} subq_ckconv_siren_weights;

/* kernel [Bk, P, C] dense (Bk = 1 without FiLM, B with): h = sin(w0 p + b0), then
 * h = sin(w_i h + b_i) for each hidden layer, after every layer (the first included) h = gamma_l * h
 * + beta_l when FiLM is given, then k = w_out h + b_out. grid [P, D] dense (subq_ckconv_grid's).
 * num_layers <= SUBQ_CKCONV_MAX_LAYERS. kernel must not overlap any input. */
subq_status subq_ckconv_siren(subq_stream *stream, const subq_tensor *grid, const subq_ckconv_siren_weights *weights,
                              subq_tensor *kernel);

typedef enum subq_ckconv_mask_kind {
    SUBQ_CKCONV_MASK_GAUSSIAN = 0, /* exp(-0.5 * sum_d p_d^2 / clamp(sigma_dc, min_std, max_std)^2) */
    SUBQ_CKCONV_MASK_EXPONENTIAL,  /* prod_d exp(-|p_d| * |w_dc|) */
} subq_ckconv_mask_kind;

/* SPEC's bounds: min_std = (2 / (grid_size - 1)) * sqrt(-1 / (2 ln 0.1)),
 * max_std = sqrt(-1 / (2 ln 0.95)); read by the Gaussian mask only, 0 < min_std <= max_std. */
typedef struct subq_ckconv_mask_options {
    subq_ckconv_mask_kind kind;
    float min_std, max_std;
} subq_ckconv_mask_options;

/* kernel [Bk, P, C] dense, multiplied in place by the mask at grid [P, D] (dense) with
 * params [D, C] dense (sigma for the Gaussian, w for the exponential). */
subq_status subq_ckconv_mask(subq_stream *stream, const subq_tensor *grid, const subq_tensor *params,
                             const subq_ckconv_mask_options *options, subq_tensor *kernel);

#ifdef __cplusplus
}
#endif

#endif
