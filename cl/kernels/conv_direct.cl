/* Direct convolution forward (cross-correlation, square kernel, NCHW, zero padding), without
 * im2col: out[b, K, OH, OW] = conv(in [b, C, H, W], weight [K, C, ks, ks]) + bias [K].
 * Written for CPUs under PoCL, which compiles a work-item as scalar code unless it holds
 * explicit vectors: like gemm.cl, a work-item keeps 8 output channels x 16 output pixels in
 * float16 accumulators. The 16 pixels are SW consecutive columns of 16 / SW consecutive output
 * rows (SW = 16, or less when the output is narrower, so small planes do not leave lanes idle).
 * For each (c, ky) the input row spans those pixels need are copied once into a private array,
 * zero where the padding is, and every kx reads its 16 lanes from there. Each sum runs over
 * (c, ky, kx) in order with one fma a step, as the im2col GEMM's does, then adds the bias:
 * the same result on every run. Work-items past the output and channels past K compute
 * nothing they store; any work-group size is correct. */
#pragma OPENCL FP_CONTRACT OFF

#define DIRECT_RB 8    /* output channels per work-item */
#define DIRECT_SPAN 64 /* private floats for the input spans; wider ones read global memory */

__kernel void conv_direct_forward(__global const float *in, __global const float *weight,
                                  __global const float *bias, __global float *out, int C,
                                  int H, int W, int K, int ks, int pad, int stride, int OH,
                                  int OW, int SW, int n)
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
    __global const float *plane = in + img * C * H * W;
    int span = (SW - 1) * stride + ks; /* input columns one output row segment needs */
    int in_private = R * span <= DIRECT_SPAN;
    int ix0 = ox0 * stride - pad;
    float row[DIRECT_SPAN];
    float16 c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f, c4 = 0.0f, c5 = 0.0f, c6 = 0.0f, c7 = 0.0f;
    for (int c = 0; c < C; c++) {
        for (int ky = 0; ky < ks; ky++) {
            int any = 0, wo = (c * ks + ky) * ks;
            for (int r = 0; r < R; r++) {
                int iy = (oy0 + r) * stride - pad + ky;
                any |= oy0 + r < OH && iy >= 0 && iy < H;
            }
            if (!any) continue; /* all zero padding: the products would add nothing */
            if (in_private)
                for (int r = 0; r < R; r++) {
                    int iy = (oy0 + r) * stride - pad + ky;
                    int ok = iy >= 0 && iy < H;
                    __global const float *src = plane + (c * H + (ok ? iy : 0)) * W;
                    for (int i = 0; i < span; i++) {
                        int ix = ix0 + i;
                        row[r * span + i] = ok && ix >= 0 && ix < W ? src[ix] : 0.0f;
                    }
                }
            for (int kx = 0; kx < ks; kx++) {
                float16 x;
                if (in_private && stride == 1 && SW == 16) {
                    x = vload16(0, row + kx);
                } else if (in_private && stride == 1 && SW == 8) {
                    x = (float16)(vload8(0, row + kx), vload8(0, row + span + kx));
                } else { /* other strides and widths: a gather, from the spans or from memory */
                    float g[16];
                    for (int l = 0; l < 16; l++) {
                        int r = l / SW, j = l % SW;
                        if (in_private) {
                            g[l] = row[r * span + j * stride + kx];
                        } else {
                            int iy = (oy0 + r) * stride - pad + ky, ix = ix0 + j * stride + kx;
                            g[l] = iy >= 0 && iy < H && ix >= 0 && ix < W ? plane[(c * H + iy) * W + ix] : 0.0f;
                        }
                    }
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
