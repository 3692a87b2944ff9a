/* Convolution as GEMM: im2col lays the whole batch's patches out as a [C*k*k, batch*OH*OW]
 * matrix, so one GEMM with the [K, C*k*k] weights gives [K, batch*OH*OW]; then
 * conv_permute_bias moves that to NCHW and adds the bias. One work-item per element. */
__kernel void im2col_batch(__global const float *in, int in_offset, __global float *col, int C,
                           int H, int W, int k, int pad, int stride, int OH, int OW, int batch,
                           int n)
{
    in += in_offset; /* first image of this slice of the batch */
    int i = get_global_id(0);
    if (i >= n) return;
    int cols = batch * OH * OW;
    int row = i / cols, j = i % cols;
    int img = j / (OH * OW), p = j % (OH * OW);
    int c = row / (k * k), kk = row % (k * k);
    int y = (p / OW) * stride + kk / k - pad, x = (p % OW) * stride + kk % k - pad;
    col[i] = (y >= 0 && y < H && x >= 0 && x < W) ? in[((img * C + c) * H + y) * W + x] : 0.0f;
}

__kernel void conv_permute_bias(__global const float *tmp, __global const float *bias,
                                __global float *out, int out_offset, int K, int HW, int batch,
                                int n)
{
    out += out_offset;
    int i = get_global_id(0); /* index into out [batch, K, HW] */
    if (i >= n) return;
    int p = i % HW, kk = (i / HW) % K, img = i / (HW * K);
    out[i] = tmp[kk * batch * HW + img * HW + p] + bias[kk];
}

/* The same patches packed for gemm_packed_nchw: col[(j / 16) * R * 16 + row * 16 + j % 16]
 * for R = C*k*k rows and columns j of batch*OH*OW, rounded up to 16 with zeros. One
 * work-item per (panel, row) = 16 values, row fastest so the stores run in order. The 16
 * columns are taken in runs along one output row (one input row, one bounds check on y);
 * pixels advance by counting, not dividing (n = R * panels). */
__kernel void im2col_packed(__global const float *in, int in_offset, __global float *col, int C,
                            int H, int W, int k, int pad, int stride, int OH, int OW, int batch,
                            int n)
{
    in += in_offset;
    int i = get_global_id(0);
    if (i >= n) return;
    int R = C * k * k, cols = batch * OH * OW;
    int row = i % R, j = (i / R) * 16;
    int c = row / (k * k), ky = (row / k) % k, kx = row % k;
    int img = j / (OH * OW), p = j % (OH * OW), oy = p / OW, ox = p % OW;
    float v[16];
    int l = 0;
    while (l < 16) {
        int run = min(16 - l, OW - ox);
        run = max(0, min(run, cols - (j + l)));
        if (run == 0) break;
        int y = oy * stride + ky - pad, x0 = ox * stride + kx - pad;
        __global const float *src = in + ((img * C + c) * H + y) * W;
        if (y >= 0 && y < H) {
            for (int t = 0; t < run; t++) {
                int x = x0 + t * stride;
                v[l + t] = x >= 0 && x < W ? src[x] : 0.0f;
            }
        } else {
            for (int t = 0; t < run; t++) v[l + t] = 0.0f;
        }
        l += run;
        ox += run;
        if (ox == OW) {
            ox = 0;
            if (++oy == OH) oy = 0, img++;
        }
    }
    for (; l < 16; l++) v[l] = 0.0f;
    vstore16(vload16(0, v), i, col);
}
