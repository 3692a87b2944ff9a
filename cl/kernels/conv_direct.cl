/* Direct convolution forward (cross-correlation, square kernel, NCHW, zero padding), without
 * im2col: out[b, K, OH, OW] = conv(in [b, C, H, W], weight [K, C, ks, ks]) + bias [K].
 * Written for CPUs under PoCL, which compiles a work-item as scalar code unless it holds
 * explicit vectors: a work-item keeps 16 output channels x 16 output pixels in float16
 * accumulators (16 of the 32 vector registers of AVX-512). The 16 pixels are SW consecutive
 * columns of 16 / SW consecutive output rows (SW = 16, or less when the output is narrower, so
 * 8x8 planes do not leave lanes idle). The input is first copied with its zero padding made
 * real (conv_direct_pad), so the inner loop has no bounds checks; the weights are first
 * repacked (conv_direct_pack) so the 16 channels' weights of one (c, ky, kx) are adjacent and
 * each multiply-add takes its weight as a broadcast memory operand from one pointer.
 * The common geometries (3x3, 1x1 and 7x7; stride 1 and 2; SW 16 and 8) have kernels of their
 * own where they are compile-time constants, so the loops over kx and the channels unroll
 * into straight runs of fmas: on PoCL, resnet18's stride-1 3x3 convolutions took 1.23 s for
 * 128 images where the previous kernel (8 channels a work-item, geometry at run time) took
 * 1.62 s (`clcam run --profile`; bench/RESULTS.md, build/conv_direct_bench for the rates).
 * conv_direct_forward is the same body with everything at run time.
 * Each sum runs over (c, ky, kx) in order with one fma a step, as the im2col GEMM's does,
 * then adds the bias: the same result on every run and from every kernel here. With relu
 * the stores are ReLU'd as relu_forward would (NaN and -0 to +0), for a ReLU that model.c
 * skipped: the output is then not written and read back once more. Work-items
 * past the output and channels past K compute nothing they store; any work-group size is
 * correct. */
#pragma OPENCL FP_CONTRACT OFF

#define DIRECT_RB 16 /* output channels per work-item */

/* inp [b, C, Hp, Wp] = in [b, C, H, W] moved by (pad, pad), zero around; a work-item per
 * padded row, its values moved 16 at a time (a loop with a bounds check per value made this
 * copy 20% of the CIFAR ResNet's device time). Hp and Wp cover every row and column a
 * work-item reads, tails included. */
__kernel void conv_direct_pad(__global const float *in, __global float *inp, int H, int W,
                              int pad, int Hp, int Wp, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int y = gid % Hp - pad, plane = gid / Hp;
    __global float *dst = inp + gid * Wp;
    __global const float *src = in + (plane * H + y) * W;
    int x = 0, end = y >= 0 && y < H ? pad : Wp; /* zeros before the row's values */
    for (; x < end; x++) dst[x] = 0.0f;
    if (end == Wp) return;
    for (; x + 16 <= pad + W; x += 16) vstore16(vload16(0, src + x - pad), 0, dst + x);
    for (; x < pad + W; x++) dst[x] = src[x - pad];
    for (; x < Wp; x++) dst[x] = 0.0f;
}

/* wp [K / 16 rounded up, ckk, 16] from weight [K, ckk]; channels past K get 0 (computed,
 * never stored). A work-item per packed value. */
__kernel void conv_direct_pack(__global const float *weight, __global float *wp, int K, int ckk,
                               int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int r = gid % DIRECT_RB, rest = gid / DIRECT_RB, o = rest % ckk;
    int k = rest / ckk * DIRECT_RB + r;
    wp[gid] = k < K ? weight[k * ckk + o] : 0.0f;
}

/* The 16 input values under lanes of output pixels for kernel column kx, src pointing at the
 * padded input under the block's first pixel and row ky. */
static inline float16 direct_load(__global const float *src, int kx, int Wp, const int stride,
                                  const int sw)
{
    if (stride == 1 && sw == 16) return vload16(0, src + kx);
    if (stride == 1 && sw == 8) return (float16)(vload8(0, src + kx), vload8(0, src + Wp + kx));
    if (stride == 2 && sw == 16) {
        float16 a = vload16(0, src + kx), b = vload16(1, src + kx);
        return (float16)(a.even, b.even);
    }
    if (stride == 2 && sw == 8) {
        float16 a = vload16(0, src + kx), b = vload16(0, src + 2 * Wp + kx);
        return (float16)(a.even, b.even);
    }
    float g[16]; /* other strides and widths: a gather */
    for (int l = 0; l < 16; l++) g[l] = src[(l / sw) * stride * Wp + (l % sw) * stride + kx];
    return vload16(0, g);
}

/* One work-item's 16 channels x 16 pixels; ks, stride and sw are literals in the specialised
 * kernels below, so this inlines into code without their branches. */
