/* Plain-C references of the layers graph models brought in (issue 13): written for clarity,
 * in double where they sum, the backward passes by scatter where the kernels gather. */
#include <math.h>
#include <string.h>

#include "../../cl/ops_layers.h"
#include "reference.h"

void ref_conv2d_grouped(const float *in, const float *weight, const float *bias, float *out,
                        int batch, int C, int H, int W, int K, int G, int k, int pad, int stride)
{
    int OH = pool_out_size_pad(H, k, stride, pad), OW = pool_out_size_pad(W, k, stride, pad);
    int Cg = C / G, Kg = K / G;
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < K; o++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                    double sum = bias[o];
                    for (int c = 0; c < Cg; c++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int y = oy * stride - pad + ky, x = ox * stride - pad + kx;
                                if (y < 0 || y >= H || x < 0 || x >= W) continue;
                                sum += (double)in[(((size_t)b * C + (o / Kg) * Cg + c) * H + y) * W + x] *
                                       weight[(((size_t)o * Cg + c) * k + ky) * k + kx];
                            }
                    out[(((size_t)b * K + o) * OH + oy) * OW + ox] = (float)sum;
                }
}

void ref_conv2d_grouped_backward_data(const float *dout, const float *weight, float *din,
                                      int batch, int C, int H, int W, int K, int G, int k,
                                      int pad, int stride)
{
    int OH = pool_out_size_pad(H, k, stride, pad), OW = pool_out_size_pad(W, k, stride, pad);
    int Cg = C / G, Kg = K / G;
    memset(din, 0, sizeof *din * (size_t)batch * C * H * W);
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < K; o++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                    float g = dout[(((size_t)b * K + o) * OH + oy) * OW + ox];
                    for (int c = 0; c < Cg; c++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int y = oy * stride - pad + ky, x = ox * stride - pad + kx;
                                if (y < 0 || y >= H || x < 0 || x >= W) continue;
                                din[(((size_t)b * C + (o / Kg) * Cg + c) * H + y) * W + x] +=
                                    g * weight[(((size_t)o * Cg + c) * k + ky) * k + kx];
                            }
                }
}

void ref_clip_forward(const float *in, float *out, float lo, float hi, int n)
{
    for (int i = 0; i < n; i++) out[i] = isnan(in[i]) ? in[i] : fminf(fmaxf(in[i], lo), hi);
}

void ref_clip_backward(const float *in, const float *dout, float *din, float lo, float hi, int n)
{
    for (int i = 0; i < n; i++) din[i] = in[i] > lo && in[i] < hi ? dout[i] : 0.0f;
}

void ref_pad_forward(const float *in, float *out, int planes, int H, int W, const int pads[4])
{
    int OH = H + pads[0] + pads[2], OW = W + pads[1] + pads[3];
    memset(out, 0, sizeof *out * (size_t)planes * OH * OW);
    for (int p = 0; p < planes; p++)
        for (int y = 0; y < H; y++)
            memcpy(out + ((size_t)p * OH + y + pads[0]) * OW + pads[1], in + ((size_t)p * H + y) * W,
                   sizeof *in * (size_t)W);
}

void ref_pad_backward(const float *dout, float *din, int planes, int H, int W, const int pads[4])
{
    int OH = H + pads[0] + pads[2], OW = W + pads[1] + pads[3];
    for (int p = 0; p < planes; p++)
        for (int y = 0; y < H; y++)
            memcpy(din + ((size_t)p * H + y) * W, dout + ((size_t)p * OH + y + pads[0]) * OW + pads[1],
                   sizeof *din * (size_t)W);
}

void ref_maxpool_pad_forward(const float *in, float *out, int *argmax, int planes, int H, int W,
                             int K, int S, int P)
{
    int OH = pool_out_size_pad(H, K, S, P), OW = pool_out_size_pad(W, K, S, P);
    for (int pl = 0; pl < planes; pl++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                const float *src = in + (size_t)pl * H * W;
                float best = -INFINITY;
                int best_idx = -1;
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++) {
                        int y = oy * S - P + ky, x = ox * S - P + kx;
                        if (y < 0 || y >= H || x < 0 || x >= W) continue;
                        if (best_idx < 0 || src[y * W + x] > best || isnan(src[y * W + x])) {
                            best = src[y * W + x];
                            best_idx = y * W + x;
                        }
                    }
                out[((size_t)pl * OH + oy) * OW + ox] = best;
                argmax[((size_t)pl * OH + oy) * OW + ox] = best_idx;
            }
}

