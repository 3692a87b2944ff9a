/* ROAD (Rong et al. 2022) as pytorch-grad-cam computes it: the pixels above a percentile of
 * the map (most relevant first) or of 1 - map (least relevant first) are removed and filled
 * by noisy linear imputation, each the weighted mean of its in-image neighbours (1/6 direct,
 * 1/12 diagonal), all removed pixels of a channel solved at once, plus seeded noise. The
 * system is symmetric positive semi-definite: conjugate gradient from x = 0 leaves a removed
 * region with no kept neighbour at 0. The metrics' reference_road.c is the same in C. */
#pragma OPENCL FP_CONTRACT OFF

/* N(0, 1) by Box-Muller from the hash of (seed, index, s, c, pixel). */
static float road_normal(uint seed, uint index, uint s, uint c, uint pixel)
{
    uint h = clcam_mix32(seed);
    h = clcam_mix32(h ^ index);
    h = clcam_mix32(h ^ s);
    h = clcam_mix32(h ^ c);
    h = clcam_mix32(h ^ pixel);
    uint h1 = clcam_mix32(h), h2 = clcam_mix32(h1 + 1u);
    float u1 = (float)((h1 >> 8) + 1u) * (1.0f / 16777216.0f); /* (0, 1]: log is finite */
    float u2 = (float)(h2 >> 8) * (1.0f / 16777216.0f);
    return sqrt(-2.0f * log(u1)) * cos(6.283185307179586f * u2);
}

/* Copy q's threshold: keep[j, p] = 1 (else 0) where copy q = first + j has v < thr, v the
 * map (MoRF) or 1 - map (LeRF) at p. The threshold is np.percentile's linear interpolation
 * between the ascending values at (HW - 1) * pct / 100, evaluated as numpy's _lerp but in
 * float (numpy's double, rounded to float32 by torch's comparison, can differ only when the
 * two values are a few ulps apart); ascending values come from sorted (descending map) read
 * from its end for MoRF, and as 1 - sorted read from its start for LeRF. pct is clamped to
 * [0, 100]. */
static float road_threshold(__global const float *sorted, __global const int *pct, int S,
                            int HW, int q)
{
    int b = q / S, s = q % S;
    int lerf = s & 1, num = (HW - 1) * clamp(pct[s / 2], 0, 100);
    int lo = num / 100, hi = lo + 1 < HW ? lo + 1 : HW - 1;
    float g = (float)(num % 100) / 100.0f;
    __global const float *srt = sorted + b * HW;
    float a = lerf ? 1.0f - srt[lo] : srt[HW - 1 - lo];
    float c = lerf ? 1.0f - srt[hi] : srt[HW - 1 - hi];
    float d = c - a;
    return g < 0.5f ? a + d * g : c - d * (1.0f - g);
}

/* One work-item per (copy, pixel). */
__kernel void road_mask(__global const float *maps, __global const float *sorted,
                        __global const int *pct, __global float *keep, int T, int rank_t, int S,
                        int HW, int first, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int j = i / HW, p = i % HW, q = first + j, b = q / S, s = q % S;
    int lerf = s & 1;
    float thr = road_threshold(sorted, pct, S, HW, q);
    float m = maps[(b * T + rank_t) * HW + p];
    float v = lerf ? 1.0f - m : m;
    keep[i] = v < thr ? 1.0f : 0.0f;
}