static inline void direct_block(__global const float *inp, __global const float *wp,
                                __global const float *bias, __global float *out, int C, int Hp,
                                int Wp, int K, const int ks, const int stride, int OH, int OW,
                                const int sw, int relu, int gid)
{
    const int R = 16 / sw; /* output rows per work-item */
    int n_seg = (OW + sw - 1) / sw, n_rows = (OH + R - 1) / R, n_kb = (K + DIRECT_RB - 1) / DIRECT_RB;
    int seg = gid % n_seg, rest = gid / n_seg;
    int oy0 = rest % n_rows * R;
    rest /= n_rows;
    int kb = rest % n_kb, img = rest / n_kb;
    int k0 = kb * DIRECT_RB, ox0 = seg * sw;
    __global const float *w = wp + (size_t)kb * C * ks * ks * DIRECT_RB;
    /* the padded input under output pixel (oy0, ox0) */
    __global const float *base = inp + (img * C * Hp + oy0 * stride) * Wp + ox0 * stride;
    float16 acc[DIRECT_RB];
#pragma unroll
    for (int r = 0; r < DIRECT_RB; r++) acc[r] = 0.0f;
    for (int c = 0; c < C; c++) {
        for (int ky = 0; ky < ks; ky++) {
            __global const float *src = base + (c * Hp + ky) * Wp;
            for (int kx = 0; kx < ks; kx++) {
                float16 x = direct_load(src, kx, Wp, stride, sw);
#pragma unroll
                for (int r = 0; r < DIRECT_RB; r++) acc[r] = fma((float16)(w[r]), x, acc[r]);
                w += DIRECT_RB;
            }
        }
    }
    int rows = K - k0 < DIRECT_RB ? K - k0 : DIRECT_RB;
    /* 16 pixels adjacent in memory: whole rows, or one segment of a wide row */
    int contiguous = (R == 1 && ox0 + 16 <= OW) || (sw == OW && oy0 + R <= OH);
    for (int r = 0; r < rows; r++) {
        float16 v = acc[r] + (float16)(bias[k0 + r]);
        if (relu) v = select((float16)(0.0f), v, v > 0.0f);
        __global float *dst = out + ((img * K + k0 + r) * OH + oy0) * OW + ox0;
        if (contiguous) {
            vstore16(v, 0, dst);
            continue;
        }
        float t[16];
        vstore16(v, 0, t);
        for (int l = 0; l < 16; l++) {
            int dy = l / sw, dx = l % sw;
            if (oy0 + dy < OH && ox0 + dx < OW) dst[dy * OW + dx] = t[l];
        }
    }
}

/* Any geometry: ks, stride and sw at run time. */
__kernel void conv_direct_forward(__global const float *inp, __global const float *wp,
                                  __global const float *bias, __global float *out, int C,
                                  int Hp, int Wp, int K, int ks, int stride, int OH, int OW,
                                  int sw, int relu, int n)
{
    int gid = get_global_id(0);
    if (gid < n) direct_block(inp, wp, bias, out, C, Hp, Wp, K, ks, stride, OH, OW, sw, relu, gid);
}

/* conv_direct_k<ks>s<stride>w<sw>: the same with those three fixed (cl/conv.c picks one). */
#define DIRECT_ARGS                                                                           \
    __global const float *inp, __global const float *wp, __global const float *bias,        \
        __global float *out, int C, int Hp, int Wp, int K, int OH, int OW, int relu, int n
#define DIRECT_BODY(KS, STRIDE, SW)                                                           \
    int gid = get_global_id(0);                                                               \
    if (gid < n) direct_block(inp, wp, bias, out, C, Hp, Wp, K, KS, STRIDE, OH, OW, SW, relu, gid);
__kernel void conv_direct_k3s1w16(DIRECT_ARGS) { DIRECT_BODY(3, 1, 16) }
__kernel void conv_direct_k3s1w8(DIRECT_ARGS) { DIRECT_BODY(3, 1, 8) }
__kernel void conv_direct_k3s2w16(DIRECT_ARGS) { DIRECT_BODY(3, 2, 16) }
__kernel void conv_direct_k3s2w8(DIRECT_ARGS) { DIRECT_BODY(3, 2, 8) }
__kernel void conv_direct_k1s1w16(DIRECT_ARGS) { DIRECT_BODY(1, 1, 16) }
__kernel void conv_direct_k1s1w8(DIRECT_ARGS) { DIRECT_BODY(1, 1, 8) }
__kernel void conv_direct_k1s2w16(DIRECT_ARGS) { DIRECT_BODY(1, 2, 16) }
__kernel void conv_direct_k1s2w8(DIRECT_ARGS) { DIRECT_BODY(1, 2, 8) }
__kernel void conv_direct_k7s2w16(DIRECT_ARGS) { DIRECT_BODY(7, 2, 16) }
