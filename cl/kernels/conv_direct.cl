/* Direct convolution forward (cross-correlation, square kernel, NCHW, zero padding), without
 * im2col: out[b, K, OH, OW] = conv(in [b, C, H, W], weight [K, C, ks, ks]) + bias [K].
 * Written for CPUs under PoCL, which compiles a work-item as scalar code unless it holds
 * explicit vectors: like gemm.cl, a work-item keeps 8 output channels x 16 output pixels in
 * float16 accumulators. The 16 pixels are SW consecutive columns of 16 / SW consecutive output
 * rows (SW = 16, or less when the output is narrower, so 8x8 planes do not leave lanes idle).
 * The input is first copied with its zero padding made real (conv_direct_pad), so the inner
 * loop has no bounds checks: for stride 1 each kx is one unaligned vector load. A first
 * version copied each row span into a private array instead and ran at 20-27 GFLOP/s on
 * SimpleCNN's conv2/conv3 (store-to-load stalls) against 50-66 for im2col + our GEMM.
 * Each sum runs over (c, ky, kx) in order with one fma a step, as the im2col GEMM's does,
 * then adds the bias: the same result on every run. Work-items past the output and channels
 * past K compute nothing they store; any work-group size is correct. */
#pragma OPENCL FP_CONTRACT OFF

#define DIRECT_RB 8 /* output channels per work-item */

/* inp [b, C, Hp, Wp] = in [b, C, H, W] moved by (pad, pad), zero around; a work-item per
 * padded row. Hp and Wp cover every row and column a work-item reads, tails included. */
__kernel void conv_direct_pad(__global const float *in, __global float *inp, int H, int W,
                              int pad, int Hp, int Wp, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int y = gid % Hp - pad, plane = gid / Hp;
    __global float *dst = inp + gid * Wp;
    __global const float *src = in + (plane * H + y) * W;
    int inside = y >= 0 && y < H;
    for (int x = 0; x < Wp; x++) {
        int ix = x - pad;
        dst[x] = inside && ix >= 0 && ix < W ? src[ix] : 0.0f;
    }
}

__kernel void conv_direct_forward(__global const float *inp, __global const float *weight,
                                  __global const float *bias, __global float *out, int C,
                                  int Hp, int Wp, int K, int ks, int stride, int OH, int OW,
                                  int SW, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int R = 16 / SW; /* output rows per work-item */
    int n_seg = (OW + SW - 1) / SW, n_rows = (OH + R - 1) / R, n_kb = (K + DIRECT_RB - 1) / DIRECT_RB;
    int seg = gid % n_seg, rest = gid / n_seg;
    int oy0 = rest % n_rows * R;
    rest /= n_rows;
    int k0 = rest % n_kb * DIRECT_RB, img = rest / n_kb;
    int ox0 = seg * SW, ckk = C * ks * ks, last = K - 1;
    /* channels past K read channel K - 1's weights (never stored): one code path */
    __global const float *w0 = weight + min(k0, last) * ckk, *w1 = weight + min(k0 + 1, last) * ckk;
    __global const float *w2 = weight + min(k0 + 2, last) * ckk, *w3 = weight + min(k0 + 3, last) * ckk;
    __global const float *w4 = weight + min(k0 + 4, last) * ckk, *w5 = weight + min(k0 + 5, last) * ckk;
    __global const float *w6 = weight + min(k0 + 6, last) * ckk, *w7 = weight + min(k0 + 7, last) * ckk;
    /* the padded input under output pixel (oy0, ox0); lane l reads off[l] further */
    __global const float *base = inp + (img * C * Hp + oy0 * stride) * Wp + ox0 * stride;
    int off[16];
    for (int l = 0; l < 16; l++) off[l] = (l / SW) * stride * Wp + (l % SW) * stride;
    int fast = stride == 1 && (SW == 16 || SW == 8);
    float16 c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f, c4 = 0.0f, c5 = 0.0f, c6 = 0.0f, c7 = 0.0f;
    for (int c = 0; c < C; c++) {
        for (int ky = 0; ky < ks; ky++) {
            __global const float *src = base + (c * Hp + ky) * Wp;
            int wo = (c * ks + ky) * ks;
            for (int kx = 0; kx < ks; kx++) {
                float16 x;
                if (fast && SW == 16) {
                    x = vload16(0, src + kx);
                } else if (fast) {
                    x = (float16)(vload8(0, src + kx), vload8(0, src + Wp + kx));
                } else { /* other strides and widths: a gather */
                    float g[16];
                    for (int l = 0; l < 16; l++) g[l] = src[off[l] + kx];
                    x = vload16(0, g);
                }
                int o = wo + kx;
                c0 = fma((float16)(w0[o]), x, c0);
                c1 = fma((float16)(w1[o]), x, c1);
                c2 = fma((float16)(w2[o]), x, c2);
                c3 = fma((float16)(w3[o]), x, c3);
                c4 = fma((float16)(w4[o]), x, c4);
                c5 = fma((float16)(w5[o]), x, c5);
                c6 = fma((float16)(w6[o]), x, c6);
                c7 = fma((float16)(w7[o]), x, c7);
            }
        }
    }
    float16 acc[DIRECT_RB] = {c0, c1, c2, c3, c4, c5, c6, c7};
    int rows = K - k0 < DIRECT_RB ? K - k0 : DIRECT_RB;
    /* 16 pixels adjacent in memory: whole rows, or one segment of a wide row */
    int contiguous = (R == 1 && ox0 + 16 <= OW) || (SW == OW && oy0 + R <= OH);
    for (int r = 0; r < rows; r++) {
        float16 v = acc[r] + (float16)(bias[k0 + r]);
        __global float *dst = out + ((img * K + k0 + r) * OH + oy0) * OW + ox0;
        if (contiguous) {
            vstore16(v, 0, dst);
            continue;
        }
        float t[16];
        vstore16(v, 0, t);
        for (int l = 0; l < 16; l++) {
            int dy = l / SW, dx = l % SW;
            if (oy0 + dy < OH && ox0 + dx < OW) dst[dy * OW + dx] = t[l];
        }
    }
}
