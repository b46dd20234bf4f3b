/* The modules of SPEC.md sections 3-5: CKConvND (the implicit global convolution), Hyena, and the
 * QKV mixers around it. Each is an object with parameters (subq/parameters.h) named as the PyTorch
 * reference (python/subq_torch) names its state_dict, so a checkpoint loads name by name.
 * Included by subq.h.
 *
 * Per module: _create from a config (zero members mean the default noted beside them), _destroy,
 * _parameters (its table), _init (the original's init distributions from a seed), _forward,
 * _flop_count (per sample, the reference's formulas) and _describe (the reference's extra_repr).
 * Forwards record into a stream; a module keeps its generated kernel and its spectrum per spatial
 * size (and its scratch per input shape) until its weights change. A module is used by one stream
 * at a time; destroy it only when the streams that used it have finished. Forward inputs and outputs
 * may be f32, f16 or bf16 (parameters, scratch and arithmetic stay fp32). */
#ifndef SUBQ_HYENA_H
#define SUBQ_HYENA_H

#include "subq/subq.h"
#include "subq/ckconv.h"
#include "subq/fft_conv.h"
#include "subq/parameters.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CKConvND ------------------------------------------------------------------------------ */

typedef enum subq_kernel_generator {
    SUBQ_GENERATOR_SIREN = 0, /* SirenKernel: sine layers */
    SUBQ_GENERATOR_RFF,       /* RandomFourierKernel: [cos(W p), sin(W p)], then activation layers */
} subq_kernel_generator;

typedef enum subq_kernel_mask {
    SUBQ_KERNEL_MASK_NONE = 0,
    SUBQ_KERNEL_MASK_GAUSSIAN,    /* parameter mask.sigma [D, C] */
    SUBQ_KERNEL_MASK_EXPONENTIAL, /* parameter mask.w [D, C] */
} subq_kernel_mask;

typedef struct subq_ckconv_config {
    int32_t data_dim;                                     /* D: 1, 2 or 3 */
    int64_t hidden_dim;                                   /* C, the channels convolved */
    int64_t cache_size[SUBQ_CKCONV_MAX_AXES];             /* L_cache per axis, >= 2 */
    subq_kernel_generator generator;
    int32_t generator_hidden;                             /* 0: 32 (RFF: even) */
    int32_t generator_layers;                             /* 0: 3 */
    float omega0;                                         /* 0: 1 */
    subq_activation rff_activation;                       /* RFF's hidden activation; NONE = identity
                                                             (the reference's default is GELU) */
    int64_t film_cond_dim;                                /* > 0: FiLM-conditioned on [B, film_cond_dim] */
    int32_t film_hidden;                                  /* 0: 64 */
    subq_kernel_mask mask;
    subq_ckconv_grid_type grid_type[SUBQ_CKCONV_MAX_AXES]; /* 0: double */
    subq_fft_padding padding[SUBQ_CKCONV_MAX_AXES];        /* non-causal, per axis; 0: zero */
    int32_t causal;                                       /* 1D only, double grid */
    int32_t cp_rank, cp_size;                             /* cp_size > 1: forward sees channels
                                                             [cp_rank C/P, (cp_rank+1) C/P) (not causal) */
} subq_ckconv_config;

typedef struct subq_ckconv subq_ckconv;

subq_status subq_ckconv_create(subq_context *context, const subq_ckconv_config *config, subq_ckconv **module);
void subq_ckconv_destroy(subq_ckconv *module);
/* shortcut, kernel_generator.*, film.net.*, mask.sigma | mask.w, as CKConvND's state_dict. */
subq_parameters *subq_ckconv_parameters(subq_ckconv *module);
subq_status subq_ckconv_init(subq_ckconv *module, uint64_t seed);
/* y = post * (conv(u, k) + shortcut * u), u = pre * x. x, pre, post, y [B, C_local, *S] channels-first
 * with the spatial axes dense (pre, post NULL: absent); conditioning [B, film_cond_dim] dense when
 * FiLM is on, else NULL. */
subq_status subq_ckconv_forward(subq_stream *stream, subq_ckconv *module, const subq_tensor *x,
                                const subq_tensor *pre, const subq_tensor *post, const subq_tensor *conditioning,
                                subq_tensor *y);
/* The masked kernel for inputs of spatial size `size` (rank D): [Bk, C, *K] dense, channels-first,
 * Bk = 1 without FiLM, B with it; causal: [Bk, C, N], k[0] = lag 0. All C channels. */
