#include "train_rng.h"

#include "../../base/hash.h"

uint32_t train_hash4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    uint32_t h = clcam_mix32(a + 0x9e3779b9u);
    h = clcam_mix32(h ^ (b + 0x85ebca6bu));
    h = clcam_mix32(h ^ (c + 0xc2b2ae35u));
    return clcam_mix32(h ^ (d + 0x27d4eb2fu));
}

float train_uniform(uint32_t h, float lo, float hi)
{
    return lo + (hi - lo) * (float)((double)(h >> 8) / 16777216.0);
}

void train_shuffle(int32_t *perm, long n, uint32_t seed, uint32_t epoch)
{
    for (long i = 0; i < n; i++) perm[i] = (int32_t)i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(train_hash4(seed, TRAIN_RNG_SHUFFLE, epoch, (uint32_t)i) % (uint32_t)(i + 1));
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

void train_augment_params(uint32_t seed, uint32_t epoch, uint32_t id, int pad, int flip, int *dy,
                          int *dx, int *flipped)
{
    uint32_t span = (uint32_t)(2 * pad + 1);
    *dy = (int)(train_hash4(seed, epoch, id, 1u) % span) - pad;
    *dx = (int)(train_hash4(seed, epoch, id, 2u) % span) - pad;
    *flipped = flip && (train_hash4(seed, epoch, id, 3u) & 1u);
}
