/* The order of each image's map pixels for the faithfulness metrics (cl/ops_metrics.h): a
 * bitonic sort of (value, pixel) pairs per image, padded to N, a power of two, one launch per
 * compare-exchange pass over global memory. The order is total, so the result is the same on
 * every device: higher value first, equal values (and +0 against -0) by ascending pixel,
 * NaN after every number, the padding (pixel >= HW) last.
 * Pairs live in key [batch, N] as uint2 (float bits, pixel). */

/* a comes before b. */
static bool order_before(uint2 a, uint2 b, int HW)
{
    int pa = (int)a.y, pb = (int)b.y;
    if ((pa >= HW) != (pb >= HW)) return pb >= HW;
    float va = as_float(a.x), vb = as_float(b.x);
    if (isnan(va) != isnan(vb)) return isnan(vb);
    if (va != vb && !isnan(va)) return va > vb;
    return pa < pb;
}

/* key[b, p] = (map value, p) for p < HW, padding after; one work-item per pair (n = batch * N). */
__kernel void metric_order_init(__global const float *maps, __global uint2 *key, int T,
                                int rank_t, int HW, int N, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int b = i / N, p = i % N;
    float v = p < HW ? maps[(b * T + rank_t) * HW + p] : 0.0f;
    key[i] = (uint2)(as_uint(v), (uint)p);
}

/* One bitonic pass (block k, distance j): work-item t of image b compares places p and
 * p + j, p the t-th place whose bit j is clear; the pair goes in order where bit k of p is
 * clear, reversed where it is set. n = batch * N / 2. */
__kernel void metric_order_pass(__global uint2 *key, int HW, int N, int j, int k, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int pairs = N / 2, b = i / pairs, t = i % pairs;
    int low = t & (j - 1), p = ((t - low) << 1) + low;
    __global uint2 *s = key + b * N;
    uint2 x = s[p], y = s[p + j];
    bool forward = (p & k) == 0;
    if (forward ? order_before(y, x, HW) : order_before(x, y, HW)) {
        s[p] = y;
        s[p + j] = x;
    }
}

/* rank[b, pixel] = place, sorted[b, place] = value for the HW real pairs, which the order
 * puts first; n = batch * HW. */
__kernel void metric_order_finish(__global const uint2 *key, __global int *rank,
                                  __global float *sorted, int HW, int N, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int b = i / HW, place = i % HW;
    uint2 x = key[b * N + place];
    if ((int)x.y < HW) rank[b * HW + (int)x.y] = place; /* always, unless the sort is broken */
    sorted[i] = as_float(x.x);
}
