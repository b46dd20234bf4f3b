/* Complex scratch for FFT convolution paths that keep rows in memory between their dispatches
 * (the four-step path): one per context, grown on demand, shared by every stream of the context.
 * Sharing is safe as it is for the VkFFT plans' scratch (fft_plan.h): streams submit to one queue
 * and every batch starts with a full barrier; within a stream the dispatches' hazard tracking
 * orders the uses. Storage outgrown is kept until the context goes, since work recorded earlier
 * may still use it. */
#ifndef SUBQ_FFT_SCRATCH_H
#define SUBQ_FFT_SCRATCH_H

#include "runtime/runtime.h"

/* A dense f32 [floats] view over the scratch, valid while the context lives. */
subq_status subq_fft_scratch_get(subq_context *ctx, int64_t floats, subq_tensor *view);

#endif
