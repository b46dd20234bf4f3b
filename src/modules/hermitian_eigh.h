/* Eigendecomposition of a small Hermitian matrix in double precision (cyclic Jacobi rotations):
 * the one-time setup of S4's HiPPO initialisation, on the host. */
#ifndef SUBQ_MODULES_HERMITIAN_EIGH_H
#define SUBQ_MODULES_HERMITIAN_EIGH_H

#include <complex.h>
#include <stdint.h>

/* a [n, n] row-major Hermitian (left unchanged) -> eigenvalues w [n] ascending and orthonormal
 * eigenvectors as the columns of v [n, n] (a v[:, j] = w[j] v[:, j]), each one scaled so that its
 * first component of magnitude above 1e-8 is real and positive (LAPACK's zheevd leaves the first
 * component real, of either sign). work holds n * n values. */
void hermitian_eigh(int64_t n, const double complex *a, double *w, double complex *v, double complex *work);

#endif