subq_status subq_ckconv_kernel(subq_stream *stream, subq_ckconv *module, const int64_t *size,
                               const subq_tensor *conditioning, subq_tensor *kernel);
/* Per sample; inference: kernel and spectrum cached, not counted. rank must be D. */
subq_status subq_ckconv_flop_count(const subq_ckconv *module, int rank, const int64_t *spatial_dims,
                                   int inference, int64_t *count);
subq_status subq_ckconv_describe(const subq_ckconv *module, char *text, size_t size);

/* ---- Hyena --------------------------------------------------------------------------------- */

typedef enum subq_short_conv_kind {
    SUBQ_SHORT_CONV_NONE = 0,    /* Identity */
    SUBQ_SHORT_CONV_CONV,        /* torch ConvNd(3C, 3C, K, groups=3C): weight [3C, 1, *K], bias [3C] */
    SUBQ_SHORT_CONV_DISTRIBUTED, /* DistributedDepthwiseConvNd: weight [G, *K], bias [G] */
} subq_short_conv_kind;

typedef struct subq_short_conv_config {
    subq_short_conv_kind kind;
    int32_t kernel_size[SUBQ_CKCONV_MAX_AXES]; /* per axis, >= 1 */
    int32_t causal;                            /* 1D: left padding K-1; else 'same' */
    int32_t bias;
    int64_t num_groups;                        /* DISTRIBUTED: G dividing 3C; 0: 3C */
} subq_short_conv_config;

typedef enum subq_hyena_norm {
    SUBQ_HYENA_NORM_NONE = 0,
    SUBQ_HYENA_NORM_RMS,   /* RMSNorm(C, eps 1e-6): weight */
    SUBQ_HYENA_NORM_LAYER, /* LayerNorm(C, eps 1e-5): weight, bias */
    SUBQ_HYENA_NORM_L2,    /* F.normalize, eps 1e-12: no parameters */
} subq_hyena_norm;

typedef struct subq_hyena_config {
    subq_ckconv_config global_conv; /* its hidden_dim is Hyena's C; cp_size must be 0 or 1 */
    subq_short_conv_config short_conv;
    subq_activation gate;           /* sigma1; NONE = Identity */
    int32_t has_gate_2;             /* 0: sigma2 = sigma1 */
    subq_activation gate_2;         /* read when has_gate_2 */
    subq_hyena_norm qk_norm;        /* q_norm always; k_norm only when gate is Identity */
    subq_hyena_norm pixelhyena_norm;
    subq_hyena_norm output_norm;
} subq_hyena_config;

typedef struct subq_hyena subq_hyena;

subq_status subq_hyena_create(subq_context *context, const subq_hyena_config *config, subq_hyena **module);
void subq_hyena_destroy(subq_hyena *module);
/* global_conv.*, short_conv.weight (+ .bias), q_norm.*, k_norm.*, pixelhyena_norm.*, output_norm.*. */
subq_parameters *subq_hyena_parameters(subq_hyena *module);
subq_status subq_hyena_init(subq_hyena *module, uint64_t seed);
/* q, k, v, out [B, *S, C] channels-last (rank D + 2; q, k, v any strides, e.g. column blocks of one
 * [B, *S, 3C] projection; out's channel axis contiguous); conditioning as subq_ckconv_forward's. */
subq_status subq_hyena_forward(subq_stream *stream, subq_hyena *module, const subq_tensor *q, const subq_tensor *k,
                               const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out);
subq_status subq_hyena_flop_count(const subq_hyena *module, int rank, const int64_t *spatial_dims,
                                  int inference, int64_t *count);
subq_status subq_hyena_describe(const subq_hyena *module, char *text, size_t size);

/* Across a context-parallel group (subq/cp.h): every rank holds the whole module with the same
 * weights and its zigzag part of the sequence: q, k, v, out [B, S0/P, *R, C] channels-last hold
 * chunks r and 2P-1-r (of 2P) of the first spatial axis, in that order (SPEC.md section 6). The
 * forward moves data as the original does: split_to_full of cat(q, k, v) [B, 3C, S0/P, *R] before
 * the short conv (rank r convolves channel block r of the 3C with those channels' filters over the
 * whole sequence) and full_to_split after; QK norm, the first gate and the PixelHyena norm on the
 * rank's positions; split_to_full of z before the global conv (CKConvND on channels
 * [r C/P, (r+1) C/P): kernel and shortcut sliced, the spectrum cached per slice) and full_to_split
 * after; the second gate and the output norm on the rank's positions. Four all-to-alls (two
 * without a short conv). A collective: every rank calls it; a bad argument on one rank (a causal
 * module, C % P, S0 % 2P, shapes that differ between ranks) fails the call on every rank. group
 * NULL or of one rank: subq_hyena_forward. */
