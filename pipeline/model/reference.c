#include "reference.h"

#include <math.h>
#include <string.h>

#include "../../cl/ops.h"

void ref_preprocess(const uint8_t *src, float *dst, const float *mean, const float *std,
                    float scale, int batch, int C, int HW)
{
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++) {
                float x = (float)src[((size_t)n * HW + p) * C + c] * scale;
                dst[((size_t)n * C + c) * HW + p] = (x - mean[c]) / std[c];
            }
}

void ref_conv2d(const float *in, const float *weight, const float *bias, float *out, int batch,
                int C, int H, int W, int K, int kernel, int pad, int stride)
{
    int OH = (H + 2 * pad - kernel) / stride + 1, OW = (W + 2 * pad - kernel) / stride + 1;
    for (int n = 0; n < batch; n++)
        for (int k = 0; k < K; k++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                    double sum = bias ? bias[k] : 0.0; /* double: the oracle, not a twin */
                    for (int c = 0; c < C; c++)
                        for (int ky = 0; ky < kernel; ky++)
                            for (int kx = 0; kx < kernel; kx++) {
                                int y = oy * stride + ky - pad, x = ox * stride + kx - pad;
                                if (y < 0 || y >= H || x < 0 || x >= W) continue;
                                sum += (double)in[(((size_t)n * C + c) * H + y) * W + x] *
                                       weight[(((size_t)k * C + c) * kernel + ky) * kernel + kx];
                            }
                    out[(((size_t)n * K + k) * OH + oy) * OW + ox] = (float)sum;
                }
}

void ref_conv2d_backward_data(const float *dout, const float *weight, float *din, int batch,
                              int C, int H, int W, int K, int kernel, int pad, int stride)
{
    int OH = (H + 2 * pad - kernel) / stride + 1, OW = (W + 2 * pad - kernel) / stride + 1;
    memset(din, 0, sizeof *din * (size_t)batch * C * H * W);
    for (int n = 0; n < batch; n++)
        for (int k = 0; k < K; k++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                    float g = dout[(((size_t)n * K + k) * OH + oy) * OW + ox];
                    for (int c = 0; c < C; c++)
                        for (int ky = 0; ky < kernel; ky++)
                            for (int kx = 0; kx < kernel; kx++) {
                                int y = oy * stride + ky - pad, x = ox * stride + kx - pad;
                                if (y < 0 || y >= H || x < 0 || x >= W) continue;
                                din[(((size_t)n * C + c) * H + y) * W + x] +=
                                    g * weight[(((size_t)k * C + c) * kernel + ky) * kernel + kx];
                            }
                }
}

void ref_linear(const float *in, const float *weight, const float *bias, float *out, int batch,
                int in_f, int out_f)
{
    for (int n = 0; n < batch; n++)
        for (int o = 0; o < out_f; o++) {
            double sum = bias ? bias[o] : 0.0;
            for (int i = 0; i < in_f; i++)
                sum += (double)in[(size_t)n * in_f + i] * weight[(size_t)o * in_f + i];
            out[(size_t)n * out_f + o] = (float)sum;
        }
}

void ref_linear_backward(const float *dout, const float *weight, float *din, int batch,
                         int in_f, int out_f)
{
    for (int n = 0; n < batch; n++)
        for (int i = 0; i < in_f; i++) {
            double sum = 0.0;
            for (int o = 0; o < out_f; o++)
                sum += (double)dout[(size_t)n * out_f + o] * weight[(size_t)o * in_f + i];
            din[(size_t)n * in_f + i] = (float)sum;
        }
}

