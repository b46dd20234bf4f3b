/* Every benchmark: one line per operator. */
#include "bench.h"

int bench_depthwise_conv(bench *b);

const bench_entry subq_benches[] = {
    {"depthwise_conv", bench_depthwise_conv},
    {NULL, NULL},
};