/* The sum of `part` over the work-group, in every item (lsz a power of two). */
static float road_group_sum(__local float *red, float part)
{
    int l = get_local_id(0), n = get_local_size(0);
    red[l] = part;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = n / 2; h > 0; h /= 2) {
        if (l < h) red[l] += red[l + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

/* The residual b_i - (A x)_i of removed pixel i, with x holding the kept pixels' values
 * elsewhere: sum over in-image neighbours k of w_ik (x_k - x_i). Differences first: for a
 * smooth x they are exact, where the weighted sum minus sum_valid_w(i) x_i would round at
 * the scale of x, errors alike in neighbouring pixels that the solve amplifies ~100x at 224. */
static float road_residual(__global const float *x, int y, int xx, int H, int W)
{
    float xi = x[y * W + xx], acc = 0.0f;
    if (y > 0 && y < H - 1 && xx > 0 && xx < W - 1) {
        /* inside the image: the loop below without its bounds checks, the same order */
        __global const float *up = x + (y - 1) * W + xx, *mid = up + W, *down = mid + W;
        const float d = 1.0f / 6.0f, g = 1.0f / 12.0f;
        acc += g * (up[-1] - xi);
        acc += d * (up[0] - xi);
        acc += g * (up[1] - xi);
        acc += d * (mid[-1] - xi);
        acc += d * (mid[1] - xi);
        acc += g * (down[-1] - xi);
        acc += d * (down[0] - xi);
        acc += g * (down[1] - xi);
        return acc;
    }
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int yy = y + dy, xc = xx + dx;
            if ((dy == 0 && dx == 0) || yy < 0 || yy >= H || xc < 0 || xc >= W) continue;
            float w = (dy == 0 || dx == 0) ? 1.0f / 6.0f : 1.0f / 12.0f;
            acc += w * (x[yy * W + xc] - xi);
        }
    return acc;
}

/* (A p)_i for removed pixel i, p being 0 at kept pixels: sum_valid_w(i) p_i minus the
 * weighted sum of the neighbours. */
static float road_apply(__global const float *p, int y, int xx, int H, int W)
{
    return -road_residual(p, y, xx, H, W);
}

/* One work-group per (copy j, channel c), exactly count * C of them (no early return: PoCL
 * miscompiled one ahead of the barriers): chunk[j, c] = the input with its removed pixels
 * solved by conjugate gradient, plus noise * N(0, 1). CG starts from x = 0 and restarts
 * ROAD_PASSES times from the residual b - A x computed afresh, because float32's recurrence
 * drifts from the true residual over the hundreds of iterations a wide region needs; each
 * pass runs until |r|^2 <= tol2 |b|^2 or max_iter. work: keep [count, HW] (road_mask's), then
 * r, p, Ap, each [count, C, HW]. red: lsz floats. */
#define ROAD_PASSES 3
__kernel void road_solve(__global const float *input, __global float *work,
                         __global const int *index, __global float *chunk, __local float *red,
                         int C, int H, int W, int S, int first, int count, float noise,
                         uint seed, float tol2, int max_iter)
{
    int g = get_group_id(0), l = get_local_id(0), lsz = get_local_size(0);
    int HW = H * W, j = g / C, c = g % C, q = first + j, b = q / S, s = q % S;
    size_t plane = (size_t)count * C * HW;
    __global const float *v = input + (size_t)(b * C + c) * HW;
    __global const float *kp = work + (size_t)j * HW;
    __global float *x = chunk + (size_t)g * HW;
    __global float *r = work + (size_t)count * HW + (size_t)g * HW;
    __global float *pv = r + plane, *ap = pv + plane;

    for (int i = l; i < HW; i += lsz) {
        x[i] = kp[i] != 0.0f ? v[i] : 0.0f;
        pv[i] = 0.0f;
    }
    float bb = 0.0f;
    for (int pass = 0; pass < ROAD_PASSES; pass++) {
        barrier(CLK_GLOBAL_MEM_FENCE);
        float part = 0.0f;
        for (int i = l; i < HW; i += lsz) {
            if (kp[i] != 0.0f) continue;
            float ri = road_residual(x, i / W, i % W, H, W);
            r[i] = ri;
            pv[i] = ri;
            part += ri * ri;
        }
        float rr = road_group_sum(red, part);
        if (pass == 0) bb = rr;
        barrier(CLK_GLOBAL_MEM_FENCE);
        for (int it = 0; it < max_iter && rr > tol2 * bb; it++) {
            part = 0.0f;
            for (int i = l; i < HW; i += lsz) {
                float a = kp[i] != 0.0f ? 0.0f : road_apply(pv, i / W, i % W, H, W);
                ap[i] = a;
                part += pv[i] * a;
            }
            float pap = road_group_sum(red, part);
            float alpha = pap > 0.0f ? rr / pap : 0.0f;
            part = 0.0f;
            for (int i = l; i < HW; i += lsz) {
                if (kp[i] != 0.0f) continue;
                x[i] += alpha * pv[i];
                float ri = r[i] - alpha * ap[i];
                r[i] = ri;
                part += ri * ri;
            }
            float rn = road_group_sum(red, part);
            if (!(pap > 0.0f)) rn = 0.0f; /* p = 0: nothing left to solve */
            float beta = rn / rr;
            rr = rn;
            barrier(CLK_GLOBAL_MEM_FENCE); /* every item has read its neighbours' p */
            for (int i = l; i < HW; i += lsz)
                if (kp[i] == 0.0f) pv[i] = r[i] + beta * pv[i];
            barrier(CLK_GLOBAL_MEM_FENCE);
        }
    }
    if (noise != 0.0f)
        for (int i = l; i < HW; i += lsz)
            if (kp[i] == 0.0f)
                x[i] += noise * road_normal(seed, (uint)index[b], (uint)s, (uint)c, (uint)i);
}

/* road_solve for CPU devices, which vectorise only what one work-item holds as explicit
 * vectors: one work-item runs ROAD_LANES solves at once, one per lane of a float vector, each
 * the same operations in the same order as road_solve with one item per group (bitwise the
 * same results; tests/test_road.c). A lane that has stopped is frozen by select(); the loop
 * runs while any lane is active. Lanes take the chunk's solves ordered by (s, j, c), so a
 * vector holds the same percentile and side of few consecutive images, every channel of one
 * image sharing its mask and so nearly its iteration count (10% faster than (s, c, j)), and
 * the copies that remove every pixel or none (nothing to solve) last; lanes past the end
 * remove nothing and stop at once. work: keep [count, HW] (road_mask's), then per vector x,
 * r, p, A p, each [HW][ROAD_LANES], then per vector the removed flags, uchar [HW][ROAD_LANES]. */
#define ROAD_LANES 16
#define road_vf float16
#define road_vi int16
#define road_vload vload16
#define road_vstore vstore16
/* the removed flags of pixel i, loaded as one uint4 (PoCL assembles a uchar16 vload piece by
 * piece) */
#define road_vflags(i, p) \
    (convert_int16(as_uchar16(vload4((i), (__global const uint *)(p)))) != (int16)0)

/* Whether copy q removes every pixel or none, so that b = 0 and there is nothing to solve:
 * no v, or every v, below road_mask's threshold (a ReLU'd map with more zeros than the
 * percentile, a constant map, percentile 0). Only the order of the lanes depends on it. */
static int road_trivial(__global const float *sorted, __global const int *pct, int HW, int S,
                        int q)
{
    __global const float *srt = sorted + (q / S) * HW;
    int lerf = q % S & 1;
    float thr = road_threshold(sorted, pct, S, HW, q);
    float vmin = lerf ? 1.0f - srt[0] : srt[HW - 1], vmax = lerf ? 1.0f - srt[HW - 1] : srt[0];
    return !(vmin < thr) || vmax < thr;
}

/* Solve t of the chunk in (s, j, c) order, those with something to solve first: its index
 * j * C + c in the chunk, or -1 past the end. The copies j of one s are j0, j0 + S, ...
 * (q = first + j, s = q % S). */
static int road_lane_solve(int t, __global const float *sorted, __global const int *pct,
                           int HW, int C, int S, int first, int count)
{
    for (int trivial = 0; trivial < 2; trivial++)
        for (int s = 0; s < S; s++) {
            int j0 = (s - first % S + S) % S, n = 0;
            for (int j = j0; j < count; j += S)
                n += road_trivial(sorted, pct, HW, S, first + j) == trivial;
            if (t >= n * C) {
                t -= n * C;
                continue;
            }
            int c = t % C, k = t / C;
            for (int j = j0; j < count; j += S)
                if (road_trivial(sorted, pct, HW, S, first + j) == trivial && k-- == 0)
                    return j * C + c;
        }
    return -1;
}

/* road_residual's inside-the-image branch for ROAD_LANES interleaved systems (x is
 * [H * W][ROAD_LANES]), small enough to be inlined into the sweeps. */
static inline road_vf road_inside_lanes(__global const float *x, int i, int W)
{
    const float d = 1.0f / 6.0f, g = 1.0f / 12.0f;
    road_vf xi = road_vload(i, x), acc = (road_vf)0.0f;
    acc += g * (road_vload(i - W - 1, x) - xi);
    acc += d * (road_vload(i - W, x) - xi);
    acc += g * (road_vload(i - W + 1, x) - xi);
    acc += d * (road_vload(i - 1, x) - xi);
    acc += d * (road_vload(i + 1, x) - xi);
    acc += g * (road_vload(i + W - 1, x) - xi);
    acc += d * (road_vload(i + W, x) - xi);
    acc += g * (road_vload(i + W + 1, x) - xi);
    return acc;
}

/* road_residual for ROAD_LANES interleaved systems. */
static road_vf road_residual_lanes(__global const float *x, int y, int xx, int H, int W)
{
    int i = y * W + xx;
    if (y > 0 && y < H - 1 && xx > 0 && xx < W - 1) return road_inside_lanes(x, i, W);
    road_vf xi = road_vload(i, x), acc = (road_vf)0.0f;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int yy = y + dy, xc = xx + dx;
            if ((dy == 0 && dx == 0) || yy < 0 || yy >= H || xc < 0 || xc >= W) continue;
            float w = (dy == 0 || dx == 0) ? 1.0f / 6.0f : 1.0f / 12.0f;
            acc += w * (road_vload(yy * W + xc, x) - xi);
        }
    return acc;
}

