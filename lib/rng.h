/* rng.h - small deterministic random numbers, the same on every machine.
 *
 * A seeded stream (xoshiro256**, seeded through splitmix64) for shuffles and
 * splits, and rng_hash(key, i) for counter-based draws (dropout masks,
 * augmentation) that must not depend on thread count or visiting order.
 */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
/* uniform integer in [0, n) without modulo bias; 0 when n == 0 */
uint64_t rng_below(rng *r, uint64_t n);
/* uniform double in [0, 1) with 53 random bits */
double rng_uniform(rng *r);
/* standard normal (Box-Muller) */
double rng_normal(rng *r);

/* splitmix64's finaliser: a good 64-bit mixing function */
static inline uint64_t rng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* a random 64-bit value determined by (key, i) alone */
static inline uint64_t rng_hash(uint64_t key, uint64_t i)
{
    return rng_mix(key ^ rng_mix(i + 0x9e3779b97f4a7c15ULL));
}

#endif
