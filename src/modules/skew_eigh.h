/* Eigenpairs of the Hermitian matrix -i S for a real skew-symmetric S, in double precision on the
 * host: the one-time setup of S4's HiPPO-LegS initialisation. */
#ifndef SUBQ_MODULES_SKEW_EIGH_H
#define SUBQ_MODULES_SKEW_EIGH_H

#include <complex.h>
#include <stdint.h>

/* s [n, n] row-major, skew-symmetric (left unchanged) -> the count smallest eigenvalues w [count] of
 * -i S, ascending, and their orthonormal eigenvectors as the columns of v [n, count]
 * (-i S v[:, j] = w[j] v[:, j]), each scaled so that its first component of magnitude above 1e-8 is
 * real and positive (LAPACK's zheevd leaves the first component real, of either sign). work holds
 * 3 n^2 + 2 n values. */
void skew_eigh(int64_t n, const double *s, int64_t count, double *w, double complex *v, double *work);

#endif
