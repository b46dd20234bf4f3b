/* Cyclic Jacobi for Hermitian matrices: each rotation first turns the pivot a_pq real by a phase on
 * column q, then zeroes it with a real Givens rotation; sweeps repeat until the off-diagonal part
 * is below 1e-15 of the matrix's norm (rounding shrinks with the entries it mixes, so it gets
 * there); cyclic Jacobi converges for every Hermitian matrix, quadratically at the end, so a
 * handful of sweeps is enough and 64 is a bound never met. */
#include "modules/hermitian_eigh.h"

#include <math.h>
#include <string.h>

#define AT(m, i, j) (m)[(i) * n + (j)]

static double off_diagonal(int64_t n, const double complex *a)
{
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            if (i != j) sum += creal(AT(a, i, j) * conj(AT(a, i, j)));
    return sum;
}

/* a <- U^* a U and v <- v U for U = diag(1, phase) on (p, q) times the rotation [[c, s], [-s, c]]. */
static void rotate(int64_t n, double complex *a, double complex *v, int64_t p, int64_t q)
{
    double complex apq = AT(a, p, q);
    double magnitude = cabs(apq);
    if (magnitude == 0) return;
    double complex phase = conj(apq) / magnitude; /* column q times this makes a_pq real */
    double zeta = (creal(AT(a, q, q)) - creal(AT(a, p, p))) / (2 * magnitude);
    double t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1 + zeta * zeta));
    double c = 1 / sqrt(1 + t * t), s = t * c;
    for (int64_t k = 0; k < n; k++) { /* columns: a <- a U */
        double complex akp = AT(a, k, p), akq = AT(a, k, q) * phase;
        AT(a, k, p) = c * akp - s * akq;
        AT(a, k, q) = s * akp + c * akq;
        double complex vkp = AT(v, k, p), vkq = AT(v, k, q) * phase;
        AT(v, k, p) = c * vkp - s * vkq;
        AT(v, k, q) = s * vkp + c * vkq;
    }
    for (int64_t k = 0; k < n; k++) { /* rows: a <- U^* a */
        double complex apk = AT(a, p, k), aqk = AT(a, q, k) * conj(phase);
        AT(a, p, k) = c * apk - s * aqk;
        AT(a, q, k) = s * apk + c * aqk;
    }
    AT(a, p, q) = AT(a, q, p) = 0;
}

/* Ascending eigenvalues (insertion sort: n is small) with their columns; phases normalised. */
static void order(int64_t n, double *w, double complex *v)
{
    for (int64_t j = 1; j < n; j++)
        for (int64_t i = j; i > 0 && w[i] < w[i - 1]; i--) {
            double t = w[i];
            w[i] = w[i - 1], w[i - 1] = t;
            for (int64_t k = 0; k < n; k++) {
                double complex u = AT(v, k, i);
                AT(v, k, i) = AT(v, k, i - 1), AT(v, k, i - 1) = u;
            }
        }
    for (int64_t j = 0; j < n; j++) {
        int64_t k = 0;
        while (k < n - 1 && cabs(AT(v, k, j)) < 1e-8) k++;
        double complex phase = conj(AT(v, k, j)) / cabs(AT(v, k, j));
        for (int64_t i = 0; i < n; i++) AT(v, i, j) *= phase;
    }
}

void hermitian_eigh(int64_t n, const double complex *a, double *w, double complex *v, double complex *work)
{
    memcpy(work, a, (size_t)(n * n) * sizeof *work);
    double norm = 0;
    for (int64_t i = 0; i < n * n; i++) norm += creal(work[i] * conj(work[i]));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) AT(v, i, j) = i == j;
    for (int sweep = 0; sweep < 64 && off_diagonal(n, work) > 1e-30 * norm; sweep++)
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) rotate(n, work, v, p, q);
    for (int64_t i = 0; i < n; i++) w[i] = creal(AT(work, i, i));
    order(n, w, v);
}
