/* Zero padding of each plane (top, left rows and columns before, the rest after) and its
 * backward pass, the crop of the gradient. One work-item per element of what is written. */
__kernel void pad_forward(__global const float *in, __global float *out, int H, int W, int OH,
                          int OW, int top, int left, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int x = i % OW - left, y = (i / OW) % OH - top, plane = i / (OH * OW);
    out[i] = x >= 0 && x < W && y >= 0 && y < H ? in[((size_t)plane * H + y) * W + x] : 0.0f;
}

__kernel void pad_backward(__global const float *dout, __global float *din, int H, int W,
                           int OH, int OW, int top, int left, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int x = i % W, y = (i / W) % H, plane = i / (H * W);
    din[i] = dout[((size_t)plane * OH + y + top) * OW + x + left];
}
