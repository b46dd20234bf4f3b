/* cu_seqlens checks shared by the varlen ops (causal_conv1d.h says when each one runs). */
#ifndef SUBQ_OPS_CU_SEQLENS_H
#define SUBQ_OPS_CU_SEQLENS_H

#include "runtime/runtime.h"

/* A dense rank-1 i32 tensor of R+1 >= 2 offsets in the stream's context. */
subq_status subq_arg_cu_seqlens(const subq_stream *stream, const subq_tensor *cu_seqlens);

/* The offsets start at 0, never decrease and end at `tokens`. Read from `host` (R+1 values) when
 * given; otherwise the stream is submitted and cu_seqlens downloaded, which waits for the GPU. */
subq_status subq_check_cu_seqlens_values(subq_stream *stream, const subq_tensor *cu_seqlens, int64_t tokens,
                                         const int32_t *host);

#endif
