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
