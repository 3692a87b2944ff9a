#include "reference_road.h"

#include "../../base/hash.h"

#include <math.h>
#include <stdlib.h>

float ref_road_normal(uint32_t seed, uint32_t index, uint32_t s, uint32_t c, uint32_t pixel)
{
    uint32_t h = clcam_mix32(seed);
    h = clcam_mix32(h ^ index);
    h = clcam_mix32(h ^ s);
    h = clcam_mix32(h ^ c);
    h = clcam_mix32(h ^ pixel);
    uint32_t h1 = clcam_mix32(h), h2 = clcam_mix32(h1 + 1u);
    float u1 = (float)((h1 >> 8) + 1u) * (1.0f / 16777216.0f);
    float u2 = (float)(h2 >> 8) * (1.0f / 16777216.0f);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.283185307179586f * u2);
}

/* np.percentile(values, p) (linear) of the ascending values asc(i), rounded to float32 as
 * torch compares it with the float32 map. */
static float road_threshold(const float *sorted, int HW, int p, int lerf)
{
    long num = (long)(HW - 1) * (p < 0 ? 0 : p > 100 ? 100 : p);
    int lo = (int)(num / 100), hi = lo + 1 < HW ? lo + 1 : HW - 1;
    double g = (double)(num % 100) / 100.0;
    double a = lerf ? (double)(1.0f - sorted[lo]) : (double)sorted[HW - 1 - lo];
    double b = lerf ? (double)(1.0f - sorted[hi]) : (double)sorted[HW - 1 - hi];
    return (float)(g < 0.5 ? a + (b - a) * g : b - (b - a) * (1.0 - g));
}

/* Solves one channel's removed pixels in x (kept pixels hold their values, removed ones start
 * at 0) by SOR sweeps until no value moves by more than 1e-13: a region with no kept neighbour
 * has a zero right-hand side and so stays 0. */
static void road_solve(double *x, const char *keep, int H, int W)
{
    double omega = 2.0 / (1.0 + sin(3.141592653589793 / (double)((H > W ? H : W) + 1)));
    for (int sweep = 0; sweep < 200000; sweep++) {
        double moved = 0.0;
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++) {
                if (keep[y * W + xx]) continue;
                double wsum = 0.0, acc = 0.0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = y + dy, xc = xx + dx;
                        if ((dy == 0 && dx == 0) || yy < 0 || yy >= H || xc < 0 || xc >= W)
                            continue;
                        double w = (dy == 0 || dx == 0) ? 1.0 / 6.0 : 1.0 / 12.0;
                        wsum += w;
                        acc += w * x[yy * W + xc];
                    }
                double *xi = &x[y * W + xx];
                double next = *xi + omega * (acc / wsum - *xi);
                if (fabs(next - *xi) > moved) moved = fabs(next - *xi);
                *xi = next;
            }
        if (moved < 1e-13) break;
    }
}

void ref_metric_road(const float *input, const float *maps, int T, int rank_t,
                     const float *sorted, const int *pct, int n_pct, float noise, uint32_t seed,
                     const int *index, float *chunk, int C, int H, int W, int first, int count)
{
    int HW = H * W, S = 2 * n_pct;
    char *keep = malloc((size_t)HW);
    double *x = malloc((size_t)HW * sizeof(double));
    if (!keep || !x) abort(); /* a test helper: no recovery to offer */
    for (int j = 0; j < count; j++) {
        int q = first + j, b = q / S, s = q % S, lerf = s & 1;
        const float *m = maps + (size_t)(b * T + rank_t) * HW;
        float thr = road_threshold(sorted + (size_t)b * HW, HW, pct[s / 2], lerf);
        for (int p = 0; p < HW; p++) keep[p] = (lerf ? 1.0f - m[p] : m[p]) < thr;
        for (int c = 0; c < C; c++) {
            const float *v = input + (size_t)(b * C + c) * HW;
            float *out = chunk + (size_t)(j * C + c) * HW;
            for (int p = 0; p < HW; p++) x[p] = keep[p] ? v[p] : 0.0;
            road_solve(x, keep, H, W);
            for (int p = 0; p < HW; p++) {
                out[p] = (float)x[p];
                if (!keep[p] && noise != 0.0f)
                    out[p] += noise * ref_road_normal(seed, (uint32_t)index[b], (uint32_t)s,
                                                      (uint32_t)c, (uint32_t)p);
            }
        }
    }
    free(keep);
    free(x);
}
