/* Max-pooling (no padding, floor mode) that records the argmax within each input plane,
 * and its backward pass as a gather: each input sums the gradients of the windows whose
 * argmax it is, in a fixed order, so there are no atomics and results are repeatable. */

/* An input value; with relu, as relu_forward would have written it (NaN and -0 become +0),
 * so a fused max-pool sees exactly what it would have read from the ReLU's output. */
static inline float pool_in(__global const float *p, int relu)
{
    float v = *p;
    return relu ? (v > 0.0f ? v : 0.0f) : v;
}

/* One work-item per output row (n = planes * OH): the index arithmetic once per row. relu is
 * a constant in each kernel below, so the compiler drops it from the plain one. */
static inline void maxpool_rows(__global const float *in, __global float *out,
                                __global int *argmax, int H, int W, int OH, int OW, int K,
                                int S, int n, int relu)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int plane = i / OH, oy = i % OH;
    __global const float *src = in + plane * H * W;
    if (K == 2 && S == 2) { /* the common case, branch-free so the compiler can vectorise it */
        __global const float *r0 = src + 2 * oy * W, *r1 = r0 + W;
        int base = 2 * oy * W;
        for (int ox = 0; ox < OW; ox++) {
            float a = pool_in(r0 + 2 * ox, relu), b = pool_in(r0 + 2 * ox + 1, relu);
            float c = pool_in(r1 + 2 * ox, relu), d = pool_in(r1 + 2 * ox + 1, relu);
            float best = a;
            int idx = base + 2 * ox;
            int tb = b > best || isnan(b); /* PyTorch's rule: first maximum, NaN wins */
            best = tb ? b : best, idx = tb ? base + 2 * ox + 1 : idx;
            int tc = c > best || isnan(c);
            best = tc ? c : best, idx = tc ? base + W + 2 * ox : idx;
            int td = d > best || isnan(d);
            best = td ? d : best, idx = td ? base + W + 2 * ox + 1 : idx;
            out[i * OW + ox] = best;
            argmax[i * OW + ox] = idx;
        }
        return;
    }
    for (int ox = 0; ox < OW; ox++) {
        float best = -INFINITY;
        int best_idx = oy * S * W + ox * S;
        for (int ky = 0; ky < K; ky++) {
            for (int kx = 0; kx < K; kx++) {
                int idx = (oy * S + ky) * W + ox * S + kx;
                float v = pool_in(src + idx, relu);
                if (v > best || isnan(v)) { /* PyTorch's rule: first maximum, NaN wins */
                    best = v;
                    best_idx = idx;
                }
            }
        }
        out[i * OW + ox] = best;
        argmax[i * OW + ox] = best_idx;
    }
}

__kernel void maxpool_forward(__global const float *in, __global float *out,
                              __global int *argmax, int H, int W, int OH, int OW, int K,
                              int S, int n)
{
    maxpool_rows(in, out, argmax, H, W, OH, OW, K, S, n, 0);
}

/* max-pool(ReLU(in)) for inference, when the ReLU layer before the pool is skipped
 * (model.c): the same values and argmax as relu_forward then maxpool_forward,
 * without writing and reading back the ReLU's output. */
__kernel void maxpool_relu_forward(__global const float *in, __global float *out,
                                   __global int *argmax, int H, int W, int OH, int OW, int K,
                                   int S, int n)
{
    maxpool_rows(in, out, argmax, H, W, OH, OW, K, S, n, 1);
}

/* One work-item per input row (n = planes * H), like the forward pass. */
__kernel void maxpool_backward(__global const float *dout, __global const int *argmax,
                               __global float *din, int H, int W, int OH, int OW, int K,
                               int S, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int plane = i / H, y = i % H;
    int oy0 = y - K + 1 > 0 ? (y - K + S) / S : 0; /* ceil((y - K + 1) / S) */
    int oy1 = min(y / S, OH - 1);
    __global const float *d = dout + plane * OH * OW;
    __global const int *a = argmax + plane * OH * OW;
    if (K == S) { /* windows tile the plane: each input is in at most one, no divisions */
        int oy = y / S, x = 0;
        for (int ox = 0; ox < OW && oy < OH; ox++) {
            for (int kx = 0; kx < K; kx++, x++) {
                int o = oy * OW + ox;
                float sum = 0.0f;
                if (a[o] == y * W + x) sum += d[o];
                din[i * W + x] = sum;
            }
        }
        for (; x < W; x++) din[i * W + x] = 0.0f; /* rows and columns past the last window */
        if (oy >= OH)
            for (x = 0; x < W; x++) din[i * W + x] = 0.0f;
        return;
    }
    for (int x = 0; x < W; x++) {
        int p = y * W + x;
        int ox0 = x - K + 1 > 0 ? (x - K + S) / S : 0;
        int ox1 = min(x / S, OW - 1);
        float sum = 0.0f;
        for (int oy = oy0; oy <= oy1; oy++) {
            for (int ox = ox0; ox <= ox1; ox++) {
                int o = oy * OW + ox;
                if (a[o] == p) sum += d[o];
            }
        }
        din[i * W + x] = sum;
    }
}

