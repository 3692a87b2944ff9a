/* Grad-CAM's steps 3-6 for a batch: channel weights, weighted sum with ReLU, bilinear
 * upsampling (PyTorch's align_corners=False) and per-image min-max normalisation. */
/* No contraction into FMA: the weighted sums and the interpolation follow the plain-C
 * references' float arithmetic, and the fused kernels match the separate ones bitwise. */
#pragma OPENCL FP_CONTRACT OFF

/* w[n, k] = mean over the plane of dA[n, k]. One work-item per (image, channel). */
__kernel void gradcam_weights(__global const float *dA, __global float *w, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    __global const float *g = dA + i * HW;
    float sum = 0.0f;
    for (int p = 0; p < HW; p++) sum += g[p];
    w[i] = sum / (float)HW;
}

/* raw[n, p] = ReLU(sum_k w[n, k] * A[n, k, p]). One work-item per (image, pixel). */
__kernel void cam_weighted_relu(__global const float *A, __global const float *w,
                                __global float *raw, int K, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int img = i / HW, p = i % HW;
    __global const float *a = A + img * K * HW + p;
    __global const float *wk = w + img * K;
    float sum = 0.0f;
    for (int k = 0; k < K; k++) sum += wk[k] * a[k * HW];
    raw[i] = sum > 0.0f ? sum : 0.0f;
}

/* gradcam_weights and cam_weighted_relu in one kernel, one work-group per image: the K
 * weights stay in local memory (wl, K floats) instead of a global buffer. The sums run in
 * the same order as in the two kernels, so the results are bitwise the same. */
__kernel void gradcam_fused(__global const float *dA, __global const float *A,
                            __global float *raw, int K, int HW, __local float *wl)
{
    int img = get_group_id(0);
    int lid = get_local_id(0), L = get_local_size(0);
    __global const float *g = dA + img * K * HW, *a = A + img * K * HW;
    for (int k = lid; k < K; k += L) {
        float sum = 0.0f;
        for (int p = 0; p < HW; p++) sum += g[k * HW + p];
        wl[k] = sum / (float)HW;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int p = lid; p < HW; p += L) {
        float sum = 0.0f;
        for (int k = 0; k < K; k++) sum += wl[k] * a[k * HW + p];
        raw[img * HW + p] = sum > 0.0f ? sum : 0.0f;
    }
}

/* Source coordinate and neighbours, as PyTorch's area_pixel_compute_source_index. */
static void bilinear_src(int dst, float scale, int in_size, int *i0, int *i1, float *l1)
{
    float src = scale * ((float)dst + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    *i0 = (int)src;
    *i1 = *i0 + (*i0 < in_size - 1 ? 1 : 0);
    *l1 = src - (float)*i0;
}

/* The value at output pixel p of the h x w map r upsampled to H x W. Both kernels below use
 * it, so the fused one's values are bitwise those of the two-kernel path. */
static float bilinear_at(__global const float *r, int p, int h, int w, int H, int W)
{
    int oy = p / W, ox = p % W;
    int y0, y1, x0, x1;
    float ly, lx;
    bilinear_src(oy, (float)h / (float)H, h, &y0, &y1, &ly);
    bilinear_src(ox, (float)w / (float)W, w, &x0, &x1, &lx);
    float top = (1.0f - lx) * r[y0 * w + x0] + lx * r[y0 * w + x1];
    float bottom = (1.0f - lx) * r[y1 * w + x0] + lx * r[y1 * w + x1];
    return (1.0f - ly) * top + ly * bottom;
}

__kernel void cam_upsample_bilinear(__global const float *raw, __global float *up, int h,
                                    int w, int H, int W, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int img = i / (H * W), p = i % (H * W);
    up[i] = bilinear_at(raw + img * h * w, p, h, w, H, W);
}

/* Min and max over the work-group of each item's lo and hi, through scratch (2 * local size
 * floats, a power of two); every item of the group must call it. */
static void group_minmax(__local float *scratch, float *lo, float *hi)
{
    int lid = get_local_id(0), L = get_local_size(0);
    scratch[lid] = *lo;
    scratch[L + lid] = *hi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = L / 2; s > 0; s /= 2) {
        if (lid < s) {
            scratch[lid] = fmin(scratch[lid], scratch[lid + s]);
            scratch[L + lid] = fmax(scratch[L + lid], scratch[L + lid + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *lo = scratch[0];
    *hi = scratch[L];
}

/* One work-group per image; scratch holds 2 * local size floats. A constant map becomes
 * all zero (an all-zero map stays zero, never NaN). The result goes to rank `rank` of a
 * [batch, T, HW] output. */
__kernel void cam_minmax_normalise(__global const float *up, __global float *cam, int HW,
                                   int T, int rank, __local float *scratch)
{
    int img = get_group_id(0);
    int lid = get_local_id(0), L = get_local_size(0);
    __global const float *x = up + img * HW;
    float lo = INFINITY, hi = -INFINITY;
    for (int p = lid; p < HW; p += L) {
        lo = fmin(lo, x[p]);
        hi = fmax(hi, x[p]);
    }
    group_minmax(scratch, &lo, &hi);
    float range = hi - lo;
    __global float *out = cam + (img * T + rank) * HW;
    for (int p = lid; p < HW; p += L)
        out[p] = range > 0.0f ? (x[p] - lo) / range : 0.0f;
}

/* cam_upsample_bilinear and cam_minmax_normalise in one kernel, without an upsampled map in
 * a buffer of its own: one work-group per image writes the bilinear values straight to rank
 * `rank` of [batch, T, HW] while reducing their min and max, then normalises them in place.
 * Each work-item reads back only the pixels it wrote, a few KB a work-group that are still in
 * cache; computing them twice instead measured slower on a CPU. Bitwise the same as the two
 * kernels; a constant map becomes all zero. scratch: 2 * local size floats. */
__kernel void cam_upsample_normalise(__global const float *raw, __global float *cam, int h,
                                     int w, int H, int W, int T, int rank,
                                     __local float *scratch)
{
    int img = get_group_id(0);
    int lid = get_local_id(0), L = get_local_size(0), HW = H * W;
    __global const float *r = raw + img * h * w;
    __global float *out = cam + (img * T + rank) * HW;
    float lo = INFINITY, hi = -INFINITY;
    for (int p = lid; p < HW; p += L) {
        float x = bilinear_at(r, p, h, w, H, W);
        out[p] = x;
        lo = fmin(lo, x);
        hi = fmax(hi, x);
    }
    group_minmax(scratch, &lo, &hi);
    float range = hi - lo;
    for (int p = lid; p < HW; p += L)
        out[p] = range > 0.0f ? (out[p] - lo) / range : 0.0f;
}

/* Copies a contiguous [batch, HW] map to rank `rank` of a [batch, T, HW] output. */
__kernel void cam_store_rank(__global const float *src, __global float *dst, int HW, int T,
                             int rank, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int img = i / HW, p = i % HW;
    dst[(img * T + rank) * HW + p] = src[i];
}
