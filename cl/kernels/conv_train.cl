/* Training convolutions through gemm_packed_nchw (see gemm.cl): the operands' packing
 * kernels, and col2im and the weight transpose for backward-data. Each work-item moves 16 or
 * more values and does its index divisions once; every sum runs in a fixed order (no atomics),
 * so results are repeatable. */
#pragma OPENCL FP_CONTRACT OFF

/* dout NCHW [batch, K, HW] as columns j = img * HW + p of a [K, batch*HW] matrix, 16 columns a
 * work-item, written either packed for gemm_packed_nchw's B ([panels][K][16], zero-padded;
 * packed = 1, work-item i = panel * K + k) or row-major for its A ([K, cols]; packed = 0,
 * i = k * panels + panel). n = K * panels. */
__kernel void nchw_rows16(__global const float *src, __global float *dst, int K, int HW,
                          int batch, int packed, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int cols = batch * HW, panels = (cols + 15) / 16;
    int k = packed ? i % K : i / panels, panel = packed ? i / K : i % panels;
    int j0 = panel * 16, img = j0 / HW, p = j0 % HW;
    float16 v;
    if (p + 16 <= HW) {
        v = vload16(0, src + (img * K + k) * HW + p);
    } else {
        float t[16];
        for (int l = 0; l < 16; l++) {
            t[l] = j0 + l < cols ? src[(img * K + k) * HW + p] : 0.0f;
            if (++p == HW) p = 0, img++;
        }
        v = vload16(0, t);
    }
    if (packed) {
        vstore16(v, i, dst);
    } else if (j0 + 16 <= cols) {
        vstore16(v, 0, dst + k * cols + j0);
    } else {
        float t[16];
        vstore16(v, 0, t);
        for (int l = 0; j0 + l < cols; l++) dst[k * cols + j0 + l] = t[l];
    }
}

/* The im2col matrix transposed and packed as gemm_packed_nchw's B for the weight gradient:
 * B[j, r] = patch value r = (c, ky, kx) of column j = img * OH*OW + oy * OW + ox, stored at
 * [r / 16][j][r % 16] with r zero-padded to a multiple of 16. Work-item per (r panel, img,
 * oy), i in that order with oy fastest: OW runs of 16 contiguous values. n = panels*batch*OH. */
__kernel void im2col_tpacked(__global const float *in, __global float *dst, int C, int H, int W,
                             int k, int pad, int stride, int OH, int OW, int batch, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int R = C * k * k, oy = i % OH, img = (i / OH) % batch, rp = i / (OH * batch);
    int off[16], ky[16], kx[16];
    int c = rp * 16 / (k * k), y = (rp * 16 / k) % k, x = rp * 16 % k;
    for (int l = 0; l < 16; l++) {
        off[l] = rp * 16 + l < R ? (img * C + c) * H * W : -1;
        ky[l] = oy * stride + y - pad;
        kx[l] = x - pad;
        if (++x == k) {
            x = 0;
            if (++y == k) y = 0, c++;
        }
    }
    __global float *out = dst + ((rp * batch + img) * OH + oy) * OW * 16;
    for (int ox = 0; ox < OW; ox++) {
        float v[16];
        for (int l = 0; l < 16; l++) {
            int yy = ky[l], xx = ox * stride + kx[l];
            v[l] = off[l] >= 0 && yy >= 0 && yy < H && xx >= 0 && xx < W ? in[off[l] + yy * W + xx] : 0.0f;
        }
        vstore16(vload16(0, v), ox, out);
    }
}

/* dst [cols, rows] = src [rows, cols]^T: the weights [K, C*k*k] as A = W^T for
 * backward-data. One work-item per element (the weights are small). */
__kernel void transpose_rows(__global const float *src, __global float *dst, int rows, int cols,
                             int n)
{
    int i = get_global_id(0); /* index into dst */
    if (i >= n) return;
    dst[i] = src[(i % rows) * cols + i / rows];
}
