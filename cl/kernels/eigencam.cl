/* EigenCAM: per image, M = A as [HW, K] centred per channel, v the first right singular
 * vector of M (power iteration on C = M^T M, a fixed number of steps from a fixed start),
 * raw = ReLU(M v) with v's sign chosen so that the projection's largest-|.| value is
 * positive (the first such position on a tie). Fixed-order sums, no atomics. */
#pragma OPENCL FP_CONTRACT OFF

/* Mc[n, k, p] = A[n, k, p] - mean_p A[n, k, .]; one work-item per (image, channel). */
__kernel void eigencam_centre(__global const float *A, __global float *Mc, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    __global const float *a = A + i * HW;
    float sum = 0.0f;
    for (int p = 0; p < HW; p++) sum += a[p];
    float mean = sum / (float)HW;
    for (int p = 0; p < HW; p++) Mc[i * HW + p] = a[p] - mean;
}

/* C[n, j, k] = sum_p Mc[n, j, p] Mc[n, k, p]; one work-item per (image, j, k). */
__kernel void eigencam_gram(__global const float *Mc, __global float *C, int K, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int img = i / (K * K), j = (i / K) % K, k = i % K;
    __global const float *x = Mc + (img * K + j) * HW, *y = Mc + (img * K + k) * HW;
    float sum = 0.0f;
    for (int p = 0; p < HW; p++) sum += x[p] * y[p];
    C[i] = sum;
}

/* out[n] = (C[n] / t)^2 with t = trace(C[n]) (0 when t is 0): same eigenvectors, the gap
 * between the first two eigenvalues squared, and entries kept below 1 (C is a Gram matrix).
 * One work-item per (image, row j, block of 16 columns): the row of C[n] times 16 columns as
 * one float16, so the trace is summed once per 16 outputs and the columns' values are read
 * as contiguous rows. Each output is the same sum over q in order as one work-item per output
 * computed (separate multiply and add). n = batch * K * ceil(K / 16). */
__kernel void eigencam_square(__global const float *C, __global float *out, int K, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int KB = (K + 15) / 16;
    int img = i / (K * KB), j = (i / KB) % K, k0 = (i % KB) * 16;
    __global const float *c = C + img * K * K, *row = c + j * K;
    float t = 0.0f;
    for (int q = 0; q < K; q++) t += c[q * K + q];
    float scale = t > 0.0f ? t * t : 0.0f;
    __global float *o = out + (img * K + j) * K + k0;
    if (k0 + 16 <= K) {
        float16 sum = 0.0f;
        for (int q = 0; q < K; q++) sum += (float16)(row[q]) * vload16(0, c + q * K + k0);
        vstore16(scale > 0.0f ? sum / (float16)(scale) : (float16)(0.0f), 0, o);
        return;
    }
    for (int k = k0; k < K; k++) { /* the last columns when K is not a multiple of 16 */
        float sum = 0.0f;
        for (int q = 0; q < K; q++) sum += row[q] * c[q * K + k];
        o[k - k0] = scale > 0.0f ? sum / scale : 0.0f;
    }
}

/* One power step: out[n, j] = (C v)[j] / ||v||, 0 when v is zero; one work-item per
 * (image, j). v = NULL is not allowed: the first step reads the start vector from v. */
__kernel void eigencam_power_step(__global const float *C, __global const float *v,
                                  __global float *out, int K, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int img = i / K, j = i % K;
    __global const float *vi = v + img * K, *c = C + (img * K + j) * K;
    float ss = 0.0f, sum = 0.0f;
    for (int k = 0; k < K; k++) ss += vi[k] * vi[k];
    for (int k = 0; k < K; k++) sum += c[k] * vi[k];
    float norm = sqrt(ss);
    out[i] = norm > 0.0f ? sum / norm : 0.0f;
}

/* The start vector, v[n, k] = 1 + k / K (not orthogonal to a typical first component). */
__kernel void eigencam_start(__global float *v, int K, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    v[i] = 1.0f + (float)(i % K) / (float)K;
}

/* Per image: v normalised to unit length with the sign convention, in place. */
__kernel void eigencam_sign(__global const float *Mc, __global float *v, int K, int HW, int n)
{
    int img = get_global_id(0);
    if (img >= n) return;
    __global float *vi = v + img * K;
    __global const float *m = Mc + img * K * HW;
    float ss = 0.0f, best = 0.0f;
    for (int k = 0; k < K; k++) ss += vi[k] * vi[k];
    float norm = sqrt(ss);
    for (int p = 0; p < HW; p++) {
        float s = 0.0f;
        for (int k = 0; k < K; k++) s += m[k * HW + p] * vi[k];
        if (fabs(s) > fabs(best)) best = s;
    }
    float f = norm > 0.0f ? (best < 0.0f ? -1.0f : 1.0f) / norm : 0.0f;
    for (int k = 0; k < K; k++) vi[k] *= f;
}

/* raw[n, p] = ReLU(sum_k Mc[n, k, p] v[n, k]); one work-item per (image, pixel). */
__kernel void eigencam_project(__global const float *Mc, __global const float *v,
                               __global float *raw, int K, int HW, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int img = i / HW, p = i % HW;
    __global const float *m = Mc + img * K * HW + p, *vi = v + img * K;
    float s = 0.0f;
    for (int k = 0; k < K; k++) s += m[k * HW] * vi[k];
    raw[i] = s > 0.0f ? s : 0.0f;
}
