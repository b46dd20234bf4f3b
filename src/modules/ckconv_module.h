/* CKConvND's insides, shared by its files (ckconv.c: construction, init, counts; ckconv_kernel.c:
 * the kernel network; ckconv_forward.c: the cached spectra and the convolution) and by Hyena. */
#ifndef SUBQ_MODULES_CKCONV_H
#define SUBQ_MODULES_CKCONV_H

#include "modules/parameters.h"
#include "modules/scratch.h"

/* A kernel and its spectrum for one spatial size, kernel batch (B with FiLM, else 1) and channel
 * slice (the module's own, or a context-parallel rank's inside Hyena). */
typedef struct subq_ckconv_entry {
    int64_t size[SUBQ_CKCONV_MAX_AXES];
    int64_t batch;
    int64_t channel_offset, channels; /* the slice the spectrum holds */
    uint64_t version;          /* of the parameters the spectrum was computed from */
    subq_tensor *kernel;       /* [Bk, P, channels] channels-last: the generator's output times the mask */
    subq_fft_kernel *spectrum; /* of the slice's channels of kernel, seen [Bk, channels, *K] */
} subq_ckconv_entry;

enum { CKCONV_SCRATCH_GRID, CKCONV_SCRATCH_A, CKCONV_SCRATCH_H, CKCONV_SCRATCH_FILM_HIDDEN, CKCONV_SCRATCH_FILM,
       CKCONV_SCRATCH_STACKED_W, CKCONV_SCRATCH_STACKED_B, CKCONV_SCRATCH_GAMMA, CKCONV_SCRATCH_BETA,
       CKCONV_SCRATCH_KERNEL, CKCONV_SCRATCH_MASK, CKCONV_SCRATCH_SLOTS };

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

/* A channel slice [offset, offset + channels) of the C channels. */
typedef struct subq_ckconv_slice {
    int64_t offset, channels;
} subq_ckconv_slice;

/* P and the kernel's extent per axis (2g - 1) for inputs of spatial size `size`. */
subq_status subq_ckconv_extent(const subq_ckconv *m, const int64_t *size, int64_t *points, int64_t *extent);
/* kernel [Bk, P, slice.channels] = mask * generator(grid(size)) on the slice's channels (only
 * those are computed: a context-parallel rank's kernel is 1/P of the whole), FiLM-conditioned
 * when the module is. */
subq_status subq_ckconv_generate(subq_stream *stream, subq_ckconv *m, const int64_t *size,
                                 const subq_tensor *conditioning, subq_ckconv_slice slice, subq_tensor *kernel);
/* The forward on the slice's channels: x, pre, post, y [B, slice.channels, *S] (the module's own
 * slice: subq_ckconv_forward; a Hyena rank's: the context-parallel forward). Checks its arguments. */
subq_status subq_ckconv_forward_slice(subq_stream *stream, subq_ckconv *m, subq_ckconv_slice slice,
                                      const subq_tensor *x, const subq_tensor *pre, const subq_tensor *post,
                                      const subq_tensor *conditioning, subq_tensor *y);
/* Conditioning: NULL without FiLM, [batch, film_cond_dim] dense with it. */
subq_status subq_ckconv_check_conditioning(const subq_stream *stream, const subq_ckconv *m,
                                           const subq_tensor *conditioning, int64_t batch);

#endif
