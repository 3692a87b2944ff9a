/* The backward pass of an eval-mode batchnorm that stands on its own (not folded into a
 * conv): y = (x - mean) * invstd * gamma + beta with fixed statistics, so dx = dy * invstd *
 * gamma. The forward pass is bn_running then bn_forward (batchnorm_train.cl). One work-item
 * per (image, channel) row. */
__kernel void bn_eval_backward_data(__global const float *dy, __global float *dx,
                                    __global const float *invstd, __global const float *gamma,
                                    int C, int HW, int rows)
{
    int r = get_global_id(0);
    if (r >= rows) return;
    int c = r % C;
    float a = invstd[c] * gamma[c];
    __global const float *dr = dy + (size_t)r * HW;
    __global float *xr = dx + (size_t)r * HW;
    for (int p = 0; p < HW; p++) xr[p] = dr[p] * a;
}
