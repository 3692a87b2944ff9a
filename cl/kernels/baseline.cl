/* The baseline maps at the input's size, [batch, H, W], before normalisation (cl/ops_metrics.h).
 * random: uniform in [0, 1) from a counter-based hash of (seed, dataset row, pixel), the same
 * as ref_baseline_random: an image's map never depends on its batch or the device. sobel: the
 * gradient magnitude of the grey image, 3x3 Sobel with OpenCV's BORDER_REFLECT_101.
 * One work-item per output pixel. */
uint baseline_hash3(uint a, uint b, uint c)
{
    uint h = clcam_mix32(a + 0x9e3779b9u);
    h = clcam_mix32(h ^ (b + 0x85ebca6bu));
    return clcam_mix32(h ^ (c + 0xc2b2ae35u));
}

__kernel void baseline_random(__global const int *index, uint seed, __global float *out, int HW,
                              int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    uint h = baseline_hash3(seed, (uint)index[i / HW], (uint)(i % HW));
    /* the top 24 bits: exact in a float, below 1 */
    out[i] = (float)(h >> 8) * (1.0f / 16777216.0f);
}

/* OpenCV's BORDER_REFLECT_101 for one step outside [0, n): -1 -> 1, n -> n - 2. */
int baseline_reflect101(int i, int n)
{
    if (n == 1) return 0;
    if (i < 0) return -i;
    if (i >= n) return 2 * n - 2 - i;
    return i;
}

float baseline_grey(__global const uchar *img, int y, int x, int W, int C)
{
    __global const uchar *p = img + (y * W + x) * C;
    if (C == 1) return (float)p[0] / 255.0f;
    return (0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2]) / 255.0f;
}

/* images: uint8 NHWC, C 1 or 3. */
__kernel void baseline_sobel(__global const uchar *images, __global float *out, int H, int W,
                             int C, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int HW = H * W, b = i / HW, x = i % W, y = (i / W) % H;
    __global const uchar *img = images + (size_t)b * HW * C;
    int y0 = baseline_reflect101(y - 1, H), y1 = baseline_reflect101(y + 1, H);
    int x0 = baseline_reflect101(x - 1, W), x1 = baseline_reflect101(x + 1, W);
    float a = baseline_grey(img, y0, x0, W, C), bt = baseline_grey(img, y0, x, W, C);
    float c = baseline_grey(img, y0, x1, W, C), l = baseline_grey(img, y, x0, W, C);
    float r = baseline_grey(img, y, x1, W, C), d = baseline_grey(img, y1, x0, W, C);
    float e = baseline_grey(img, y1, x, W, C), f = baseline_grey(img, y1, x1, W, C);
    float dx = (c + 2.0f * r + f) - (a + 2.0f * l + d);
    float dy = (d + 2.0f * e + f) - (a + 2.0f * bt + c);
    out[i] = sqrt(dx * dx + dy * dy);
}
