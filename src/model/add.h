/* The models' residual connection: y = a + b elementwise over dense f32 tensors of one shape. */
#ifndef SUBQ_MODEL_ADD_H
#define SUBQ_MODEL_ADD_H

#include "subq/subq.h"

/* In place: y may be a (the residual stream). */
subq_status subq_model_add(subq_stream *stream, const subq_tensor *a, const subq_tensor *b, subq_tensor *y);

#endif
