/* Score-CAM (pytorch-grad-cam's ScoreCAM): each channel of A upsampled to the input size
 * with bilinear align_corners=True, scaled to [0, 1] by its own min and max
 * ((x - min) / (max - min + 1e-8)), multiplies the preprocessed input; the network's logit
 * for the target on each masked copy, softmaxed over channels, weights A (cam_weighted_relu). */
#pragma OPENCL FP_CONTRACT OFF

/* Bilinear align_corners=True at output (oy, ox) of plane a [h, w]. */
static float upsample_ac(__global const float *a, int h, int w, int H, int W, int oy, int ox)
{
    float sy = H > 1 ? (float)(h - 1) / (float)(H - 1) : 0.0f;
    float sx = W > 1 ? (float)(w - 1) / (float)(W - 1) : 0.0f;
    float fy = sy * (float)oy, fx = sx * (float)ox;
    int y0 = (int)fy, x0 = (int)fx;
    if (y0 > h - 1) y0 = h - 1;
    if (x0 > w - 1) x0 = w - 1;
    int y1 = y0 + (y0 < h - 1 ? 1 : 0), x1 = x0 + (x0 < w - 1 ? 1 : 0);
    float ly = fy - (float)y0, lx = fx - (float)x0;
    float top = (1.0f - lx) * a[y0 * w + x0] + lx * a[y0 * w + x1];
    float bottom = (1.0f - lx) * a[y1 * w + x0] + lx * a[y1 * w + x1];
    return (1.0f - ly) * top + ly * bottom;
}

/* mm[2 i] = min, mm[2 i + 1] = max of upsampled channel i = (image, k); one work-item each. */
__kernel void scorecam_minmax(__global const float *A, __global float *mm, int h, int w,
                              int H, int W, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    __global const float *a = A + i * h * w;
    float lo = INFINITY, hi = -INFINITY;
    for (int oy = 0; oy < H; oy++)
        for (int ox = 0; ox < W; ox++) {
            float u = upsample_ac(a, h, w, H, W, oy, ox);
            lo = fmin(lo, u);
            hi = fmax(hi, u);
        }
    mm[2 * i] = lo;
    mm[2 * i + 1] = hi;
}

/* masked[j, c, y, x] = input[b, c, y, x] * mask_{b,k}(y, x) for masked image q = first + j,
 * b = q / K, k = q % K; one work-item per output value (n = count * C * H * W). */
__kernel void scorecam_mask_input(__global const float *input, __global const float *A,
                                  __global const float *mm, __global float *masked, int C,
                                  int h, int w, int H, int W, int K, int first, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int HW = H * W, j = i / (C * HW), c = (i / HW) % C, p = i % HW;
    int q = first + j, b = q / K;
    float u = upsample_ac(A + q * h * w, h, w, H, W, p / W, p % W);
    float lo = mm[2 * q], hi = mm[2 * q + 1];
    masked[i] = input[(b * C + c) * HW + p] * ((u - lo) / (hi - lo + 1e-8f));
}

/* w[b, k] = softmax over k of logits[b * K + k, targets[b * T + rank]]; one work-item per
 * image, max subtracted first. */
__kernel void scorecam_weights(__global const float *logits, __global const int *targets,
                               __global float *w, int K, int classes, int T, int rank, int n)
{
    int b = get_global_id(0);
    if (b >= n) return;
    int t = targets[b * T + rank];
    __global const float *l = logits + b * K * classes + t;
    float mx = -INFINITY, sum = 0.0f;
    for (int k = 0; k < K; k++) mx = fmax(mx, l[k * classes]);
    for (int k = 0; k < K; k++) sum += exp(l[k * classes] - mx);
    for (int k = 0; k < K; k++) w[b * K + k] = exp(l[k * classes] - mx) / sum;
}
