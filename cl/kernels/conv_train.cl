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

/* col2im_batch's gather (the same sums in the same order, so the same bits), one work-item
 * per input row (img, c, y) with the divisions per row, not per element. n = batch*C*H. */
__kernel void col2im_rows(__global const float *col, __global float *din, int C, int H, int W,
                          int k, int pad, int stride, int OH, int OW, int batch, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int y = i % H, c = (i / H) % C, img = i / (H * C);
    int cols = batch * OH * OW;
    __global const float *base = col + img * OH * OW;
    if (stride == 1) { /* no divisions: oy = y + pad - ky, ox = x + pad - kx */
        for (int x = 0; x < W; x++) {
            float sum = 0.0f;
            for (int ky = 0; ky < k; ky++) {
                int oy = y + pad - ky;
                if (oy < 0 || oy >= OH) continue;
                __global const float *r = base + (c * k + ky) * k * cols + oy * OW + x + pad;
                for (int kx = 0; kx < k; kx++) {
                    int ox = x + pad - kx;
                    if (ox >= 0 && ox < OW) sum += r[kx * cols - kx];
                }
            }
            din[i * W + x] = sum;
        }
        return;
    }
    for (int x = 0; x < W; x++) {
        float sum = 0.0f;
        for (int ky = 0; ky < k; ky++) {
            int ty = y + pad - ky; /* = oy * stride */
            if (ty < 0 || ty % stride != 0 || ty / stride >= OH) continue;
            int oy = ty / stride;
            for (int kx = 0; kx < k; kx++) {
                int tx = x + pad - kx;
                if (tx < 0 || tx % stride != 0 || tx / stride >= OW) continue;
                int row = (c * k + ky) * k + kx;
                sum += base[row * cols + oy * OW + tx / stride];
            }
        }
        din[i * W + x] = sum;
    }
}

/* op_im2col_packed's layout ([j / 16][R][16], R = C*k*k) with a work-item per (panel, block of
 * 16 rows): the 16 columns' pixels are found once and 256 contiguous values written.
 * n = panels * ceil(R / 16), rows fastest. */
__kernel void im2col_packed16(__global const float *in, int in_offset, __global float *col, int C,
                              int H, int W, int k, int pad, int stride, int OH, int OW, int batch,
                              int n)
{
    in += in_offset;
    int i = get_global_id(0);
    if (i >= n) return;
    int R = C * k * k, RB = (R + 15) / 16, cols = batch * OH * OW;
    int rb = i % RB, j = (i / RB) * 16;
    int img = j / (OH * OW), p = j % (OH * OW), oy = p / OW, ox = p % OW;
    int base[16], ys[16], xs[16];
    for (int l = 0; l < 16; l++) {
        base[l] = j + l < cols ? img * C * H * W : -1;
        ys[l] = oy * stride - pad;
        xs[l] = ox * stride - pad;
        if (++ox == OW) {
            ox = 0;
            if (++oy == OH) oy = 0, img++;
        }
    }
    int r0 = rb * 16, c = r0 / (k * k), ky = (r0 / k) % k, kx = r0 % k;
    __global float *out = col + ((i / RB) * R + r0) * 16;
    for (int r = 0; r < 16 && r0 + r < R; r++) {
        float v[16];
        int off = c * H * W;
        for (int l = 0; l < 16; l++) {
            int y = ys[l] + ky, x = xs[l] + kx;
            v[l] = base[l] >= 0 && y >= 0 && y < H && x >= 0 && x < W ? in[base[l] + off + y * W + x] : 0.0f;
        }
        vstore16(vload16(0, v), r, out);
        if (++kx == k) {
            kx = 0;
            if (++ky == k) ky = 0, c++;
        }
    }
}
