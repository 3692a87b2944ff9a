/* acc += x, one element each: the add layer's sum (its inputs in order, left to right) and the
 * summing of gradients where a tensor feeds several layers. */
__kernel void add_inplace(__global float *acc, __global const float *x, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    acc[i] += x[i];
}

/* out = a + b (the add layer's first two inputs: one pass where a copy and add_inplace took
 * two), ReLU'd as relu_forward would with relu. */
__kernel void add_pair(__global const float *a, __global const float *b, __global float *out,
                       int relu, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    float v = a[i] + b[i];
    out[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
}

/* acc += x, then ReLU'd as relu_forward would with relu. */
__kernel void add_inplace_relu(__global float *acc, __global const float *x, int relu, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    float v = acc[i] + x[i];
    acc[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
}
