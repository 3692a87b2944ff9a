/* Plain-C references of the CAM methods' kernels (cl/kernels/cam_methods.cl, eigencam.cl,
 * scorecam.cl). Grad-CAM++ and XGrad-CAM divide by channel sums that are often near zero at
 * conv3 (see README, "What is computed"), so their references repeat the kernels' float
 * arithmetic in the same order (Grad-CAM++'s with the same error-free transformations); the
 * others sum in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../model/reference.h"

/* TwoSum and Dekker's TwoProd, as cl/kernels/cam_methods.cl (C11 mode: no FMA contraction). */
static float ref_two_sum(float a, float b, float *e)
{
    float s = a + b, bb = s - a;
    *e = (a - (s - bb)) + (b - bb);
    return s;
}

static float ref_two_prod(float a, float b, float *e)
{
    float p = a * b, ca = 4097.0f * a, cb = 4097.0f * b;
    float ah = ca - (ca - a), al = a - ah, bh = cb - (cb - b), bl = b - bh;
    *e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    return p;
}

void ref_gradcampp_weights(const float *A, const float *G, float *w, int batch, int K, int HW)
{
    for (int i = 0; i < batch * K; i++) {
        const float *a = A + (size_t)i * HW, *g = G + (size_t)i * HW;
        float s_hi = 0.0f, s_lo = 0.0f, sum = 0.0f, e, f;
        for (int p = 0; p < HW; p++) {
            s_hi = ref_two_sum(s_hi, a[p], &e);
            s_lo += e;
        }
        for (int p = 0; p < HW; p++) {
            float g1 = g[p];
            if (g1 <= 0.0f) continue;
            float sg = ref_two_prod(s_hi, g1, &e);
            float u = ref_two_sum(2.0f, sg, &f);
            u += f + (e + s_lo * g1);
            float g2 = g1 * g1;
            sum += g2 * g1 / (g2 * u + 1e-6f);
        }
        w[i] = sum;
    }
}

void ref_xgradcam_weights(const float *A, const float *G, float *w, int batch, int K, int HW)
{
    for (int i = 0; i < batch * K; i++) {
        const float *a = A + (size_t)i * HW, *g = G + (size_t)i * HW;
        float sum_a = 0.0f, sum_ga = 0.0f;
        for (int p = 0; p < HW; p++) {
            sum_a += a[p];
            sum_ga += g[p] * a[p];
        }
        w[i] = sum_ga / (sum_a + 1e-7f);
    }
}

void ref_cam_elementwise_relu(const float *A, const float *G, float *raw, int batch, int K,
                              int HW, int mode)
{
    for (int n = 0; n < batch; n++)
        for (int p = 0; p < HW; p++) {
            double sum = 0.0;
            for (int k = 0; k < K; k++) {
                size_t i = ((size_t)n * K + k) * HW + p;
                double g = G[i], a = A[i], t = mode == 0 ? g * a : mode == 1 ? fmax(g, 0.0) * a : fmax(g * a, 0.0);
                sum += t;
            }
            raw[(size_t)n * HW + p] = sum > 0.0 ? (float)sum : 0.0f;
        }
}

