/* Batch normalisation in training mode (PyTorch's BatchNorm2d.train()), NCHW [batch, C, HW]:
 * statistics over m = batch*HW values per channel, the biased variance to normalise, the
 * unbiased one into running_var. Per-channel sums are one work-group per channel (a strided
 * share per item in a fixed order, then a tree in local memory: no atomics, the same result run
 * after run); elementwise passes are one work-item per (image, channel) row, so the channel
 * comes from one division per row. */
#pragma OPENCL FP_CONTRACT OFF

/* Sum over the group of each item's s; every item gets the total. L a power of two. */
static float group_sum(float s, __local float *scratch)
{
    int lid = get_local_id(0), L = get_local_size(0);
    scratch[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = L / 2; h > 0; h /= 2) {
        if (lid < h) scratch[lid] += scratch[lid + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float t = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return t;
}

/* mean[c], invstd[c] = 1 / sqrt(biased var + eps); when update, running_mean and running_var
 * move by momentum towards the batch mean and the unbiased variance (PyTorch's order:
 * momentum * stat + (1 - momentum) * running). One group per channel. */
__kernel void bn_stats(__global const float *x, __global float *mean, __global float *invstd,
                       __global float *running_mean, __global float *running_var, int C, int HW,
                       int batch, float eps, float momentum, int update, __local float *scratch)
{
    int c = get_group_id(0);
    int lid = get_local_id(0), L = get_local_size(0), m = batch * HW;
    float s = 0.0f;
    for (int j = lid; j < m; j += L) s += x[((j / HW) * C + c) * HW + j % HW];
    float mu = group_sum(s, scratch) / (float)m;
    s = 0.0f;
    for (int j = lid; j < m; j += L) {
        float d = x[((j / HW) * C + c) * HW + j % HW] - mu;
        s += d * d;
    }
    float ss = group_sum(s, scratch);
    if (lid == 0) {
        float var = ss / (float)m;
        mean[c] = mu;
        invstd[c] = 1.0f / sqrt(var + eps);
        if (update) {
            running_mean[c] = momentum * mu + (1.0f - momentum) * running_mean[c];
            running_var[c] = momentum * (ss / (float)(m - 1)) + (1.0f - momentum) * running_var[c];
        }
    }
}

/* y = (x - mean) * invstd * gamma + beta; a work-item per row (n, c), rows = batch * C. */
__kernel void bn_forward(__global const float *x, __global float *y, __global const float *mean,
                         __global const float *invstd, __global const float *gamma,
                         __global const float *beta, int C, int HW, int rows)
{
    int r = get_global_id(0);
    if (r >= rows) return;
    int c = r % C;
    float mu = mean[c], a = invstd[c] * gamma[c], b = beta[c];
    __global const float *xr = x + (size_t)r * HW;
    __global float *yr = y + (size_t)r * HW;
    for (int p = 0; p < HW; p++) yr[p] = (xr[p] - mu) * a + b;
}

/* dbeta[c] = sum dy, dgamma[c] = sum dy * (x - mean) * invstd over the batch and positions.
 * One group per channel; scratch holds one float per item. */
__kernel void bn_backward_params(__global const float *x, __global const float *dy,
                                 __global const float *mean, __global const float *invstd,
                                 __global float *dgamma, __global float *dbeta, int C, int HW,
                                 int batch, __local float *scratch)
{
    int c = get_group_id(0);
    int lid = get_local_id(0), L = get_local_size(0), m = batch * HW;
    float mu = mean[c], is = invstd[c], sb = 0.0f, sg = 0.0f;
    for (int j = lid; j < m; j += L) {
        int i = ((j / HW) * C + c) * HW + j % HW;
        sb += dy[i];
        sg += dy[i] * ((x[i] - mu) * is);
    }
    float tb = group_sum(sb, scratch), tg = group_sum(sg, scratch);
    if (lid == 0) {
        dbeta[c] = tb;
        dgamma[c] = tg;
    }
}

/* dx = gamma * invstd / m * (m * dy - dbeta - xhat * dgamma), with dgamma and dbeta the sums
 * above (before any weight decay); a work-item per row (n, c). */
__kernel void bn_backward_data(__global const float *x, __global const float *dy,
                               __global float *dx, __global const float *mean,
                               __global const float *invstd, __global const float *gamma,
                               __global const float *dgamma, __global const float *dbeta, int C,
                               int HW, int batch, int rows)
{
    int r = get_global_id(0);
    if (r >= rows) return;
    int c = r % C;
    float m = (float)(batch * HW), mu = mean[c], is = invstd[c];
    float k = gamma[c] * is / m, db = dbeta[c], dg = dgamma[c];
    __global const float *xr = x + (size_t)r * HW, *dr = dy + (size_t)r * HW;
    __global float *o = dx + (size_t)r * HW;
    for (int p = 0; p < HW; p++) o[p] = k * (m * dr[p] - db - (xr[p] - mu) * is * dg);
}

/* Eval mode: mean = running_mean, invstd = 1 / sqrt(running_var + eps), for bn_forward. */
__kernel void bn_running(__global const float *running_mean, __global const float *running_var,
                         __global float *mean, __global float *invstd, float eps, int C)
{
    int c = get_global_id(0);
    if (c >= C) return;
    mean[c] = running_mean[c];
    invstd[c] = 1.0f / sqrt(running_var[c] + eps);
}
