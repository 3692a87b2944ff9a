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
