/* Scratch for ops that pass data between their own dispatches (the four-step FFT convolution's
 * rows, the f32 tensor-core Linear's row scales): one per context, grown on demand, shared by every
 * stream of the context and every op. Sharing is safe as it is for the VkFFT plans' scratch
 * (src/fft/fft_plan.h): streams submit to one queue and every batch starts with a full barrier;
 * within a stream the dispatches' hazard tracking orders the uses, and no op keeps the scratch
 * past its own call. Storage outgrown is kept until the context goes, since work recorded earlier
 * may still use it. */
#ifndef SUBQ_RUNTIME_CONTEXT_SCRATCH_H
#define SUBQ_RUNTIME_CONTEXT_SCRATCH_H

#include "runtime/runtime.h"

/* A dense f32 [floats] view over the scratch, valid while the context lives. */
subq_status subq_context_scratch_get(subq_context *ctx, int64_t floats, subq_tensor *view);

#endif
