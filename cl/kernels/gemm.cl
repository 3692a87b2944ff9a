/* Our own GEMM for devices where CLBlast's is slow (CPUs under PoCL, whose compiler does not
 * vectorise CLBlast's work-items): C = A[M, K] x B[K, N], A row-major, B packed in panels of
 * 16 columns ([N / 16][K][16], zero-padded to a multiple of 16: op_im2col_packed writes it), so
 * each work-item streams its panel contiguously and keeps GEMM_RB rows x 16 columns in float16
 * accumulators: explicit vector code. The result is written as a convolution's NCHW output
 * plus bias:  out[(n / P) * M * P + m * P + n % P] = C[m, n] + bias[m]
 * (P = N and no bias gives plain row-major C). Work-item (i, j) takes row block i and panel j;
 * dimension 0 runs fastest, so neighbouring work-items share the panel in cache. Each sum runs
 * over k in order, one fma a step: the same result on every run. */
#pragma OPENCL FP_CONTRACT OFF

#define GEMM_RB 8

__kernel void gemm_packed_nchw(int M, int N, int K, __global const float *A,
                               __global const float *Bp, __global const float *bias,
                               int has_bias, __global float *out, int out_base, int P)
{
    int m0 = get_global_id(0) * GEMM_RB, n0 = get_global_id(1) * 16;
    if (m0 >= M || n0 >= N) return;
    __global const float *panel = Bp + (n0 / 16) * K * 16;
    out += out_base;
    float16 acc[GEMM_RB];
    int rows = M - m0 < GEMM_RB ? M - m0 : GEMM_RB;
    if (rows == GEMM_RB) { /* written out: a loop over rows would keep acc in memory */
        __global const float *a = A + m0 * K;
        float16 c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f, c4 = 0.0f, c5 = 0.0f, c6 = 0.0f, c7 = 0.0f;
        for (int k = 0; k < K; k++) {
            float16 bk = vload16(k, panel);
            c0 = fma((float16)(a[k]), bk, c0);
            c1 = fma((float16)(a[K + k]), bk, c1);
            c2 = fma((float16)(a[2 * K + k]), bk, c2);
            c3 = fma((float16)(a[3 * K + k]), bk, c3);
            c4 = fma((float16)(a[4 * K + k]), bk, c4);
            c5 = fma((float16)(a[5 * K + k]), bk, c5);
            c6 = fma((float16)(a[6 * K + k]), bk, c6);
            c7 = fma((float16)(a[7 * K + k]), bk, c7);
        }
        acc[0] = c0, acc[1] = c1, acc[2] = c2, acc[3] = c3;
        acc[4] = c4, acc[5] = c5, acc[6] = c6, acc[7] = c7;
    } else { /* the last rows of M: the same arithmetic, fewer rows */
        for (int r = 0; r < rows; r++) {
            __global const float *a = A + (m0 + r) * K;
            float16 s = (float16)(0.0f);
            for (int k = 0; k < K; k++) s = fma((float16)(a[k]), vload16(k, panel), s);
            acc[r] = s;
        }
    }
    int img = n0 / P, p0 = n0 % P;
    if (n0 + 16 <= N && p0 + 16 <= P) { /* 16 columns of one image: vector stores */
        for (int r = 0; r < rows; r++) {
            float16 v = has_bias ? acc[r] + (float16)(bias[m0 + r]) : acc[r];
            vstore16(v, 0, out + (img * M + m0 + r) * P + p0);
        }
        return;
    }
    for (int r = 0; r < rows; r++) {
        float v[16];
        vstore16(acc[r], 0, v);
        for (int j = 0; j < 16 && n0 + j < N; j++) {
            int n = n0 + j;
            out[((n / P) * M + m0 + r) * P + n % P] = has_bias ? v[j] + bias[m0 + r] : v[j];
        }
    }
}