typedef struct subq_cp_group subq_cp_group;
subq_status subq_hyena_forward_cp(subq_stream *stream, subq_hyena *module, subq_cp_group *group, const subq_tensor *q,
                                  const subq_tensor *k, const subq_tensor *v, const subq_tensor *conditioning,
                                  subq_tensor *out);

/* Incremental inference of a 1D causal Hyena (causal global conv, causal or absent short conv).
 * The state holds, per batch row, the last K-1 inputs of the short conv over cat(q, k, v), the
 * long convolution's input z so far (up to max_length tokens), and the causal kernel of length
 * max_length (computed at prefill, with the conditioning given there). */
typedef struct subq_hyena_state subq_hyena_state;

subq_status subq_hyena_state_create(subq_hyena *module, int64_t batch, int64_t max_length,
                                    subq_hyena_state **state);
void subq_hyena_state_destroy(subq_hyena_state *state);
/* Tokens consumed so far (0 after create). */
int64_t subq_hyena_state_length(const subq_hyena_state *state);
/* Start the sequences over: q, k, v, out [B, T, C] with 1 <= T <= max_length, out as the full
 * forward over these T tokens; the state then holds them. */
subq_status subq_hyena_prefill(subq_stream *stream, subq_hyena *module, subq_hyena_state *state,
                               const subq_tensor *q, const subq_tensor *k, const subq_tensor *v,
                               const subq_tensor *conditioning, subq_tensor *out);
/* One more token: q, k, v, out [B, 1, C]; equals the full forward's row t (t = the state's
 * length, < max_length) at O(t) per channel: y_t = sum_{s<=t} k[s] z[t-s] + shortcut z_t. A state
 * that has seen no prefill starts from empty sequences (a FiLM-conditioned Hyena needs the prefill,
 * which takes the conditioning). */
subq_status subq_hyena_step(subq_stream *stream, subq_hyena *module, subq_hyena_state *state,
                            const subq_tensor *q, const subq_tensor *k, const subq_tensor *v, subq_tensor *out);

/* ---- the inner mixer of the QKV mixers: any module that mixes q, k, v -------------------------- */

/* A mixer seen through function pointers, so attention (or others) can plug in beside Hyena.
 * step and prefill may be NULL (no incremental inference); destroy NULL: the mixer is borrowed and
 * must outlive the QKV mixer, else the QKV mixer owns it from a successful create on.
 * q, k, v and out are [B, *S, C] views with any strides: q, k and v are column blocks of qkv_proj's
 * output, and QKVSequenceMixer's forward hands out a channels-first store seen channels-last. */
typedef struct subq_sequence_mixer {
    void *self;
    int64_t hidden_dim;
    subq_parameters *(*parameters)(void *self);
    subq_status (*init)(void *self, uint64_t seed);
    subq_status (*forward)(subq_stream *stream, void *self, const subq_tensor *q, const subq_tensor *k,
                           const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out);
    subq_status (*flop_count)(const void *self, int rank, const int64_t *spatial_dims, int inference,
                              int64_t *count);
    subq_status (*describe)(const void *self, char *text, size_t size);
    /* Incremental inference on the mixer's own state object (subq_hyena_state for Hyena). */
    subq_status (*prefill)(subq_stream *stream, void *self, void *state, const subq_tensor *q, const subq_tensor *k,
                           const subq_tensor *v, const subq_tensor *conditioning, subq_tensor *out);
    subq_status (*step)(subq_stream *stream, void *self, void *state, const subq_tensor *q, const subq_tensor *k,
                        const subq_tensor *v, subq_tensor *out);
    void (*destroy)(void *self);
    /* The forward across a context-parallel group (as subq_hyena_forward_cp); NULL: the mixer runs
     * on one device only. */
    subq_status (*forward_cp)(subq_stream *stream, void *self, subq_cp_group *group, const subq_tensor *q,
                              const subq_tensor *k, const subq_tensor *v, const subq_tensor *conditioning,
                              subq_tensor *out);
} subq_sequence_mixer;

/* Hyena as a mixer; owned: the QKV mixer destroys it with itself. */
subq_sequence_mixer subq_hyena_mixer(subq_hyena *module, int owned);

/* ---- QKVSequenceMixer ---------------------------------------------------------------------- */

