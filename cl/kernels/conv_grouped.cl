/* Grouped convolution (PyTorch's Conv2d(groups=G)), depthwise included (G = C): weight
 * [K, C/G, k, k], output channel o reads input channels (o / (K/G)) * C/G onwards. A direct
 * kernel: the work per output is only C/G * k * k multiply-adds, too little for a GEMM
 * (a depthwise 3x3 is nine). One work-item per output row, the index arithmetic once per
 * row; the backward pass is a gather per input row, in a fixed order, no atomics. */
#pragma OPENCL FP_CONTRACT OFF

__kernel void conv_grouped_forward(__global const float *in, __global const float *weight,
                                   __global const float *bias, __global float *out, int C,
                                   int H, int W, int K, int G, int k, int pad, int stride,
                                   int OH, int OW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int oy = i % OH, o = (i / OH) % K, b = i / (OH * K);
    int Cg = C / G, c0 = (o / (K / G)) * Cg;
    int y0 = oy * stride - pad;
    int ky0 = max(0, -y0), ky1 = min(k, H - y0);
    __global const float *src = in + ((size_t)b * C + c0) * H * W;
    __global const float *wo = weight + (size_t)o * Cg * k * k;
    __global float *dst = out + (size_t)i * OW;
    float bo = bias[o];
    for (int ox = 0; ox < OW; ox++) {
        int x0 = ox * stride - pad;
        int kx0 = max(0, -x0), kx1 = min(k, W - x0);
        float sum = 0.0f;
        for (int c = 0; c < Cg; c++) {
            __global const float *sp = src + (size_t)c * H * W;
            __global const float *wp = wo + c * k * k;
            for (int ky = ky0; ky < ky1; ky++)
                for (int kx = kx0; kx < kx1; kx++)
                    sum += sp[(y0 + ky) * W + x0 + kx] * wp[ky * k + kx];
        }
        dst[ox] = sum + bo;
    }
}

/* din [batch, C, H, W] from dout [batch, K, OH, OW]: each input element sums dout * weight
 * over the outputs of its group whose windows hold it. One work-item per input row. */
__kernel void conv_grouped_backward_data(__global const float *dout,
                                         __global const float *weight, __global float *din,
                                         int C, int H, int W, int K, int G, int k, int pad,
                                         int stride, int OH, int OW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int y = i % H, c = (i / H) % C, b = i / (H * C);
    int Cg = C / G, Kg = K / G, g = c / Cg, cg = c % Cg;
    __global float *dst = din + (size_t)i * W;
    for (int x = 0; x < W; x++) {
        float sum = 0.0f;
        for (int o = g * Kg; o < (g + 1) * Kg; o++) {
            __global const float *d = dout + ((size_t)b * K + o) * OH * OW;
            __global const float *wp = weight + ((size_t)o * Cg + cg) * k * k;
            for (int ky = 0; ky < k; ky++) {
                int ty = y + pad - ky;
                if (ty < 0 || ty % stride != 0 || ty / stride >= OH) continue;
                for (int kx = 0; kx < k; kx++) {
                    int tx = x + pad - kx;
                    if (tx < 0 || tx % stride != 0 || tx / stride >= OW) continue;
                    sum += d[(ty / stride) * OW + tx / stride] * wp[ky * k + kx];
                }
            }
        }
        dst[x] = sum;
    }
}
