/* Plain-C references of the metrics' kernels; see reference_metrics.h. */
#include "reference_metrics.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    float v;
    int p;
} order_pair;

/* The kernels' total order: higher value first, NaN after numbers, ties by pixel. */
static int order_cmp(const void *pa, const void *pb)
{
    const order_pair *a = pa, *b = pb;
    int na = isnan(a->v), nb = isnan(b->v);
    if (na != nb) return na ? 1 : -1;
    if (!na && a->v != b->v) return a->v > b->v ? -1 : 1;
    return (a->p > b->p) - (a->p < b->p);
}

int ref_metric_order(const float *maps, int T, int rank_t, int *rank, float *sorted, int batch,
                     int HW)
{
    order_pair *pairs = malloc(sizeof *pairs * (size_t)(HW > 0 ? HW : 1));
    if (!pairs) return -1;
    for (int b = 0; b < batch; b++) {
        const float *m = maps + ((size_t)b * T + rank_t) * HW;
        for (int p = 0; p < HW; p++) pairs[p] = (order_pair){m[p], p};
        qsort(pairs, (size_t)HW, sizeof *pairs, order_cmp);
        for (int place = 0; place < HW; place++) {
            rank[(size_t)b * HW + pairs[place].p] = place;
            sorted[(size_t)b * HW + place] = pairs[place].v;
        }
    }
    free(pairs);
    return 0;
}

void ref_metric_mult(const float *input, const float *maps, int T, int rank_t,
                     const float *mean_std, int space, float *chunk, int C, int HW, int first,
                     int count)
{
    for (int j = 0; j < count; j++) {
        int b = first + j;
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++) {
                float x = input[((size_t)b * C + c) * HW + p];
                float m = maps[((size_t)b * T + rank_t) * HW + p];
                float *out = &chunk[((size_t)j * C + c) * HW + p];
                if (space == 0) {
                    *out = x * m;
                } else {
                    float mean = mean_std[c], sd = mean_std[3 + c];
                    *out = ((x * sd + mean) * m - mean) / sd;
                }
            }
    }
}

void ref_metric_steps(const float *input, const float *blurred, const int *rank, int insertion,
                      int K, float *chunk, int C, int HW, int first, int count)
{
    for (int j = 0; j < count; j++) {
        int q = first + j, b = q / K;
        long long step = q % K + (insertion ? 0 : 1);
        int n = (int)(step * HW / K);
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++) {
                size_t at = ((size_t)b * C + c) * HW + p;
                int top = rank[(size_t)b * HW + p] < n;
                float v = insertion ? (top ? input[at] : blurred[at]) : (top ? 0.0f : input[at]);
                chunk[((size_t)j * C + c) * HW + p] = v;
            }
    }
}

/* One pass along x (dx = 1) or y of every plane, as metric_blur_pass: the same weights by
 * the same recurrence, the same order of sums. */
static void blur_pass(const float *in, float *out, int planes, int H, int W, int R, float sigma,
                      int dx)
{
    float two_s2 = 2.0f * sigma * sigma;
    for (int pl = 0; pl < planes; pl++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t at = ((size_t)pl * H + y) * W + x;
                float w = 1.0f, r, q, sum = 1.0f, acc = in[at];
                if (R == 0) {
                    out[at] = in[at];
                    continue;
                }
                r = expf(-1.0f / two_s2);
                q = expf(-2.0f / two_s2);
                for (int d = 1; d <= R; d++) {
                    float pair = 0.0f;
                    w *= r;
                    r *= q;
                    if (dx ? x - d >= 0 : y - d >= 0) pair += in[at - (size_t)d * (dx ? 1 : W)];
                    if (dx ? x + d < W : y + d < H) pair += in[at + (size_t)d * (dx ? 1 : W)];
                    sum += 2.0f * w;
                    acc += w * pair;
                }
                out[at] = acc / sum;
            }
}

void ref_metric_blur(const float *input, float *blurred, float *scratch, int batch, int C, int H,
                     int W, float sigma)
{
    int R = (int)ceilf(3.0f * sigma);
    blur_pass(input, scratch, batch * C, H, W, R, sigma, 1);
    blur_pass(scratch, blurred, batch * C, H, W, R, sigma, 0);
}

void ref_metric_score(const float *logits, const int *targets, int T, int rank_t, int classes,
                      int S, float *scores, int first, int count)
{
    for (int i = 0; i < count; i++) {
        int q = first + i, t = targets[(size_t)(q / S) * T + rank_t];
        const float *l = logits + (size_t)i * classes;
        float mx = -INFINITY, sum = 0.0f;
        for (int c = 0; c < classes; c++) mx = fmaxf(mx, l[c]);
        for (int c = 0; c < classes; c++) sum += expf(l[c] - mx);
        scores[q] = expf(l[t] - mx) / sum;
    }
}
