/* Average pooling (no padding, floor mode, KH x KW windows with strides SH, SW; a global
 * average pool is the window of the whole plane) and its backward pass as a gather: each input
 * sums the gradients of the windows that contain it, in a fixed order, then divides by the
 * window size. No atomics. One work-item per element. */
__kernel void avgpool_forward(__global const float *in, __global float *out, int H, int W,
                              int OH, int OW, int KH, int KW, int SH, int SW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int plane = i / (OH * OW);
    int o = i % (OH * OW);
    int oy = o / OW, ox = o % OW;
    __global const float *src = in + plane * H * W + oy * SH * W + ox * SW;
    float sum = 0.0f;
    for (int ky = 0; ky < KH; ky++)
        for (int kx = 0; kx < KW; kx++) sum += src[ky * W + kx];
    out[i] = sum / (float)(KH * KW);
}

__kernel void avgpool_backward(__global const float *dout, __global float *din, int H, int W,
                               int OH, int OW, int KH, int KW, int SH, int SW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int plane = i / (H * W);
    int p = i % (H * W);
    int y = p / W, x = p % W;
    int oy0 = y - KH + 1 > 0 ? (y - KH + SH) / SH : 0; /* ceil((y - KH + 1) / SH) */
    int ox0 = x - KW + 1 > 0 ? (x - KW + SW) / SW : 0;
    int oy1 = min(y / SH, OH - 1), ox1 = min(x / SW, OW - 1);
    float sum = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++) sum += dout[plane * OH * OW + oy * OW + ox];
    din[i] = sum / (float)(KH * KW);
}

/* With zero padding P on every side (PyTorch's AvgPool2d(padding=P), floor mode): the
 * divisor is the window's size when include_pad (count_include_pad=True), else the number
 * of its elements inside the input. */
static inline int avgpool_pad_divisor(int oy, int ox, int H, int W, int K, int S, int P,
                                      int include_pad)
{
    int y0 = oy * S - P, x0 = ox * S - P;
    if (include_pad) return K * K;
    return (min(y0 + K, H) - max(y0, 0)) * (min(x0 + K, W) - max(x0, 0));
}

/* One work-item per output row (n = planes * OH). */
__kernel void avgpool_pad_forward(__global const float *in, __global float *out, int H, int W,
                                  int OH, int OW, int K, int S, int P, int include_pad, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int oy = i % OH, plane = i / OH;
    int y0 = max(oy * S - P, 0), y1 = min(oy * S - P + K, H);
    __global const float *src = in + (size_t)plane * H * W;
    for (int ox = 0; ox < OW; ox++) {
        int x0 = max(ox * S - P, 0), x1 = min(ox * S - P + K, W);
        float sum = 0.0f;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) sum += src[y * W + x];
        out[(size_t)i * OW + ox] = sum / (float)avgpool_pad_divisor(oy, ox, H, W, K, S, P, include_pad);
    }
}

__kernel void avgpool_pad_backward(__global const float *dout, __global float *din, int H,
                                   int W, int OH, int OW, int K, int S, int P, int include_pad,
                                   int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int p = i % (H * W), plane = i / (H * W);
    int y = p / W + P, x = p % W + P; /* in padded coordinates */
    int oy0 = y - K + 1 > 0 ? (y - K + S) / S : 0, oy1 = min(y / S, OH - 1);
    int ox0 = x - K + 1 > 0 ? (x - K + S) / S : 0, ox1 = min(x / S, OW - 1);
    __global const float *d = dout + (size_t)plane * OH * OW;
    float sum = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++)
            sum += d[oy * OW + ox] / (float)avgpool_pad_divisor(oy, ox, H, W, K, S, P, include_pad);
    din[i] = sum;
}
