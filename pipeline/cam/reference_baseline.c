/* Plain-C references of the baseline maps (cl/kernels/baseline.cl): the same hash, the same
 * grey weights, the same float arithmetic in the same order. */
#include <math.h>
#include <stddef.h>

#include "../../base/hash.h"
#include "../model/reference.h"

uint32_t ref_baseline_hash3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t h = clcam_mix32(a + 0x9e3779b9u);
    h = clcam_mix32(h ^ (b + 0x85ebca6bu));
    return clcam_mix32(h ^ (c + 0xc2b2ae35u));
}

void ref_baseline_random(const int32_t *index, uint32_t seed, float *out, int batch, int HW)
{
    for (int b = 0; b < batch; b++)
        for (int p = 0; p < HW; p++) {
            uint32_t h = ref_baseline_hash3(seed, (uint32_t)index[b], (uint32_t)p);
            out[(size_t)b * HW + p] = (float)(h >> 8) * (1.0f / 16777216.0f);
        }
}

/* BORDER_REFLECT_101 one step outside [0, n). */
static int ref_reflect101(int i, int n)
{
    if (n == 1) return 0;
    if (i < 0) return -i;
    if (i >= n) return 2 * n - 2 - i;
    return i;
}

static float ref_grey(const uint8_t *img, int y, int x, int W, int C)
{
    const uint8_t *p = img + ((size_t)y * W + x) * C;
    if (C == 1) return (float)p[0] / 255.0f;
    return (0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2]) / 255.0f;
}

void ref_baseline_sobel(const uint8_t *images, float *out, int batch, int H, int W, int C)
{
    for (int b = 0; b < batch; b++) {
        const uint8_t *img = images + (size_t)b * H * W * C;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int y0 = ref_reflect101(y - 1, H), y1 = ref_reflect101(y + 1, H);
                int x0 = ref_reflect101(x - 1, W), x1 = ref_reflect101(x + 1, W);
                float a = ref_grey(img, y0, x0, W, C), t = ref_grey(img, y0, x, W, C);
                float c = ref_grey(img, y0, x1, W, C), l = ref_grey(img, y, x0, W, C);
                float r = ref_grey(img, y, x1, W, C), d = ref_grey(img, y1, x0, W, C);
                float e = ref_grey(img, y1, x, W, C), f = ref_grey(img, y1, x1, W, C);
                float dx = (c + 2.0f * r + f) - (a + 2.0f * l + d);
                float dy = (d + 2.0f * e + f) - (a + 2.0f * t + c);
                out[((size_t)b * H + y) * W + x] = sqrtf(dx * dx + dy * dy);
            }
    }
}