void ref_eigencam(const float *A, float *raw, int batch, int K, int HW, int squarings, int iters)
{
    double *M = malloc(sizeof(double) * (size_t)K * HW), *C = malloc(sizeof(double) * (size_t)K * K);
    double *C2 = malloc(sizeof(double) * (size_t)K * K);
    double *v = malloc(sizeof(double) * K), *t = malloc(sizeof(double) * K);
    if (!M || !C || !C2 || !v || !t) goto exit;
    for (int n = 0; n < batch; n++) {
        const float *a = A + (size_t)n * K * HW;
        for (int k = 0; k < K; k++) {
            double mean = 0.0;
            for (int p = 0; p < HW; p++) mean += a[(size_t)k * HW + p];
            mean /= HW;
            for (int p = 0; p < HW; p++) M[(size_t)k * HW + p] = a[(size_t)k * HW + p] - mean;
        }
        for (int j = 0; j < K; j++)
            for (int k = 0; k < K; k++) {
                double s = 0.0;
                for (int p = 0; p < HW; p++) s += M[(size_t)j * HW + p] * M[(size_t)k * HW + p];
                C[(size_t)j * K + k] = s;
            }
        for (int s = 0; s < squarings; s++) {
            double tr = 0.0;
            for (int q = 0; q < K; q++) tr += C[(size_t)q * K + q];
            for (int j = 0; j < K; j++)
                for (int k = 0; k < K; k++) {
                    double sum = 0.0;
                    for (int q = 0; q < K; q++) sum += C[(size_t)j * K + q] * C[(size_t)q * K + k];
                    C2[(size_t)j * K + k] = tr > 0.0 ? sum / (tr * tr) : 0.0;
                }
            memcpy(C, C2, sizeof(double) * (size_t)K * K);
        }
        for (int k = 0; k < K; k++) v[k] = 1.0 + (double)k / K;
        for (int it = 0; it < iters + (iters & 1); it++) {
            double ss = 0.0;
            for (int k = 0; k < K; k++) ss += v[k] * v[k];
            double norm = sqrt(ss);
            for (int j = 0; j < K; j++) {
                double s = 0.0;
                for (int k = 0; k < K; k++) s += C[(size_t)j * K + k] * v[k];
                t[j] = norm > 0.0 ? s / norm : 0.0;
            }
            for (int k = 0; k < K; k++) v[k] = t[k];
        }
        double ss = 0.0, best = 0.0;
        for (int k = 0; k < K; k++) ss += v[k] * v[k];
        for (int p = 0; p < HW; p++) {
            double s = 0.0;
            for (int k = 0; k < K; k++) s += M[(size_t)k * HW + p] * v[k];
            if (fabs(s) > fabs(best)) best = s;
        }
        double f = ss > 0.0 ? (best < 0.0 ? -1.0 : 1.0) / sqrt(ss) : 0.0;
        for (int p = 0; p < HW; p++) {
            double s = 0.0;
            for (int k = 0; k < K; k++) s += M[(size_t)k * HW + p] * v[k] * f;
            raw[(size_t)n * HW + p] = s > 0.0 ? (float)s : 0.0f;
        }
    }
exit:
    free(M), free(C), free(C2), free(v), free(t);
}

/* PyTorch's bilinear align_corners=True at (oy, ox), in double. */
static double upsample_ac(const float *a, int h, int w, int H, int W, int oy, int ox)
{
    double fy = H > 1 ? (double)(h - 1) / (H - 1) * oy : 0.0;
    double fx = W > 1 ? (double)(w - 1) / (W - 1) * ox : 0.0;
    int y0 = (int)fy, x0 = (int)fx;
    if (y0 > h - 1) y0 = h - 1;
    if (x0 > w - 1) x0 = w - 1;
    int y1 = y0 < h - 1 ? y0 + 1 : y0, x1 = x0 < w - 1 ? x0 + 1 : x0;
    double ly = fy - y0, lx = fx - x0;
    double top = (1 - lx) * a[y0 * w + x0] + lx * a[y0 * w + x1];
    double bottom = (1 - lx) * a[y1 * w + x0] + lx * a[y1 * w + x1];
    return (1 - ly) * top + ly * bottom;
}

void ref_scorecam_minmax(const float *A, float *mm, int batch, int K, int h, int w, int H, int W)
{
    for (int i = 0; i < batch * K; i++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++) {
                double u = upsample_ac(A + (size_t)i * h * w, h, w, H, W, oy, ox);
                lo = fmin(lo, u);
                hi = fmax(hi, u);
            }
        mm[2 * i] = (float)lo;
        mm[2 * i + 1] = (float)hi;
    }
}

void ref_scorecam_mask_input(const float *input, const float *A, const float *mm, float *masked,
                             int C, int K, int h, int w, int H, int W, int first, int count)
{
    for (int j = 0; j < count; j++) {
        int q = first + j, b = q / K;
        for (int c = 0; c < C; c++)
            for (int p = 0; p < H * W; p++) {
                double u = upsample_ac(A + (size_t)q * h * w, h, w, H, W, p / W, p % W);
                double m = (u - mm[2 * q]) / ((double)mm[2 * q + 1] - mm[2 * q] + 1e-8);
                masked[((size_t)j * C + c) * H * W + p] = (float)(input[((size_t)b * C + c) * H * W + p] * m);
            }
    }
}

void ref_scorecam_weights(const float *logits, const int *targets, float *w, int batch, int K,
                          int classes, int T, int rank)
{
    for (int b = 0; b < batch; b++) {
        const float *l = logits + (size_t)b * K * classes + targets[(size_t)b * T + rank];
        double mx = -INFINITY, sum = 0.0;
        for (int k = 0; k < K; k++) mx = fmax(mx, l[(size_t)k * classes]);
        for (int k = 0; k < K; k++) sum += exp(l[(size_t)k * classes] - mx);
        for (int k = 0; k < K; k++) w[(size_t)b * K + k] = (float)(exp(l[(size_t)k * classes] - mx) / sum);
    }
}