/* 16 outputs of a 3x3 stride-2 window whose columns x0 .. x0 + 32 are all inside the row,
 * rows y0 .. y1 - 1: in vectors, the same comparisons in the same order as the scalar loop
 * below (ResNet's stem pool, 8% of resnet18's time before). Lane l's columns are
 * x0 + 2l + kx: the even and odd lanes of two adjacent loads. */
static inline void maxpool_pad_k3s2_16(__global const float *src, __global float *out,
                                       __global int *argmax, int y0, int y1, int W, int x0)
{
    const int16 lane2 = (int16)(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    float16 best = 0.0f;
    int16 best_idx = 0;
    for (int y = y0; y < y1; y++) {
        __global const float *row = src + y * W + x0;
        float16 a = vload16(0, row), b = vload16(0, row + 16);
        float16 c = vload16(0, row + 2), d = vload16(0, row + 18);
        float16 v[3] = {(float16)(a.even, b.even), (float16)(a.odd, b.odd), (float16)(c.even, d.even)};
        for (int kx = 0; kx < 3; kx++) {
            int16 idx = lane2 + (y * W + x0 + kx);
            int16 take = y == y0 && kx == 0 ? (int16)(-1) : (v[kx] > best) | isnan(v[kx]);
            best = select(best, v[kx], take);
            best_idx = select(best_idx, idx, take);
        }
    }
    vstore16(best, 0, out);
    vstore16(best_idx, 0, argmax);
}

/* With padding P (PyTorch's MaxPool2d(padding=P), P <= K / 2): padded positions are -inf,
 * so they never win; argmax indexes the unpadded plane. One work-item per output row
 * (n = planes * OH), the rows of the window clipped to the plane once per row. */
__kernel void maxpool_pad_forward(__global const float *in, __global float *out,
                                  __global int *argmax, int H, int W, int OH, int OW, int K,
                                  int S, int P, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int oy = i % OH, plane = i / OH;
    int y0 = max(oy * S - P, 0), y1 = min(oy * S - P + K, H);
    __global const float *src = in + (size_t)plane * H * W;
    for (int ox = 0; ox < OW; ox++) {
        if (K == 3 && S == 2 && P == 1 && ox >= 1 && 2 * ox + 32 < W) { /* 16 at once */
            maxpool_pad_k3s2_16(src, out + (size_t)i * OW + ox, argmax + (size_t)i * OW + ox, y0,
                                y1, W, 2 * ox - 1);
            ox += 15;
            continue;
        }
        int x0 = max(ox * S - P, 0), x1 = min(ox * S - P + K, W);
        float best = -INFINITY;
        int best_idx = -1;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                float v = src[y * W + x];
                if (best_idx < 0 || v > best || isnan(v)) { /* first maximum, NaN wins */
                    best = v;
                    best_idx = y * W + x;
                }
            }
        out[(size_t)i * OW + ox] = best;
        argmax[(size_t)i * OW + ox] = best_idx;
    }
}

/* The gather of maxpool_pad_forward: one work-item per input element. */
__kernel void maxpool_pad_backward(__global const float *dout, __global const int *argmax,
                                   __global float *din, int H, int W, int OH, int OW, int K,
                                   int S, int P, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int p = i % (H * W), plane = i / (H * W);
    int y = p / W + P, x = p % W + P; /* in padded coordinates */
    int oy0 = y - K + 1 > 0 ? (y - K + S) / S : 0, oy1 = min(y / S, OH - 1);
    int ox0 = x - K + 1 > 0 ? (x - K + S) / S : 0, ox1 = min(x / S, OW - 1);
    __global const float *d = dout + (size_t)plane * OH * OW;
    __global const int *a = argmax + (size_t)plane * OH * OW;
    float sum = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++)
            if (a[oy * OW + ox] == p) sum += d[oy * OW + ox];
    din[i] = sum;
}
