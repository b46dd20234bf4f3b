/* The NPLR form of HiPPO-LegS through the Hermitian eigendecomposition of -i S. */
#include "modules/hippo.h"

#include <math.h>
#include <stdlib.h>

#include "modules/hermitian_eigh.h"
#include "runtime/error.h"

subq_status s4_hippo_legs(int64_t n, double complex *w, double complex *p, double complex *b, double complex *v)
{
    double complex *h = calloc((size_t)(3 * n * n), sizeof *h);
    double *mu = malloc((size_t)n * sizeof *mu);
    if (!h || !mu) {
        free(h), free(mu);
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for the HiPPO-LegS matrices");
    }
    double complex *vecs = h + n * n, *work = vecs + n * n;
    for (int64_t i = 0; i < n; i++) /* -i S, S_ij = -r_i r_j / 2 below the diagonal, r_i = sqrt(2i + 1) */
        for (int64_t j = 0; j < n; j++)
            h[i * n + j] = i == j ? 0 : -I * (i > j ? -0.5 : 0.5) * sqrt((2.0 * i + 1) * (2.0 * j + 1));
    hermitian_eigh(n, h, mu, vecs, work);
    for (int64_t k = 0; k < n / 2; k++) {
        double complex pk = 0, bk = 0;
        for (int64_t i = 0; i < n; i++) {
            pk += conj(vecs[i * n + k]) * sqrt(i + 0.5);
            bk += conj(vecs[i * n + k]) * sqrt(2.0 * i + 1);
            if (v) v[i * (n / 2) + k] = vecs[i * n + k];
        }
        w[k] = -0.5 + I * mu[k], p[k] = pk, b[k] = bk;
    }
    free(h), free(mu);
    return SUBQ_OK;
}
