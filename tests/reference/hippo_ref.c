/* HiPPO-LegS and its normal plus low-rank form in double precision, by another road than the
 * library's (src/modules/hippo.c, complex Jacobi on -i S): real Jacobi on the symmetric 2n x 2n
 * embedding [[0, S], [-S, 0]] of -i S, whose eigenvalues are those of -i S twice, with the vectors
 * [x; y] of each pair giving one complex eigenvector x + i y up to a phase. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "reference.h"

void ref_hippo_legs(int64_t n, double *a, double *b, double *p)
{
    for (int64_t i = 0; i < n; i++) {
        b[i] = sqrt(2.0 * (double)i + 1), p[i] = sqrt((double)i + 0.5);
        for (int64_t j = 0; j < n; j++)
            a[i * n + j] = i > j ? -sqrt((2.0 * (double)i + 1) * (2.0 * (double)j + 1)) : i == j ? -(double)(i + 1) : 0;
    }
}

/* Classic cyclic Jacobi on a real symmetric m [k, k]: eigenvalues into the diagonal, vectors into
 * the columns of v. */
static void jacobi(int64_t k, double *m, double *v)
{
    double norm = 0;
    for (int64_t i = 0; i < k * k; i++) v[i] = i / k == i % k, norm += m[i] * m[i];
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < k; j++) off += i == j ? 0 : m[i * k + j] * m[i * k + j];
        if (off <= 1e-30 * norm) return;
        for (int64_t p = 0; p < k; p++)
            for (int64_t q = p + 1; q < k; q++) {
                if (m[p * k + q] == 0) continue;
                double theta = 0.5 * atan2(2 * m[p * k + q], m[q * k + q] - m[p * k + p]);
                double c = cos(theta), s = sin(theta);
                for (int64_t r = 0; r < k; r++) { /* columns p, q */
                    double mp = m[r * k + p], mq = m[r * k + q], vp = v[r * k + p], vq = v[r * k + q];
                    m[r * k + p] = c * mp - s * mq, m[r * k + q] = s * mp + c * mq;
                    v[r * k + p] = c * vp - s * vq, v[r * k + q] = s * vp + c * vq;
                }
                for (int64_t r = 0; r < k; r++) { /* rows p, q */
                    double mp = m[p * k + r], mq = m[q * k + r];
                    m[p * k + r] = c * mp - s * mq, m[q * k + r] = s * mp + c * mq;
                }
            }
    }
}

void ref_hippo_legs_nplr(int64_t n, double *w, double *p, double *b, double *v)
{
    int64_t k = 2 * n;
    double *a = malloc(sizeof(double) * (size_t)(n * n + 2 * n + 2 * k * k));
    double *bb = a + n * n, *pp = bb + n, *m = pp + n, *vecs = m + k * k;
    ref_hippo_legs(n, a, bb, pp);
    double mean = 0;
    for (int64_t i = 0; i < n; i++) mean += (a[i * n + i] + pp[i] * pp[i]) / (double)n;
    for (int64_t i = 0; i < k * k; i++) m[i] = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = i == j ? 0 : a[i * n + j] + pp[i] * pp[j];
            m[i * k + n + j] = s, m[(n + i) * k + j] = -s;
        }
    jacobi(k, m, vecs);
    int64_t *order = malloc(sizeof(int64_t) * (size_t)k); /* the eigenvalues' columns, ascending */
    for (int64_t c = 0; c < k; c++) {
        int64_t i = c;
        for (; i > 0 && m[order[i - 1] * k + order[i - 1]] > m[c * k + c]; i--) order[i] = order[i - 1];
        order[i] = c;
    }
    for (int64_t e = 0; e < n / 2; e++) { /* eigenvalue e of -i S is the pair (2e, 2e + 1) of the embedding */
        int64_t col = order[2 * e];
        double complex phase = 0, pk = 0, bk = 0;
        for (int64_t i = 0; i < n; i++) {
            double complex x = vecs[i * k + col] + I * vecs[(n + i) * k + col];
            if (i == 0) phase = cabs(x) / x;
            x *= phase;
            v[2 * (i * (n / 2) + e)] = creal(x), v[2 * (i * (n / 2) + e) + 1] = cimag(x);
            pk += conj(x) * pp[i], bk += conj(x) * bb[i];
        }
        w[2 * e] = mean, w[2 * e + 1] = m[col * k + col];
        p[2 * e] = creal(pk), p[2 * e + 1] = cimag(pk), b[2 * e] = creal(bk), b[2 * e + 1] = cimag(bk);
    }
    free(order);
    free(a);
}
