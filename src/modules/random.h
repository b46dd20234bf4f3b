/* A seeded generator for module initialisation: the same seed gives the same weights on every
 * machine (splitmix64; normals by Box-Muller). Not PyTorch's stream: only the distributions match. */
#ifndef SUBQ_MODULES_RANDOM_H
#define SUBQ_MODULES_RANDOM_H

#include <stdint.h>

typedef struct subq_random {
    uint64_t state;
} subq_random;

subq_random subq_random_seeded(uint64_t seed);
/* Uniform in [0, 1), 53 bits. */
double subq_random_uniform(subq_random *random);
/* Standard normal. */
double subq_random_normal(subq_random *random);

#endif
