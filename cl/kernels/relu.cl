/* ReLU and its backward pass; the mask comes from the forward output, as in PyTorch. */
__kernel void relu_forward(__global const float *in, __global float *out, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    float v = in[i];
    out[i] = v > 0.0f ? v : 0.0f;
}

__kernel void relu_backward(__global const float *out, __global const float *dout,
                            __global float *din, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}
