/* Direct convolution forward (cross-correlation, square kernel, NCHW, zero padding), without
 * im2col: out[b, K, OH, OW] = conv(in [b, C, H, W], weight [K, C, ks, ks]) + bias [K].
 * Written for CPUs under PoCL, which compiles a work-item as scalar code unless it holds
 * explicit vectors: a work-item keeps 8 output channels x 2 vectors of 16 output pixels in
 * float16 accumulators (16 of the 32 vector registers of AVX-512), so each weight it loads
 * feeds two multiply-adds: against 16 channels x one vector (a broadcast load per fma),
 * resnet18's 3x3 convolutions ran 20-35% faster (build/conv_direct_bench: 283-348 ->
 * 375-405 GFLOP/s; 24 accumulators spilled and ran at half the rate). A vector's 16 pixels
 * are SW consecutive columns of 16 / SW consecutive output rows (SW = 16, or less when the
 * output is narrower, so 8x8 planes do not leave lanes idle); the second vector lies just
 * below the first. The input is first copied with its zero padding made real
 * (conv_direct_pad), so the inner loop has no bounds checks; the weights are first repacked
 * (conv_direct_pack) so the 8 channels' weights of one (c, ky, kx) are adjacent.
 * The common geometries (3x3, 1x1 and 7x7; stride 1 and 2; SW 16 and 8) have kernels of their
 * own where they are compile-time constants, so the loops over kx and the channels unroll
 * into straight runs of fmas (bench/RESULTS.md has the history of these rates).
 * conv_direct_forward is the same body with everything at run time.
 * Each sum runs over (c, ky, kx) in order with one fma a step, as the im2col GEMM's does,
 * then adds the bias: the same result on every run and from every kernel here. With relu
 * the stores are ReLU'd as relu_forward would (NaN and -0 to +0), for a ReLU that model.c
 * skipped: the output is then not written and read back once more. Work-items
 * past the output and channels past K compute nothing they store; any work-group size is
 * correct. */
#pragma OPENCL FP_CONTRACT OFF

#define DIRECT_RB 8 /* output channels per work-item */
#define DIRECT_NV 2 /* vectors of 16 output pixels per work-item */

/* inp [planes, Hp, Wp] = in's planes plane0.. [H, W] moved by (pad, pad), zero around; a
 * work-item per padded row, its values moved 16 at a time (a loop with a bounds check per
 * value made this copy 20% of the CIFAR ResNet's device time). Hp and Wp cover every row and
 * column a work-item reads, tails included. */
