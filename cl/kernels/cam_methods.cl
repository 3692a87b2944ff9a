/* Gradient-based CAM methods beyond Grad-CAM: channel weights of Grad-CAM++ and XGrad-CAM
 * (then cam_weighted_relu), and the element-wise maps of HiResCAM, LayerCAM and Grad-CAM
 * element-wise. Sums run in a fixed order; no contraction into FMA, so the plain-C
 * references (reference_cam.c) follow the same float arithmetic. */
#pragma OPENCL FP_CONTRACT OFF

/* Error-free float transformations (no FMA: FP_CONTRACT is off above): s + e == a + b and
 * p + e == a * b exactly (Knuth's TwoSum; Dekker's product with Veltkamp's 12-bit split). */
static float cam_two_sum(float a, float b, float *e)
{
    float s = a + b, bb = s - a;
    *e = (a - (s - bb)) + (b - bb);
    return s;
}

static float cam_two_prod(float a, float b, float *e)
{
    float p = a * b, ca = 4097.0f * a, cb = 4097.0f * b;
    float ah = ca - (ca - a), al = a - ah, bh = cb - (cb - b), bl = b - bh;
    *e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    return p;
}

/* Grad-CAM++ (pytorch-grad-cam's closed form, eq. 19 of the paper), one work-item per
 * (image, channel): S = sum_p A; w = sum_p relu(G) G^2 / (2 G^2 + S G^3 + 1e-6).
 * At conv3 S is large and negative, so for some G > 0, 2 + S G is near 0: 2 G^2 and S G^3
 * nearly cancel, and in float32 their roundings (and the HW roundings of S) become the whole
 * error of the difference. So S keeps its rounding error (s_hi + s_lo), u = 2 + S G is formed
 * exactly (TwoProd, TwoSum) and rounded once, and the denominator is G^2 u + 1e-6: what is
 * left is the error of A and G themselves. G <= 0 adds 0 (relu), never 0 * inf; NaN stays. */
__kernel void gradcampp_weights(__global const float *A, __global const float *G,
                                __global float *w, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    __global const float *a = A + i * HW, *g = G + i * HW;
    float s_hi = 0.0f, s_lo = 0.0f, sum = 0.0f, e, f;
    for (int p = 0; p < HW; p++) {
        s_hi = cam_two_sum(s_hi, a[p], &e);
        s_lo += e;
    }
    for (int p = 0; p < HW; p++) {
        float g1 = g[p];
        if (g1 <= 0.0f) continue;
        float sg = cam_two_prod(s_hi, g1, &e);
        float u = cam_two_sum(2.0f, sg, &f);
        u += f + (e + s_lo * g1);
        float g2 = g1 * g1;
        sum += g2 * g1 / (g2 * u + 1e-6f);
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
