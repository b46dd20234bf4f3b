/* HiPPO-LegS in the normal plus low-rank form S4 starts from (lrnnx's nplr("legs", n)), computed
 * in double precision on the host. */
#ifndef SUBQ_MODULES_HIPPO_H
#define SUBQ_MODULES_HIPPO_H

#include <complex.h>

#include "subq/subq.h"

/* For n even >= 2: A + P P^T = -I/2 + S with HiPPO-LegS A (A_ij = -sqrt(2i+1) sqrt(2j+1) for i > j,
 * -(i+1) for i = j, 0 above), P_i = sqrt(i + 1/2), S skew-symmetric. The eigenvectors of -i S with
 * its n/2 negative eigenvalues mu (ascending; the others are -mu, with conjugate vectors), first
 * components real and positive, are the columns of v [n, n/2]; w [n/2] = -1/2 + i mu,
 * p [n/2] = V^* P, b [n/2] = V^* B with B_i = sqrt(2i+1) (not clipped). v may be NULL. */
subq_status s4_hippo_legs(int64_t n, double complex *w, double complex *p, double complex *b, double complex *v);

#endif
