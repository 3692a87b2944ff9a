/* clip: out = min(max(x, lo), hi) (ReLU6 is lo 0, hi 6; an absent bound is -inf or +inf);
 * NaN stays NaN, as torch.clamp. The backward pass follows torch.nn.Hardtanh (ReLU6): the
 * gradient passes where lo < x < hi, read from the output as relu_backward does (for a
 * number x, lo < out < hi exactly when lo < x < hi). */
__kernel void clip_forward(__global const float *in, __global float *out, float lo, float hi,
                           int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    float v = in[i];
    out[i] = v < lo ? lo : v > hi ? hi : v;
}

__kernel void clip_backward(__global const float *out, __global const float *dout,
                            __global float *din, float lo, float hi, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    float v = out[i];
    din[i] = v > lo && v < hi ? dout[i] : 0.0f;
}
