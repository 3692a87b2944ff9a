/* lowbias32 (Chris Wellons' 32-bit integer hash), the mixer of every counter-based random
 * number clcam makes; cl/kernels/prelude.cl has the same for the kernels. */
#ifndef CLCAM_HASH_H
#define CLCAM_HASH_H

#include <stdint.h>

static inline uint32_t clcam_mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

#endif
