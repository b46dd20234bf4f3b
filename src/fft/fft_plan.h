/* VkFFT plans for the FFT convolutions, cached per context by what they transform: created on
 * first use (from a binary saved on disk when one matches), destroyed with the context.
 *
 * Every plan owns its scratch, two tensors each alone in its VkBuffer from byte 0 (VkFFT 1.2.26
 * mishandles a nonzero offset on the spectrum side):
 *   real      [rows, real_row] f32: per row the axes in C order, the last one (VkFFT's axis 0, the
 *             R2C axis) padded to 2 * (F_last/2 + 1) floats;
 *   spectrum  [rows, spectrum_row, 2] f32: complex, the last axis F_last/2 + 1 long.
 * Both are the same size: VkFFT 1.2.26 takes the inverse's output range from the spectrum's size.
 * The forward reads real, writes spectrum; the inverse reads spectrum (and may overwrite it),
 * writes real, unnormalised (times prod(F)). Scratch is shared by every stream of the context:
 * safe because streams submit to one queue and every batch starts with a full barrier. */
#ifndef SUBQ_FFT_PLAN_H
#define SUBQ_FFT_PLAN_H

#include "runtime/runtime.h"

#define SUBQ_FFT_MAX_AXES 3

/* All 64-bit, no padding: the key is also the identity of a plan's file on disk. */
typedef struct subq_fft_plan_key {
    uint64_t axes;      /* 1..3 */
    uint64_t inverse;   /* 1: forward and inverse, zero-padded axes skipped; 0: forward only, no padding */
    uint64_t size[SUBQ_FFT_MAX_AXES];  /* F per axis, C order; unused axes 1 */
    uint64_t valid[SUBQ_FFT_MAX_AXES]; /* leading points per axis that hold data (the rest is zero;
                                          an even count, see fft_layout.h) */
    uint64_t rows;      /* transforms per launch */
} subq_fft_plan_key;

typedef struct subq_fft_plan subq_fft_plan;

subq_status subq_fft_plan_get(subq_context *ctx, const subq_fft_plan_key *key, subq_fft_plan **plan);
subq_tensor *subq_fft_plan_real(const subq_fft_plan *plan);
subq_tensor *subq_fft_plan_spectrum(const subq_fft_plan *plan);
/* Record the R2C (real -> spectrum) or the C2R (spectrum -> real). */
subq_status subq_fft_plan_forward(subq_stream *stream, subq_fft_plan *plan);
subq_status subq_fft_plan_inverse(subq_stream *stream, subq_fft_plan *plan);

#endif
