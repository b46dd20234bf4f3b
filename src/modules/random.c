#include "modules/random.h"

#include <math.h>

subq_random subq_random_seeded(uint64_t seed) {
    return (subq_random){seed};
}

static uint64_t next(subq_random *random) {
    uint64_t z = (random->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double subq_random_uniform(subq_random *random) {
    return (double)(next(random) >> 11) * 0x1.0p-53;
}

double subq_random_normal(subq_random *random) {
    double u = 1.0 - subq_random_uniform(random); /* (0, 1]: log stays finite */
    double v = subq_random_uniform(random);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}