void ref_relu_forward(const float *in, float *out, int n)
{
    for (int i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void ref_relu_backward(const float *out, const float *dout, float *din, int n)
{
    for (int i = 0; i < n; i++) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

void ref_maxpool_forward(const float *in, float *out, int *argmax, int planes, int H, int W,
                         int K, int S)
{
    int OH = pool_out_size(H, K, S), OW = pool_out_size(W, K, S);
    for (int pl = 0; pl < planes; pl++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                const float *src = in + (size_t)pl * H * W;
                float best = -INFINITY;
                int best_idx = oy * S * W + ox * S;
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++) {
                        int idx = (oy * S + ky) * W + ox * S + kx;
                        if (src[idx] > best || isnan(src[idx])) {
                            best = src[idx];
                            best_idx = idx;
                        }
                    }
                out[((size_t)pl * OH + oy) * OW + ox] = best;
                argmax[((size_t)pl * OH + oy) * OW + ox] = best_idx;
            }
}

/* Scatter form, unlike the kernel's gather: an independent formulation. */
void ref_maxpool_backward(const float *dout, const int *argmax, float *din, int planes, int H,
                          int W, int K, int S)
{
    int OH = pool_out_size(H, K, S), OW = pool_out_size(W, K, S);
    memset(din, 0, sizeof *din * (size_t)planes * H * W);
    for (int pl = 0; pl < planes; pl++)
        for (int o = 0; o < OH * OW; o++)
            din[(size_t)pl * H * W + argmax[(size_t)pl * OH * OW + o]] += dout[(size_t)pl * OH * OW + o];
}

void ref_avgpool_forward(const float *in, float *out, int planes, int H, int W, int KH, int KW,
                         int SH, int SW)
{
    int OH = pool_out_size(H, KH, SH), OW = pool_out_size(W, KW, SW);
    for (int pl = 0; pl < planes; pl++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                double sum = 0.0;
                for (int ky = 0; ky < KH; ky++)
                    for (int kx = 0; kx < KW; kx++)
                        sum += in[((size_t)pl * H + oy * SH + ky) * W + ox * SW + kx];
                out[((size_t)pl * OH + oy) * OW + ox] = (float)(sum / (KH * KW));
            }
}

void ref_avgpool_backward(const float *dout, float *din, int planes, int H, int W, int KH, int KW,
                          int SH, int SW)
{
    int OH = pool_out_size(H, KH, SH), OW = pool_out_size(W, KW, SW);
    memset(din, 0, sizeof *din * (size_t)planes * H * W);
    for (int pl = 0; pl < planes; pl++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float g = dout[((size_t)pl * OH + oy) * OW + ox] / (float)(KH * KW);
                for (int ky = 0; ky < KH; ky++)
                    for (int kx = 0; kx < KW; kx++)
                        din[((size_t)pl * H + oy * SH + ky) * W + ox * SW + kx] += g;
            }
}

void ref_softmax(const float *logits, float *probs, int batch, int classes)
{
    for (int n = 0; n < batch; n++) {
        const float *x = logits + (size_t)n * classes;
        double m = x[0], sum = 0.0;
        for (int j = 1; j < classes; j++) m = fmax(m, x[j]);
        for (int j = 0; j < classes; j++) sum += exp(x[j] - m);
        for (int j = 0; j < classes; j++) probs[(size_t)n * classes + j] = (float)(exp(x[j] - m) / sum);
    }
}

void ref_select_targets(const float *logits, const int *labels, int *pred, int *targets,
                        int batch, int classes, int mode, int cls, int T)
{
    for (int n = 0; n < batch; n++) {
        const float *x = logits + (size_t)n * classes;
        int best = 0;
        for (int j = 1; j < classes; j++)
            if (x[j] > x[best]) best = j;
        pred[n] = best;
        if (mode != 3) {
            targets[(size_t)n * T] = mode == 0 ? best : mode == 1 ? labels[n] : cls;
            continue;
        }
        /* insertion sort of class indices by decreasing logit, stable */
        int order[256];
        int m = classes < 256 ? classes : 256;
        for (int j = 0; j < m; j++) {
            int q = j;
            while (q > 0 && x[order[q - 1]] < x[j]) {
                order[q] = order[q - 1];
                q--;
            }
            order[q] = j;
        }
        for (int r = 0; r < T; r++) targets[(size_t)n * T + r] = order[r];
    }
}

void ref_onehot_rank(const int *targets, float *dlogits, int batch, int classes, int T, int rank)
{
    for (int n = 0; n < batch; n++)
        for (int j = 0; j < classes; j++)
            dlogits[(size_t)n * classes + j] = j == targets[(size_t)n * T + rank] ? 1.0f : 0.0f;
}

void ref_gradcam_weights(const float *dA, float *w, int batch, int K, int HW)
{
    for (int i = 0; i < batch * K; i++) {
        double sum = 0.0;
        for (int p = 0; p < HW; p++) sum += dA[(size_t)i * HW + p];
        w[i] = (float)(sum / HW);
    }
}

void ref_cam_weighted_relu(const float *A, const float *w, float *raw, int batch, int K, int HW)
{
    for (int n = 0; n < batch; n++)
        for (int p = 0; p < HW; p++) {
            double sum = 0.0;
            for (int k = 0; k < K; k++)
                sum += (double)w[(size_t)n * K + k] * A[((size_t)n * K + k) * HW + p];
            raw[(size_t)n * HW + p] = sum > 0.0 ? (float)sum : 0.0f;
        }
}

/* PyTorch's bilinear interpolation with align_corners=False, in double. */
static void src_index(int dst, int in_size, int out_size, int *i0, int *i1, double *l1)
{
    double src = (double)in_size / out_size * (dst + 0.5) - 0.5;
    if (src < 0) src = 0;
    *i0 = (int)src;
    *i1 = *i0 < in_size - 1 ? *i0 + 1 : *i0;
    *l1 = src - *i0;
}

void ref_cam_upsample(const float *raw, float *up, int batch, int h, int w, int H, int W)
{
    for (int n = 0; n < batch; n++)
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++) {
                int y0, y1, x0, x1;
                double ly, lx;
                const float *r = raw + (size_t)n * h * w;
                src_index(oy, h, H, &y0, &y1, &ly);
                src_index(ox, w, W, &x0, &x1, &lx);
                double top = (1 - lx) * r[y0 * w + x0] + lx * r[y0 * w + x1];
                double bottom = (1 - lx) * r[y1 * w + x0] + lx * r[y1 * w + x1];
                up[((size_t)n * H + oy) * W + ox] = (float)((1 - ly) * top + ly * bottom);
            }
}

void ref_cam_normalise(const float *up, float *cam, int batch, int HW, int T, int rank)
{
    for (int n = 0; n < batch; n++) {
        const float *x = up + (size_t)n * HW;
        float lo = x[0], hi = x[0];
        for (int p = 1; p < HW; p++) {
            lo = fminf(lo, x[p]);
            hi = fmaxf(hi, x[p]);
        }
        for (int p = 0; p < HW; p++)
            cam[((size_t)n * T + rank) * HW + p] = hi > lo ? (x[p] - lo) / (hi - lo) : 0.0f;
    }
}

void ref_add_inplace(float *acc, const float *x, int n)
{
    for (int i = 0; i < n; i++) acc[i] += x[i];
}

void ref_concat_copy(const float *in, float *out, int batch, int chunk, int total, int offset)
{
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < chunk; j++) out[(size_t)b * total + offset + j] = in[(size_t)b * chunk + j];
}

void ref_concat_slice(const float *out, float *in, int batch, int chunk, int total, int offset)
{
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < chunk; j++) in[(size_t)b * chunk + j] = out[(size_t)b * total + offset + j];
}
