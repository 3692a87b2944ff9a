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

/* im2col for gemm_packed_nchw: the same patches packed as [j / 16][R][16] (R = C*k*k,
 * columns rounded up to 16 with zeros), a work-item per (panel, block of 16 rows): the 16
 * columns' pixels are found once and 256 contiguous values written. n = panels * ceil(R / 16),
 * rows fastest. */
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
