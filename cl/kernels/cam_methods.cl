/* Gradient-based CAM methods beyond Grad-CAM: channel weights of Grad-CAM++ and XGrad-CAM
 * (then cam_weighted_relu), and the element-wise maps of HiResCAM, LayerCAM and Grad-CAM
 * element-wise. Sums run in a fixed order; no contraction into FMA, so the plain-C
 * references (pipeline/reference_cam.c) follow the same float arithmetic. */
#pragma OPENCL FP_CONTRACT OFF

/* Grad-CAM++ (pytorch-grad-cam's closed form, eq. 19 of the paper), one work-item per
 * (image, channel): sumA = sum_p A; a_p = G^2 / (2 G^2 + sumA G^3 + 1e-6) where G != 0,
 * else 0; w = sum_p relu(G) a_p. */
__kernel void gradcampp_weights(__global const float *A, __global const float *G,
                                __global float *w, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    __global const float *a = A + i * HW, *g = G + i * HW;
    float sum_a = 0.0f, sum = 0.0f;
    for (int p = 0; p < HW; p++) sum_a += a[p];
    for (int p = 0; p < HW; p++) {
        float g1 = g[p], g2 = g1 * g1, g3 = g2 * g1;
        float denom = 2.0f * g2 + sum_a * g3 + 1e-6f;
        float aij = g1 != 0.0f ? g2 / denom : 0.0f;
        sum += (g1 > 0.0f ? g1 : 0.0f) * aij;
    }
    w[i] = sum;
}

/* XGrad-CAM, one work-item per (image, channel): w = sum_p G A / (sum_p A + 1e-7). */
__kernel void xgradcam_weights(__global const float *A, __global const float *G,
                               __global float *w, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    __global const float *a = A + i * HW, *g = G + i * HW;
    float sum_a = 0.0f, sum_ga = 0.0f;
    for (int p = 0; p < HW; p++) {
        sum_a += a[p];
        sum_ga += g[p] * a[p];
    }
    w[i] = sum_ga / (sum_a + 1e-7f);
}

/* raw[n, p] = ReLU(sum_k f(G, A)), one work-item per (image, pixel); mode 0 HiResCAM
 * f = G A, 1 LayerCAM f = relu(G) A, 2 Grad-CAM element-wise f = relu(G A). */
__kernel void cam_elementwise_relu(__global const float *A, __global const float *G,
                                   __global float *raw, int K, int HW, int mode, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int img = i / HW, p = i % HW;
    __global const float *a = A + img * K * HW + p, *g = G + img * K * HW + p;
    float sum = 0.0f;
    for (int k = 0; k < K; k++) {
        float gk = g[k * HW], ak = a[k * HW], t;
        if (mode == 0) t = gk * ak;
        else if (mode == 1) t = (gk > 0.0f ? gk : 0.0f) * ak;
        else { t = gk * ak; t = t > 0.0f ? t : 0.0f; }
        sum += t;
    }
    raw[i] = sum > 0.0f ? sum : 0.0f;
}
