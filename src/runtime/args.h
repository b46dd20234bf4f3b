/* Argument checks shared by every operator: each failure names the argument and what was expected. */
#ifndef SUBQ_ARGS_H
#define SUBQ_ARGS_H

#include "runtime/runtime.h"

subq_status subq_arg_stream(const subq_stream *stream);
/* Non-NULL, of the stream's context, of this dtype, rank within [min_rank, max_rank]. */
subq_status subq_arg_tensor(const char *name, const subq_tensor *t, const subq_stream *stream,
                            subq_dtype dtype, int min_rank, int max_rank);
/* As subq_arg_tensor, for tensors an op reads or writes through shaders/dtype.glsl: f32, or f16/bf16
 * where the device has 16-bit storage. */
subq_status subq_arg_float_tensor(const char *name, const subq_tensor *t, const subq_stream *stream,
                                  int min_rank, int max_rank);
/* Exactly this shape. */
subq_status subq_arg_shape(const char *name, const subq_tensor *t, int rank, const int64_t *shape);
subq_status subq_arg_dense(const char *name, const subq_tensor *t);
/* An output must not share memory with an input: the op would read what it already overwrote. */
subq_status subq_arg_disjoint(const char *out_name, const subq_tensor *out, const char *in_name,
                              const subq_tensor *in);
/* As subq_arg_disjoint, for ops whose every invocation reads an element before writing that same
 * element, and no other: an output that is exactly the input's view (same storage, offset, shape
 * and strides) passes (in place), and so does one interleaved with it without sharing an element
 * (say q and k, column blocks of one [M, 3C] tensor). */
subq_status subq_arg_disjoint_or_same(const char *out_name, const subq_tensor *out, const char *in_name,
                                      const subq_tensor *in);
/* Depthwise taps: weight (channels, W) f32 with any W >= 1, and bias (channels) f32 or NULL. */
subq_status subq_arg_channel_taps(const subq_stream *stream, const subq_tensor *weight, const subq_tensor *bias,
                                  int64_t channels);
/* An output: every element its own memory (no zero strides), and few enough for 32-bit indexing. */
subq_status subq_arg_output(const char *name, const subq_tensor *t);
/* One of the subq_activation values. */
subq_status subq_arg_activation(const char *name, subq_activation activation);
/* "[2, 3, 4]" into buf, for messages. */
const char *subq_format_shape(char *buf, size_t size, int rank, const int64_t *shape);

#endif
