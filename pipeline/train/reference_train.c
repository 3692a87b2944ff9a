#include "reference_train.h"

#include <math.h>
#include <stddef.h>

#include "train_rng.h"

void ref_conv2d_backward_weight(const float *in, const float *dout, float *dweight, int batch,
                                int C, int H, int W, int K, int kernel, int pad, int stride)
{
    int OH = (H + 2 * pad - kernel) / stride + 1, OW = (W + 2 * pad - kernel) / stride + 1;
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++)
            for (int ky = 0; ky < kernel; ky++)
                for (int kx = 0; kx < kernel; kx++) {
                    double s = 0.0;
                    for (int n = 0; n < batch; n++)
                        for (int oy = 0; oy < OH; oy++)
                            for (int ox = 0; ox < OW; ox++) {
                                int y = oy * stride + ky - pad, x = ox * stride + kx - pad;
                                if (y < 0 || y >= H || x < 0 || x >= W) continue;
                                s += (double)dout[((n * K + k) * OH + oy) * OW + ox] *
                                     in[((n * C + c) * H + y) * W + x];
                            }
                    dweight[((k * C + c) * kernel + ky) * kernel + kx] = (float)s;
                }
}

void ref_linear_backward_weight(const float *in, const float *dout, float *dweight, int batch,
                                int in_f, int out_f)
{
    for (int o = 0; o < out_f; o++)
        for (int i = 0; i < in_f; i++) {
            double s = 0.0;
            for (int n = 0; n < batch; n++) s += (double)dout[n * out_f + o] * in[n * in_f + i];
            dweight[o * in_f + i] = (float)s;
        }
}

void ref_bias_grad(const float *dout, float *db, int batch, int C, int HW)
{
    for (int c = 0; c < C; c++) {
        double s = 0.0;
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) s += dout[(n * C + c) * HW + p];
        db[c] = (float)s;
    }
}

void ref_softmax_xent(const float *logits, const int32_t *labels, float *dlogits, float *loss,
                      int32_t *correct, int batch, int classes)
{
    for (int n = 0; n < batch; n++) {
        const float *x = logits + n * classes;
        int best = 0, y = labels[n];
        double sum = 0.0;
        for (int j = 1; j < classes; j++)
            if (x[j] > x[best]) best = j;
        for (int j = 0; j < classes; j++) sum += exp((double)x[j] - x[best]);
        loss[n] = (float)(x[best] + log(sum) - x[y]);
        correct[n] = best == y;
        for (int j = 0; j < classes; j++)
            dlogits[n * classes + j] =
                (float)((exp((double)x[j] - x[best]) / sum - (j == y)) / batch);
    }
}

void ref_sgd_step(float *w, const float *grad, float *buf, float lr, float momentum, float wd,
                  int nesterov, int n)
{
    for (int i = 0; i < n; i++) {
        float p = w[i];
        float g = grad[i] + wd * p;
        float b = momentum * buf[i] + g;
        buf[i] = b;
        g = nesterov ? g + momentum * b : b;
        w[i] = p - lr * g;
    }
}

void ref_augment(const uint8_t *src, uint8_t *dst, const int32_t *index, uint32_t seed,
                 uint32_t epoch, int batch, int H, int W, int C, int pad, int flip)
{
    for (int n = 0; n < batch; n++) {
        int dy, dx, f;
        train_augment_params(seed, epoch, (uint32_t)index[n], pad, flip, &dy, &dx, &f);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int sy = y + dy, sx = (f ? W - 1 - x : x) + dx;
                for (int c = 0; c < C; c++)
                    dst[((n * H + y) * W + x) * C + c] =
                        (sy >= 0 && sy < H && sx >= 0 && sx < W) ? src[((n * H + sy) * W + sx) * C + c] : 0;
            }
    }
}

void ref_bn_forward_train(const float *x, float *y, const float *gamma, const float *beta,
                          float *mean, float *invstd, float *running_mean, float *running_var,
                          int batch, int C, int HW, float eps, float momentum)
{
    double m = (double)batch * HW;
    for (int c = 0; c < C; c++) {
        double s = 0.0, ss = 0.0, mu, var;
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) s += x[((size_t)n * C + c) * HW + p];
        mu = s / m;
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) {
                double d = x[((size_t)n * C + c) * HW + p] - mu;
                ss += d * d;
            }
        var = ss / m;
        mean[c] = (float)mu;
        invstd[c] = (float)(1.0 / sqrt(var + eps));
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) {
                size_t i = ((size_t)n * C + c) * HW + p;
                y[i] = (float)((x[i] - mu) / sqrt(var + eps) * gamma[c] + beta[c]);
            }
        if (running_mean) running_mean[c] = (float)(momentum * mu + (1.0 - momentum) * running_mean[c]);
        if (running_var)
            running_var[c] = (float)(momentum * (ss / (m - 1.0)) + (1.0 - momentum) * running_var[c]);
    }
}

void ref_bn_backward(const float *x, const float *dy, const float *gamma, const float *mean,
                     const float *invstd, float *dx, float *dgamma, float *dbeta, int batch,
                     int C, int HW)
{
    double m = (double)batch * HW;
    for (int c = 0; c < C; c++) {
        double sb = 0.0, sg = 0.0;
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) {
                size_t i = ((size_t)n * C + c) * HW + p;
                sb += dy[i];
                sg += (double)dy[i] * ((x[i] - (double)mean[c]) * invstd[c]);
            }
        dbeta[c] = (float)sb;
        dgamma[c] = (float)sg;
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) {
                size_t i = ((size_t)n * C + c) * HW + p;
                double xhat = (x[i] - (double)mean[c]) * invstd[c];
                dx[i] = (float)((double)gamma[c] * invstd[c] / m * (m * dy[i] - sb - xhat * sg));
            }
    }
}