__kernel void conv_direct_pad(__global const float *in, __global float *inp, int H, int W,
                              int pad, int Hp, int Wp, int plane0, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int y = gid % Hp - pad, plane = plane0 + gid / Hp;
    __global float *dst = inp + (size_t)gid * Wp;
    __global const float *src = in + ((size_t)plane * H + y) * W;
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

/* Stores one vector of 16 pixels (16 / sw rows of sw from output pixel (oy, ox), dst
 * pointing there), plus the same pixels of res where has_res (a residual add done here: the
 * add's own sum, conv + other input), then ReLU'd where asked as relu_forward would (NaN and
 * -0 to +0); whole where the pixels are adjacent in memory and inside the output, else lane
 * by lane. */
static inline void direct_store(float16 v, __global float *dst, __global const float *res,
                                int has_res, int oy, int ox, int OH, int OW, const int sw,
                                int relu)
{
    const int R = 16 / sw;
    if (oy + R <= OH && ((R == 1 && ox + 16 <= OW) || sw == OW)) {
        if (has_res) v += vload16(0, res);
        if (relu) v = select((float16)(0.0f), v, v > 0.0f);
        vstore16(v, 0, dst);
        return;
    }
    float t[16];
    vstore16(v, 0, t);
    for (int l = 0; l < 16; l++) {
        int dy = l / sw, dx = l % sw, at = dy * OW + dx;
        if (oy + dy >= OH || ox + dx >= OW) continue;
        float x = has_res ? t[l] + res[at] : t[l];
        dst[at] = relu ? (x > 0.0f ? x : 0.0f) : x;
    }
}

/* acc0, acc1 += the 8 channels' weights at w times the two vectors of input pixels. */
static inline void direct_step(float16 *acc0, float16 *acc1, __global const float *w, float16 x0,
                               float16 x1)
{
#pragma unroll
    for (int r = 0; r < DIRECT_RB; r++) {
        float16 wr = (float16)(w[r]);
        acc0[r] = fma(wr, x0, acc0[r]);
        acc1[r] = fma(wr, x1, acc1[r]);
    }
}

/* One work-item's 8 channels x 2 x 16 pixels; ks, stride and sw are literals in the
 * specialised kernels below (ks_fixed 1), so this inlines into code without their branches. Work-items
 * run in groups of kbg channel blocks over every pixel block of an image, the blocks of a
 * group adjacent: the group's repacked weights stay in cache while the input under one pixel
 * block is read once for all of them. */
/* always_inline: a body compiled on its own, ks unknown, would warn that its kx loop could
 * not be unrolled (PoCL prints that to the user's terminal on the first build). */
static inline __attribute__((always_inline)) void
direct_block(__global const float *inp, __global const float *wp, __global const float *bias,
             __global float *out, int C, int Hp, int Wp, int K, const int ks, const int stride,
             int OH, int OW, const int sw, __global const float *res, int has_res, int relu,
             int kbg, const int ks_fixed, int gid)
{
    const int R = 16 / sw, RW = DIRECT_NV * R; /* output rows per vector, per work-item */
    int n_seg = (OW + sw - 1) / sw, n_rows = (OH + RW - 1) / RW, n_kb = (K + DIRECT_RB - 1) / DIRECT_RB;
    int n_pix = n_seg * n_rows, img = gid / (n_kb * n_pix), in_img = gid % (n_kb * n_pix);
    int g0 = in_img / (kbg * n_pix) * kbg;
    int gn = n_kb - g0 < kbg ? n_kb - g0 : kbg, in_group = in_img - g0 * n_pix;
    int kb = g0 + in_group % gn, pix = in_group / gn;
    int seg = pix % n_seg, oy0 = pix / n_seg * RW;
    int k0 = kb * DIRECT_RB, ox0 = seg * sw;
    __global const float *w = wp + (size_t)kb * C * ks * ks * DIRECT_RB;
    /* the padded input under output pixel (oy0, ox0); the second vector R rows below */
    __global const float *base = inp + (img * C * Hp + oy0 * stride) * Wp + ox0 * stride;
    const int below = R * stride * Wp;
    float16 acc0[DIRECT_RB], acc1[DIRECT_RB];
    for (int r = 0; r < DIRECT_RB; r++) acc0[r] = acc1[r] = 0.0f;
    for (int c = 0; c < C; c++) {
        for (int ky = 0; ky < ks; ky++) {
            __global const float *src = base + (c * Hp + ky) * Wp;
            if (ks <= 3 && ks_fixed) { /* unrolled: 3x3's ran 7% faster, 7x7's twice as slow */
#pragma unroll
                for (int kx = 0; kx < ks; kx++) {
                    direct_step(acc0, acc1, w, direct_load(src, kx, Wp, stride, sw),
                                direct_load(src + below, kx, Wp, stride, sw));
                    w += DIRECT_RB;
                }
            } else {
                for (int kx = 0; kx < ks; kx++) {
                    direct_step(acc0, acc1, w, direct_load(src, kx, Wp, stride, sw),
                                direct_load(src + below, kx, Wp, stride, sw));
                    w += DIRECT_RB;
                }
            }
        }
    }
    int rows = K - k0 < DIRECT_RB ? K - k0 : DIRECT_RB;
    for (int r = 0; r < rows; r++) {
        float16 b = (float16)(bias[k0 + r]);
        int at0 = ((img * K + k0 + r) * OH + oy0) * OW + ox0, at1 = at0 + R * OW;
        direct_store(acc0[r] + b, out + at0, res + at0, has_res, oy0, ox0, OH, OW, sw, relu);
        direct_store(acc1[r] + b, out + at1, res + at1, has_res, oy0 + R, ox0, OH, OW, sw, relu);
    }
}

/* Any geometry: ks, stride and sw at run time. */
__kernel void conv_direct_forward(__global const float *inp, __global const float *wp,
                                  __global const float *bias, __global float *out, int C,
                                  int Hp, int Wp, int K, int ks, int stride, int OH, int OW,
                                  int sw, __global const float *res, int has_res, int relu,
                                  int kbg, int n)
{
    int gid = get_global_id(0);
    if (gid < n)
        direct_block(inp, wp, bias, out, C, Hp, Wp, K, ks, stride, OH, OW, sw, res, has_res, relu,
                     kbg, 0, gid);
}

/* conv_direct_k<ks>s<stride>w<sw>: the same with those three fixed (cl/conv.c picks one). */
#define DIRECT_ARGS                                                                           \
    __global const float *inp, __global const float *wp, __global const float *bias,        \
        __global float *out, int C, int Hp, int Wp, int K, int OH, int OW,                      \
        __global const float *res, int has_res, int relu, int kbg, int n
#define DIRECT_BODY(KS, STRIDE, SW)                                                           \
    int gid = get_global_id(0);                                                               \
    if (gid < n)                                                                              \
        direct_block(inp, wp, bias, out, C, Hp, Wp, K, KS, STRIDE, OH, OW, SW, res, has_res, relu, \
                     kbg, 1, gid);
__kernel void conv_direct_k3s1w16(DIRECT_ARGS) { DIRECT_BODY(3, 1, 16) }
__kernel void conv_direct_k3s1w8(DIRECT_ARGS) { DIRECT_BODY(3, 1, 8) }
__kernel void conv_direct_k3s2w16(DIRECT_ARGS) { DIRECT_BODY(3, 2, 16) }
__kernel void conv_direct_k3s2w8(DIRECT_ARGS) { DIRECT_BODY(3, 2, 8) }
__kernel void conv_direct_k1s1w16(DIRECT_ARGS) { DIRECT_BODY(1, 1, 16) }
__kernel void conv_direct_k1s1w8(DIRECT_ARGS) { DIRECT_BODY(1, 1, 8) }
__kernel void conv_direct_k1s2w16(DIRECT_ARGS) { DIRECT_BODY(1, 2, 16) }
__kernel void conv_direct_k1s2w8(DIRECT_ARGS) { DIRECT_BODY(1, 2, 8) }
__kernel void conv_direct_k7s2w16(DIRECT_ARGS) { DIRECT_BODY(7, 2, 16) }
