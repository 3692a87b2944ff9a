/* Channel concatenation of NCHW tensors: each image's part of one input is a contiguous
 * block of `chunk` floats (its channels x H x W) at `offset` in the output image of `total`. */
__kernel void concat_copy(__global const float *in, __global float *out, int batch, int chunk,
                          int total, int offset)
{
    int i = get_global_id(0);
    if (i >= batch * chunk) return;
    int b = i / chunk;
    out[b * total + offset + (i - b * chunk)] = in[i];
}

/* The backward pass: the input's gradient is its slice of the output's. */
__kernel void concat_slice(__global const float *out, __global float *in, int batch, int chunk,
                           int total, int offset)
{
    int i = get_global_id(0);
    if (i >= batch * chunk) return;
    int b = i / chunk;
    in[i] = out[b * total + offset + (i - b * chunk)];
}
