/* CKConvND's insides, shared by its files (ckconv.c: construction, init, counts; ckconv_kernel.c:
 * the kernel network; ckconv_forward.c: the cached spectra and the convolution) and by Hyena. */
#ifndef SUBQ_MODULES_CKCONV_H
#define SUBQ_MODULES_CKCONV_H

#include "modules/parameters.h"
#include "modules/scratch.h"

/* A kernel and its spectrum for one spatial size (and kernel batch: B with FiLM, else 1). */
typedef struct subq_ckconv_entry {
    int64_t size[SUBQ_CKCONV_MAX_AXES];
    int64_t batch;
    uint64_t version;          /* of the parameters the spectrum was computed from */
    subq_tensor *kernel;       /* [Bk, P, C] channels-last, the generator's output times the mask */
    subq_fft_kernel *spectrum; /* of the rank's channels of kernel, seen [Bk, C_local, *K] */
} subq_ckconv_entry;

enum { CKCONV_SCRATCH_GRID, CKCONV_SCRATCH_A, CKCONV_SCRATCH_H, CKCONV_SCRATCH_FILM_HIDDEN, CKCONV_SCRATCH_FILM,
       CKCONV_SCRATCH_STACKED_W, CKCONV_SCRATCH_STACKED_B, CKCONV_SCRATCH_GAMMA, CKCONV_SCRATCH_BETA,
       CKCONV_SCRATCH_KERNEL, CKCONV_SCRATCH_SLOTS };

struct subq_ckconv {
    subq_context *ctx;
    subq_ckconv_config cfg; /* defaults filled in */
    subq_parameters *parameters;
    subq_tensor *shortcut;
    subq_tensor *w_in, *b_in;          /* SIREN input_layer; RFF: fourier_weight, no bias */
    subq_tensor **w_hidden, **b_hidden; /* generator_layers - 1 each */
    subq_tensor *w_out, *b_out;
    subq_tensor *film_w0, *film_b0, *film_w2, *film_b2;
    subq_tensor *mask;                 /* sigma or w [D, C] */
    float min_std, max_std;
    int64_t local_channels, channel_offset;
    subq_ckconv_entry *entries;
    int32_t entry_count;
    subq_scratch scratch;
};

/* P and the kernel's extent per axis (2g - 1) for inputs of spatial size `size`. */
subq_status subq_ckconv_extent(const subq_ckconv *m, const int64_t *size, int64_t *points, int64_t *extent);
/* kernel [Bk, P, C] = mask * generator(grid(size)), FiLM-conditioned when the module is. */
subq_status subq_ckconv_generate(subq_stream *stream, subq_ckconv *m, const int64_t *size,
                                 const subq_tensor *conditioning, subq_tensor *kernel);
/* The spectrum for x's spatial size (and batch, with FiLM), recomputed when the weights changed
 * (with FiLM: every call, from this conditioning). */
subq_status subq_ckconv_spectrum(subq_stream *stream, subq_ckconv *m, const int64_t *size, int64_t batch,
                                 const subq_tensor *conditioning, const subq_fft_kernel **spectrum);
/* Conditioning: NULL without FiLM, [batch, film_cond_dim] dense with it. */
subq_status subq_ckconv_check_conditioning(const subq_stream *stream, const subq_ckconv *m,
                                           const subq_tensor *conditioning, int64_t batch);

#endif
