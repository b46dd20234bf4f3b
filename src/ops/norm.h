/* What subq_norm shares with kernels that fuse a norm into a pass of their own (Hyena's one-pass
 * front): the eps each kind defaults to. */
#ifndef SUBQ_OPS_NORM_H
#define SUBQ_OPS_NORM_H

#include "subq/nn.h"

/* options->eps, or where it is 0 the kind's default (nn.h). */
float subq_norm_eps(const subq_norm_options *options);

#endif
