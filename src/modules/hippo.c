/* The NPLR form of HiPPO-LegS through the eigendecomposition of -i S (skew_eigh.h). */
#include "modules/hippo.h"

#include <math.h>
#include <stdlib.h>

#include "modules/skew_eigh.h"
#include "runtime/error.h"

subq_status s4_hippo_legs(int64_t n, double complex *w, double complex *p, double complex *b, double complex *v)
{
    int64_t half = n / 2;
    double *s = calloc((size_t)(4 * n * n + 3 * n), sizeof *s);
    double complex *vecs = malloc((size_t)(n * half) * sizeof *vecs);
    if (!s || !vecs) {
        free(s), free(vecs);
        return subq_fail(SUBQ_ERROR_OUT_OF_MEMORY, "out of host memory for the HiPPO-LegS matrices");
    }
    double *mu = s + n * n, *work = mu + n;
    for (int64_t i = 0; i < n; i++) /* S_ij = -r_i r_j / 2 below the diagonal, r_i = sqrt(2i + 1) */
        for (int64_t j = 0; j < n; j++) s[i * n + j] = i == j ? 0 : (i > j ? -0.5 : 0.5) * sqrt((2.0 * i + 1) * (2.0 * j + 1));
    skew_eigh(n, s, half, mu, vecs, work);
    for (int64_t k = 0; k < half; k++) {
        double complex pk = 0, bk = 0;
        for (int64_t i = 0; i < n; i++) {
            pk += conj(vecs[i * half + k]) * sqrt(i + 0.5);
            bk += conj(vecs[i * half + k]) * sqrt(2.0 * i + 1);
        }
        w[k] = -0.5 + I * mu[k], p[k] = pk, b[k] = bk;
    }
    if (v)
        for (int64_t i = 0; i < n * half; i++) v[i] = vecs[i];
    free(s), free(vecs);
    return SUBQ_OK;
}
