/* The training run's randomness: a counter-based hash, so every random choice is a pure
 * function of (seed, what, which) and the run's state is just the seed and the epoch. */
#ifndef CLCAM_TRAIN_RNG_H
#define CLCAM_TRAIN_RNG_H

#include <stdint.h>

/* Streams of the hash's second word (augmentation uses the epoch there, see augment.cl). */
#define TRAIN_RNG_INIT 0xfffffff0u
#define TRAIN_RNG_SHUFFLE 0xfffffff1u

/* The same function as train_hash4 in cl/kernels/augment.cl. */
uint32_t train_hash4(uint32_t a, uint32_t b, uint32_t c, uint32_t d);
/* Uniform in [lo, hi) from a hash value (24 bits). */
float train_uniform(uint32_t h, float lo, float hi);
/* perm[0..n) = a permutation of 0..n-1 for this seed and epoch (Fisher-Yates on the hash). */
void train_shuffle(int32_t *perm, long n, uint32_t seed, uint32_t epoch);
/* The crop offsets (dy, dx in -pad..pad) and flip that augment_crop_flip draws for image id. */
void train_augment_params(uint32_t seed, uint32_t epoch, uint32_t id, int pad, int flip, int *dy,
                          int *dx, int *flipped);

#endif
