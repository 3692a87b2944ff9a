/* x[n, c, p] += bias[c] for an NCHW tensor (a linear layer's output is NC11). */
__kernel void bias_add_nchw(__global float *x, __global const float *bias, int C, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    x[i] += bias[(i / HW) % C];
}
