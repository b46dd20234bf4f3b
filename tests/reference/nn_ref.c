/* SPEC 3 and 5: activations, gates, norms over the channel axis, linear projections. */
#include <math.h>

#include "reference.h"

double ref_activate(double x, ref_nn_activation activation)
{
    switch (activation) {
    case REF_NN_NONE: return x;
    case REF_NN_SILU: return x / (1.0 + exp(-x));
    case REF_NN_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case REF_NN_GELU: return 0.5 * x * erfc(-x / sqrt(2.0)); /* 1 + erf(z) = erfc(-z), no cancelling */
    case REF_NN_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case REF_NN_SOFTPLUS: return x > 20.0 ? x : log1p(exp(x));
    }
    return NAN;
}

void ref_gate(const double *a, const double *b, ref_nn_activation activation, double *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double g = ref_activate(b[i], activation);
        y[i] = a ? a[i] * g : g;
    }
}

/* (shift, scale) so that the normalised value is (x - shift) * scale, over one strided row. */
static void row_normaliser(const double *x, int64_t channels, int64_t stride, ref_norm_kind kind, double eps,
                           double *shift, double *scale)
{
    double sum = 0.0, sum_sq = 0.0;
    for (int64_t c = 0; c < channels; c++) sum += x[c * stride];
    double mean = sum / (double)channels;
    double center = kind == REF_NORM_LAYER ? mean : 0.0;
    for (int64_t c = 0; c < channels; c++) {
        double d = x[c * stride] - center;
        sum_sq += d * d;
    }
    *shift = center;
    *scale = kind == REF_NORM_L2 ? 1.0 / fmax(sqrt(sum_sq), eps) : 1.0 / sqrt(sum_sq / (double)channels + eps);
}

void ref_norm(const double *x, const double *gamma, const double *beta, ref_norm_kind kind, double eps,
              double *y, int64_t outer, int64_t channels, int64_t inner)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * channels * inner + i;
            double shift, scale;
            row_normaliser(x + base, channels, inner, kind, eps, &shift, &scale);
            for (int64_t c = 0; c < channels; c++) {
                double v = (x[base + c * inner] - shift) * scale;
                if (gamma) v *= gamma[c];
                if (beta) v += beta[c];
                y[base + c * inner] = v;
            }
        }
}

void ref_linear(const double *x, const double *weight, const double *bias, double *y, int64_t m, int64_t n,
                int64_t k)
{
    for (int64_t r = 0; r < m; r++)
        for (int64_t j = 0; j < n; j++) {
            double acc = bias ? bias[j] : 0.0;
            for (int64_t i = 0; i < k; i++) acc += x[r * k + i] * weight[j * k + i];
            y[r * n + j] = acc;
        }
}