void ref_maxpool_pad_backward(const float *dout, const int *argmax, float *din, int planes,
                              int H, int W, int K, int S, int P)
{
    int OH = pool_out_size_pad(H, K, S, P), OW = pool_out_size_pad(W, K, S, P);
    memset(din, 0, sizeof *din * (size_t)planes * H * W);
    for (int pl = 0; pl < planes; pl++)
        for (int o = 0; o < OH * OW; o++)
            if (argmax[(size_t)pl * OH * OW + o] >= 0)
                din[(size_t)pl * H * W + argmax[(size_t)pl * OH * OW + o]] += dout[(size_t)pl * OH * OW + o];
}

/* PyTorch's divisor for window (oy, ox) (avg_pool2d, floor mode). */
static int ref_avgpool_divisor(int oy, int ox, int H, int W, int K, int S, int P, int include_pad)
{
    int y0 = oy * S - P, x0 = ox * S - P, n = 0;
    if (include_pad) return K * K;
    for (int y = y0; y < y0 + K; y++)
        for (int x = x0; x < x0 + K; x++) n += y >= 0 && y < H && x >= 0 && x < W;
    return n;
}

void ref_avgpool_pad_forward(const float *in, float *out, int planes, int H, int W, int K, int S,
                             int P, int include_pad)
{
    int OH = pool_out_size_pad(H, K, S, P), OW = pool_out_size_pad(W, K, S, P);
    for (int pl = 0; pl < planes; pl++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                double sum = 0.0;
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++) {
                        int y = oy * S - P + ky, x = ox * S - P + kx;
                        if (y >= 0 && y < H && x >= 0 && x < W) sum += in[((size_t)pl * H + y) * W + x];
                    }
                out[((size_t)pl * OH + oy) * OW + ox] =
                    (float)(sum / ref_avgpool_divisor(oy, ox, H, W, K, S, P, include_pad));
            }
}

void ref_avgpool_pad_backward(const float *dout, float *din, int planes, int H, int W, int K,
                              int S, int P, int include_pad)
{
    int OH = pool_out_size_pad(H, K, S, P), OW = pool_out_size_pad(W, K, S, P);
    memset(din, 0, sizeof *din * (size_t)planes * H * W);
    for (int pl = 0; pl < planes; pl++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float g = dout[((size_t)pl * OH + oy) * OW + ox] /
                          (float)ref_avgpool_divisor(oy, ox, H, W, K, S, P, include_pad);
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++) {
                        int y = oy * S - P + ky, x = ox * S - P + kx;
                        if (y >= 0 && y < H && x >= 0 && x < W) din[((size_t)pl * H + y) * W + x] += g;
                    }
            }
}

void ref_bn_eval_forward(const float *x, float *y, const float *gamma, const float *beta,
                         const float *mean, const float *var, float eps, int batch, int C, int HW)
{
    for (int b = 0; b < batch; b++)
        for (int c = 0; c < C; c++) {
            double s = gamma[c] / sqrt((double)var[c] + eps);
            for (int p = 0; p < HW; p++) {
                size_t i = ((size_t)b * C + c) * HW + p;
                y[i] = (float)((x[i] - (double)mean[c]) * s + beta[c]);
            }
        }
}

void ref_bn_eval_backward(const float *dy, float *dx, const float *gamma, const float *var,
                          float eps, int batch, int C, int HW)
{
    for (int b = 0; b < batch; b++)
        for (int c = 0; c < C; c++) {
            double s = gamma[c] / sqrt((double)var[c] + eps);
            for (int p = 0; p < HW; p++) {
                size_t i = ((size_t)b * C + c) * HW + p;
                dx[i] = (float)(dy[i] * s);
            }
        }
}
