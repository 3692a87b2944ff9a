/* Backward-data of a convolution as GEMM: conv_unpermute moves dY from NCHW [batch, K, OHW] to
 * [K, batch*OHW] (the inverse of conv_permute_bias), one GEMM with the transposed weights gives
 * the column gradients [C*k*k, batch*OH*OW], and col2im_rows gathers them back into NCHW: each
 * input element sums, in a fixed order, the column entries its value was copied to by
 * im2col_batch. No atomics, so results are repeatable. */
__kernel void conv_unpermute(__global const float *dout, __global float *tmp, int K, int HW,
                             int batch, int n)
{
    int i = get_global_id(0); /* index into tmp [K, batch*HW] */
    if (i >= n) return;
    int cols = batch * HW;
    int kk = i / cols, j = i % cols;
    int img = j / HW, p = j % HW;
    tmp[i] = dout[(img * K + kk) * HW + p];
}

/* One work-item per input row (img, c, y), the divisions per row, not per element.
 * n = batch*C*H. */
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
