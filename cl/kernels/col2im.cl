/* Backward-data of a convolution as GEMM: conv_unpermute moves dY from NCHW [batch, K, OHW] to
 * [K, batch*OHW] (the inverse of conv_permute_bias), one GEMM with the transposed weights gives
 * the column gradients [C*k*k, batch*OH*OW], and col2im_batch gathers them back into NCHW: each
 * input element sums, in a fixed order, the column entries its value was copied to by
 * im2col_batch. No atomics, so results are repeatable. One work-item per element. */
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

__kernel void col2im_batch(__global const float *col, __global float *din, int C, int H, int W,
                           int k, int pad, int stride, int OH, int OW, int batch, int n)
{
    int i = get_global_id(0); /* index into din [batch, C, H, W] */
    if (i >= n) return;
    int x = i % W, y = (i / W) % H, c = (i / (H * W)) % C, img = i / (C * H * W);
    int cols = batch * OH * OW;
    float sum = 0.0f;
    for (int ky = 0; ky < k; ky++) {
        int ty = y + pad - ky; /* = oy * stride */
        if (ty < 0 || ty % stride != 0 || ty / stride >= OH) continue;
        int oy = ty / stride;
        for (int kx = 0; kx < k; kx++) {
            int tx = x + pad - kx;
            if (tx < 0 || tx % stride != 0 || tx / stride >= OW) continue;
            int ox = tx / stride;
            int row = (c * k + ky) * k + kx;
            sum += col[row * cols + img * OH * OW + oy * OW + ox];
        }
    }
    din[i] = sum;
}
