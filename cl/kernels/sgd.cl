/* One step of torch.optim.SGD (dampening 0) on n parameters, in PyTorch's order:
 * g = grad + wd * w; buf = momentum * buf + g; g = nesterov ? g + momentum * buf : buf;
 * w = w - lr * g. buf starts at zero, which gives PyTorch's first step (buf = g). No
 * contraction into fma, so the rounding is that of the separate operations. */
#pragma OPENCL FP_CONTRACT OFF
__kernel void sgd_step(__global float *w, __global const float *grad, __global float *buf,
                       float lr, float momentum, float wd, int nesterov, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    float p = w[i];
    float g = grad[i] + wd * p;
    float b = momentum * buf[i] + g;
    buf[i] = b;
    g = nesterov ? g + momentum * b : b;
    w[i] = p - lr * g;
}