/* road_residual_lanes at pixel (y, xx), the inside branch inlined. */
#define road_res_lanes(x, y, xx, i)                                                           \
    ((y) > 0 && (y) < H - 1 && (xx) > 0 && (xx) < W - 1 ? road_inside_lanes((x), (i), W)      \
                                                         : road_residual_lanes((x), (y), (xx), H, W))

/* One work-item per vector of ROAD_LANES solves (groups of them, n_vec in all). */
__kernel void road_solve_lanes(__global const float *input, __global float *work,
                               __global const int *index, __global const float *sorted,
                               __global const int *pct, __global float *chunk, int C, int H,
                               int W, int S, int first, int count, float noise, uint seed,
                               float tol2, int max_iter, int n_vec)
{
    int v = get_global_id(0);
    if (v >= n_vec) return;
    const int L = ROAD_LANES;
    int HW = H * W;
    size_t block = (size_t)HW * L;
    __global const float *keep = work;
    __global float *x = work + (size_t)count * HW + (size_t)v * 4 * block;
    __global float *r = x + block, *pv = r + block, *ap = pv + block;
    __global uchar *rm =
        (__global uchar *)(work + (size_t)count * HW + (size_t)n_vec * 4 * block) + v * block;

    for (int l = 0; l < L; l++) {
        int g = road_lane_solve(v * L + l, sorted, pct, HW, C, S, first, count);
        for (int i = 0; i < HW; i++) { /* unused lane: nothing removed, done at once */
            x[i * L + l] = 0.0f;
            rm[i * L + l] = 0;
            pv[i * L + l] = 0.0f;
        }
        if (g < 0) continue;
        int j = g / C, c = g % C, b = (first + j) / S;
        __global const float *in = input + (size_t)(b * C + c) * HW;
        __global const float *kp = keep + (size_t)j * HW;
        for (int i = 0; i < HW; i++) {
            int removed = kp[i] == 0.0f;
            x[i * L + l] = removed ? 0.0f : in[i];
            rm[i * L + l] = removed ? 1 : 0;
        }
    }
    road_vf bb = (road_vf)0.0f;
    for (int pass = 0; pass < ROAD_PASSES; pass++) {
        road_vf part = (road_vf)0.0f;
        for (int y = 0, i = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++, i++) {
                road_vi rem = road_vflags(i, rm);
                road_vf ri = road_res_lanes(x, y, xx, i);
                road_vstore(ri, i, r);
                road_vstore(select((road_vf)0.0f, ri, rem), i, pv);
                part = select(part, part + ri * ri, rem);
            }
        road_vf rr = part;
        if (pass == 0) bb = rr;
        road_vi act = rr > tol2 * bb;
        for (int it = 0; it < max_iter && any(act); it++) {
            part = (road_vf)0.0f;
            for (int y = 0, i = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++, i++) {
                    road_vi rem = road_vflags(i, rm);
                    road_vf a = select((road_vf)0.0f, -road_res_lanes(pv, y, xx, i), rem);
                    road_vstore(a, i, ap);
                    part += road_vload(i, pv) * a;
                }
            road_vf pap = part;
            road_vi pos = pap > 0.0f;
            road_vf alpha = select((road_vf)0.0f, rr / pap, pos);
            part = (road_vf)0.0f;
            for (int i = 0; i < HW; i++) {
                road_vi rem = road_vflags(i, rm), upd = rem & act;
                road_vf xi = road_vload(i, x), ri = road_vload(i, r);
                road_vf rn = ri - alpha * road_vload(i, ap);
                road_vstore(select(xi, xi + alpha * road_vload(i, pv), upd), i, x);
                road_vstore(select(ri, rn, upd), i, r);
                part = select(part, part + rn * rn, rem);
            }
            road_vf rn = select((road_vf)0.0f, part, pos); /* p = 0: nothing left to solve */
            road_vf beta = rn / rr;
            rr = select(rr, rn, act);
            for (int i = 0; i < HW; i++) {
                road_vi upd = road_vflags(i, rm) & act;
                road_vf p = road_vload(i, pv);
                road_vstore(select(p, road_vload(i, r) + beta * p, upd), i, pv);
            }
            act &= rr > tol2 * bb;
        }
    }
    for (int l = 0; l < L; l++) {
        int g = road_lane_solve(v * L + l, sorted, pct, HW, C, S, first, count);
        if (g < 0) continue;
        int j = g / C, c = g % C, q = first + j, b = q / S, s = q % S;
        __global float *out = chunk + (size_t)g * HW;
        /* scalar noise: PoCL's float16 log differs from its scalar log now and then */
        for (int i = 0; i < HW; i++) {
            float xi = x[i * L + l];
            if (noise != 0.0f && rm[i * L + l])
                xi += noise * road_normal(seed, (uint)index[b], (uint)s, (uint)c, (uint)i);
            out[i] = xi;
        }
    }
}
