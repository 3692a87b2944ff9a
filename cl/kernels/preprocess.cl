/* uint8 NHWC pixels to normalised float NCHW: x = (pixel * scale - mean[c]) / std[c].
 * mean_std holds C means then C standard deviations. One work-item per output value. */
__kernel void preprocess_u8_nhwc(__global const uchar *src, __global float *dst,
                                 __global const float *mean_std, float scale, int C, int HW,
                                 int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int p = i % HW;
    int c = (i / HW) % C;
    int img = i / (HW * C);
    float x = (float)src[(img * HW + p) * C + c] * scale;
    dst[i] = (x - mean_std[c]) / mean_std[C + c];
}
