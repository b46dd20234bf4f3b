/* Every benchmark: one line per operator. */
#include "bench.h"

int bench_depthwise_conv(bench *b);
int bench_causal_conv1d(bench *b);
int bench_linear(bench *b);
int bench_norm(bench *b);
int bench_gate(bench *b);
int bench_fft_conv(bench *b);
int bench_fft_conv_plans(bench *b);
int bench_hyena(bench *b);
int bench_s4(bench *b);

const bench_entry subq_benches[] = {
    {"depthwise_conv", bench_depthwise_conv},
    {"causal_conv1d", bench_causal_conv1d},
    {"linear", bench_linear},
    {"norm", bench_norm},
    {"gate", bench_gate},
    {"fft_conv", bench_fft_conv},
    {"fft_conv_plans", bench_fft_conv_plans, .when_named = true},
    {"hyena", bench_hyena},
    {"s4", bench_s4},
    {NULL, NULL},
};
