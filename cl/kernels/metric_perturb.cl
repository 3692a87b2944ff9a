/* The perturbed copies of a batch's inputs for the faithfulness metrics and the scores read
 * from the network's logits on them (cl/ops_metrics.h has the conventions: copy q = b * S + s,
 * a chunk holds copies first .. first + count - 1). */
#pragma OPENCL FP_CONTRACT OFF

/* Confidence change: chunk[j] = input[b] * map[b], b = first + j (S = 1); space 1 multiplies
 * the image in [0, 1] (input * std + mean) and normalises again. n = count * C * HW. */
__kernel void metric_mult(__global const float *input, __global const float *maps, int T,
                          int rank_t, __global const float *mean_std, int space,
                          __global float *chunk, int C, int HW, int first, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int j = i / (C * HW), c = (i / HW) % C, p = i % HW, b = first + j;
    float x = input[(b * C + c) * HW + p], m = maps[(b * T + rank_t) * HW + p];
    if (space == 0) {
        chunk[i] = x * m;
    } else {
        float mean = mean_std[c], sd = mean_std[3 + c];
        chunk[i] = ((x * sd + mean) * m - mean) / sd;
    }
}

/* Deletion (insertion = 0) and insertion: copy q = first + j of image b = q / K, step
 * s = q % K (+ 1 for deletion): the n = floor(step * HW / K) pixels of rank < n come from
 * `from`, the others from `base` (deletion: 0 and input; insertion: input and blurred).
 * One work-item per 16 pixels of a copy, every channel: the index divisions once per 16 C
 * values, not per value (they were most of this kernel's time). n_items = count * segments
 * of 16 pixels. */
__kernel void metric_steps(__global const float *input, __global const float *blurred,
                           __global const int *rank, int insertion, int K, __global float *chunk,
                           int C, int HW, int first, int n_items)
{
    int i = get_global_id(0);
    if (i >= n_items) return;
    int n_seg = (HW + 15) / 16, j = i / n_seg, p0 = i % n_seg * 16, q = first + j, b = q / K;
    int p1 = min(p0 + 16, HW);
    long step = q % K + (insertion ? 0 : 1);
    int n = (int)(step * HW / K);
    for (int p = p0; p < p1; p++) {
        bool in_top = rank[b * HW + p] < n;
        for (int c = 0; c < C; c++) {
            int at = (b * C + c) * HW + p, to = (j * C + c) * HW + p;
            if (insertion)
                chunk[to] = in_top ? input[at] : blurred[at];
            else
                chunk[to] = in_top ? 0.0f : input[at];
        }
    }
}

/* One pass of the separable Gaussian blur with zero padding, along x (dx = 1) or y (dx = 0)
 * of each [H, W] plane: the weighted sum over offsets -R..R, weights exp(-d^2 / (2 sigma^2)),
 * divided by their sum over all 2R + 1 offsets (outside the image too, as a conv2d with a
 * normalised kernel); R = 0 copies. The weights come by recurrence, w(d + 1) = w(d) r(d),
 * r(d) = exp(-(2d + 1) / (2 sigma^2)), r(d + 1) = r(d) exp(-1 / sigma^2): two exp calls per
 * item instead of 2R + 1. n = planes * H * W. */
__kernel void metric_blur_pass(__global const float *in, __global float *out, int H, int W,
                               int R, float sigma, int dx, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    if (R == 0) {
        out[i] = in[i];
        return;
    }
    int HW = H * W, p = i % HW, y = p / W, x = p % W, at = dx ? x : y, len = dx ? W : H;
    int step = dx ? 1 : W;
    __global const float *line = in + (i - p) + (dx ? y * W : x);
    float two_s2 = 2.0f * sigma * sigma;
    float w = 1.0f, r = exp(-1.0f / two_s2), q = exp(-2.0f / two_s2);
    float sum = 1.0f, acc = line[at * step];
    for (int d = 1; d <= R; d++) {
        w *= r;
        r *= q;
        float pair = 0.0f;
        if (at - d >= 0) pair += line[(at - d) * step];
        if (at + d < len) pair += line[(at + d) * step];
        sum += 2.0f * w;
        acc += w * pair;
    }
    out[i] = acc / sum;
}

/* scores[first + i] = softmax(logits[i])[target], target = targets[(q / S) * T + rank_t],
 * q = first + i; max subtracted first. n = count. */
__kernel void metric_score(__global const float *logits, __global const int *targets, int T,
                           int rank_t, int classes, int S, __global float *scores, int first,
                           int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int q = first + i, t = targets[(q / S) * T + rank_t];
    __global const float *l = logits + i * classes;
    float mx = -INFINITY, sum = 0.0f;
    for (int c = 0; c < classes; c++) mx = fmax(mx, l[c]);
    for (int c = 0; c < classes; c++) sum += exp(l[c] - mx);
    scores[q] = exp(l[t] - mx) / sum;
}
