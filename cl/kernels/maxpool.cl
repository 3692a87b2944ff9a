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