typedef struct subq_qkv_mixer_config {
    int64_t hidden_dim;           /* C; must equal the inner mixer's */
    int32_t qkv_bias, out_proj_bias;
    float init_std_in, init_std_out; /* > 0: init draws N(0, std) weights and zero biases (the seed's
                                        init methods); 0: PyTorch Linear's U(+-1/sqrt(C)) */
    subq_sequence_mixer mixer;
} subq_qkv_mixer_config;

typedef struct subq_qkv_mixer subq_qkv_mixer;

subq_status subq_qkv_mixer_create(subq_context *context, const subq_qkv_mixer_config *config,
                                  subq_qkv_mixer **module);
void subq_qkv_mixer_destroy(subq_qkv_mixer *module);
/* qkv_proj.weight [3C, C] (+ .bias), out_proj.weight [C, C] (+ .bias), mixer.* */
subq_parameters *subq_qkv_mixer_parameters(subq_qkv_mixer *module);
subq_status subq_qkv_mixer_init(subq_qkv_mixer *module, uint64_t seed);
/* x, out [B, *S, C] dense channels-last; conditioning for the inner mixer or NULL. */
subq_status subq_qkv_mixer_forward(subq_stream *stream, subq_qkv_mixer *module, const subq_tensor *x,
                                   const subq_tensor *conditioning, subq_tensor *out);
/* Across a context-parallel group: x, out [B, S0/P, *R, C] this rank's zigzag part (as
 * subq_hyena_forward_cp's q); the projections act on the rank's positions, the inner mixer's
 * forward_cp across the group (UNSUPPORTED when it has none and the group has more than one rank).
 * group NULL or of one rank: subq_qkv_mixer_forward. */
subq_status subq_qkv_mixer_forward_cp(subq_stream *stream, subq_qkv_mixer *module, subq_cp_group *group,
                                      const subq_tensor *x, const subq_tensor *conditioning, subq_tensor *out);
subq_status subq_qkv_mixer_flop_count(const subq_qkv_mixer *module, int rank, const int64_t *spatial_dims,
                                      int inference, int64_t *count);
subq_status subq_qkv_mixer_describe(const subq_qkv_mixer *module, char *text, size_t size);

/* Incremental inference through the inner mixer's prefill and step (UNSUPPORTED when it has none):
 * state is the inner mixer's (a subq_hyena_state of the very Hyena inside); x, out [B, T, C]
 * (prefill) or [B, 1, C] (step). */
subq_status subq_qkv_mixer_prefill(subq_stream *stream, subq_qkv_mixer *module, void *state, const subq_tensor *x,
                                   const subq_tensor *conditioning, subq_tensor *out);
subq_status subq_qkv_mixer_step(subq_stream *stream, subq_qkv_mixer *module, void *state, const subq_tensor *x,
                                subq_tensor *out);

/* ---- QKVConditionMixer --------------------------------------------------------------------- */

typedef struct subq_qkv_condition_mixer_config {
    int64_t hidden_dim;
    subq_sequence_mixer mixer;
} subq_qkv_condition_mixer_config;

typedef struct subq_qkv_condition_mixer subq_qkv_condition_mixer;

subq_status subq_qkv_condition_mixer_create(subq_context *context, const subq_qkv_condition_mixer_config *config,
                                            subq_qkv_condition_mixer **module);
void subq_qkv_condition_mixer_destroy(subq_qkv_condition_mixer *module);
/* q_proj.weight [C, C], kv_proj.weight [2C, C], out_proj.weight [C, C], mixer.* (no biases). */
subq_parameters *subq_qkv_condition_mixer_parameters(subq_qkv_condition_mixer *module);
subq_status subq_qkv_condition_mixer_init(subq_qkv_condition_mixer *module, uint64_t seed);
/* x, out [B, *S, C] dense; condition [B, C] dense (k, v held constant over space); conditioning for
 * the inner mixer or NULL. */
subq_status subq_qkv_condition_mixer_forward(subq_stream *stream, subq_qkv_condition_mixer *module,
                                             const subq_tensor *x, const subq_tensor *condition,
                                             const subq_tensor *conditioning, subq_tensor *out);
subq_status subq_qkv_condition_mixer_flop_count(const subq_qkv_condition_mixer *module, int rank,
                                                const int64_t *spatial_dims, int inference, int64_t *count);
subq_status subq_qkv_condition_mixer_describe(const subq_qkv_condition_mixer *module, char *text, size_t size);

#ifdef __cplusplus
}
#endif

#endif
