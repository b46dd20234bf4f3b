/* Every benchmark: one line per operator. */
#include "bench.h"

int bench_depthwise_conv(bench *b);
int bench_causal_conv1d(bench *b);

const bench_entry subq_benches[] = {
    {"depthwise_conv", bench_depthwise_conv},
    {"causal_conv1d", bench_causal_conv1d},
    {NULL, NULL},
};
