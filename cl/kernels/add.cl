/* acc += x, one element each: the add layer's sum (its inputs in order, left to right) and the
 * summing of gradients where a tensor feeds several layers. */
__kernel void add_inplace(__global float *acc, __global const float *x, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    acc[i] += x[i];
}
