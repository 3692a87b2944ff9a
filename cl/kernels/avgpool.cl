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
