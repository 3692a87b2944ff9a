/* The order of each image's map pixels for the faithfulness metrics (cl/ops_metrics.h): a
 * bitonic sort of (value, pixel) pairs per image, padded to N, a power of two; each
 * compare-exchange pass of long distance is a launch over global memory. The order is total, so the result is the same on
 * every device: higher value first, equal values (and +0 against -0) by ascending pixel,
 * NaN after every number, the padding (pixel >= HW) last. Passes of short distance run in
 * local memory, a block of 2 * local size places per work-group (metric_order_local).
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

/* The passes whose distance j is below the work-group's block of L2 = 2 * local size places,
 * in local memory: block g of the batch (image g / (N / L2)) sorted through blocks k = kmin ..
 * kmax (doubling), each k from distance min(k, L2) / 2 down to 1. kmin = 2, kmax = L2 sorts
 * the blocks from scratch; kmin = kmax = k > L2 ends block k after the global passes. The
 * direction of a pair comes from its place in the image, as in metric_order_pass. */
__kernel void metric_order_local(__global uint2 *key, int HW, int N, int kmin, int kmax,
                                 __local uint2 *buf)
{
    int ls = (int)get_local_size(0), lid = (int)get_local_id(0), L2 = 2 * ls;
    int g = (int)get_group_id(0), blocks = N / L2, start = (g % blocks) * L2;
    __global uint2 *s = key + (g / blocks) * N + start;
    buf[lid] = s[lid];
    buf[lid + ls] = s[lid + ls];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = kmin; k <= kmax; k *= 2)
        for (int j = min(k, L2) / 2; j > 0; j /= 2) {
            int low = lid & (j - 1), p = ((lid - low) << 1) + low;
            uint2 x = buf[p], y = buf[p + j];
            bool forward = ((start + p) & k) == 0;
            if (forward ? order_before(y, x, HW) : order_before(x, y, HW)) {
                buf[p] = y;
                buf[p + j] = x;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    s[lid] = buf[lid];
    s[lid + ls] = buf[lid + ls];
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
