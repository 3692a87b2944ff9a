/* x[n, c, p] += bias[c] for an NCHW tensor (a linear layer's output is NC11). */
__kernel void bias_add_nchw(__global float *x, __global const float *bias, int C, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    x[i] += bias[(i / HW) % C];
}

/* The bias gradient db[c] = sum over images n and positions p of dout[n, c, p] (NCHW; a linear
 * layer's is NC11). One work-group per channel: each item sums a strided share in a fixed order,
 * then a tree in local memory, so the result is the same run after run. */
__kernel void bias_grad_nchw(__global const float *dout, __global float *db, int C, int HW,
                             int batch, __local float *scratch)
{
    int c = get_group_id(0);
    int lid = get_local_id(0), L = get_local_size(0), m = batch * HW;
    float s = 0.0f;
    for (int j = lid; j < m; j += L) s += dout[((j / HW) * C + c) * HW + j % HW];
    scratch[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = L / 2; h > 0; h /= 2) {
        if (lid < h) scratch[lid] += scratch[lid + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) db[c] = scratch[0];
}
