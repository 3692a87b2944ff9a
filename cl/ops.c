#include "ops.h"
#include "profile.h"

/* Each launcher: look the kernel up, set its arguments in order, launch one item per output. */

clcam_status op_preprocess(cl_ctx *ctx, cl_mem src_u8, cl_mem dst, cl_mem mean_std,
                           float scale, int batch, int C, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * C * HW;
    TRY(cl_ctx_kernel(ctx, "preprocess_u8_nhwc", &k, err));
    KARG(k, 0, src_u8); KARG(k, 1, dst); KARG(k, 2, mean_std); KARG(k, 3, scale);
    KARG(k, 4, C); KARG(k, 5, HW); KARG(k, 6, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_bias_add(cl_ctx *ctx, cl_mem x, cl_mem bias, int batch, int C, int HW,
                         clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * C * HW;
    TRY(cl_ctx_kernel(ctx, "bias_add_nchw", &k, err));
    KARG(k, 0, x); KARG(k, 1, bias); KARG(k, 2, C); KARG(k, 3, HW); KARG(k, 4, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

/* The arguments both im2col kernels take; n work-items. */
static clcam_status im2col_launch(cl_ctx *ctx, const char *name, int n, cl_mem in, int img0, cl_mem col,
                                  int batch, int C, int H, int W, int k, int pad, int stride, int OH,
                                  int OW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel kn;
    int off = img0 * C * H * W;
    TRY(cl_ctx_kernel(ctx, name, &kn, err));
    KARG(kn, 0, in); KARG(kn, 1, off); KARG(kn, 2, col); KARG(kn, 3, C); KARG(kn, 4, H);
    KARG(kn, 5, W); KARG(kn, 6, k); KARG(kn, 7, pad); KARG(kn, 8, stride); KARG(kn, 9, OH);
    KARG(kn, 10, OW); KARG(kn, 11, batch); KARG(kn, 12, n);
    TRY(cl_ctx_launch1d(ctx, kn, (size_t)n, err));
exit:
    return st;
}

clcam_status op_im2col(cl_ctx *ctx, cl_mem in, int img0, cl_mem col, int batch, int C, int H,
                       int W, int k, int pad, int stride, int OH, int OW, clcam_err *err)
{
    return im2col_launch(ctx, "im2col_batch", C * k * k * batch * OH * OW, in, img0, col, batch, C,
                         H, W, k, pad, stride, OH, OW, err);
}

clcam_status op_im2col_packed(cl_ctx *ctx, cl_mem in, int img0, cl_mem col, int batch, int C,
                              int H, int W, int k, int pad, int stride, int OH, int OW,
                              clcam_err *err)
{
    /* a work-item per 16 rows x 16 columns */
    int panels = (batch * OH * OW + 15) / 16;
    return im2col_launch(ctx, "im2col_packed16", (C * k * k + 15) / 16 * panels, in, img0, col,
                         batch, C, H, W, k, pad, stride, OH, OW, err);
}

clcam_status op_gemm_nchw(cl_ctx *ctx, int M, int N, int K, cl_mem A, cl_mem B, cl_mem bias,
                          cl_mem out, int out_base, int P, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int has_bias = bias != NULL;
    cl_mem b = has_bias ? bias : A; /* any valid buffer when there is no bias */
    size_t global[2] = {(size_t)(M + 7) / 8, (size_t)(N + 15) / 16};
    TRY(cl_ctx_kernel(ctx, "gemm_packed_nchw", &k, err));
    KARG(k, 0, M); KARG(k, 1, N); KARG(k, 2, K); KARG(k, 3, A); KARG(k, 4, B); KARG(k, 5, b);
    KARG(k, 6, has_bias); KARG(k, 7, out); KARG(k, 8, out_base); KARG(k, 9, P);
    CL_TRY(clEnqueueNDRangeKernel(ctx->queue, k, 2, NULL, global, NULL, 0, NULL,
                                  cl_profile_slot(ctx, "gemm_packed_nchw")));
    TRY(cl_ctx_after_enqueue(ctx, "gemm_packed_nchw", err));
exit:
    return st;
}

clcam_status op_conv_permute_bias(cl_ctx *ctx, cl_mem tmp, cl_mem bias, cl_mem out, int img0,
                                  int batch, int K, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * K * HW, off = img0 * K * HW;
    TRY(cl_ctx_kernel(ctx, "conv_permute_bias", &k, err));
    KARG(k, 0, tmp); KARG(k, 1, bias); KARG(k, 2, out); KARG(k, 3, off); KARG(k, 4, K);
    KARG(k, 5, HW); KARG(k, 6, batch); KARG(k, 7, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_conv_unpermute(cl_ctx *ctx, cl_mem dout, cl_mem tmp, int batch, int K, int HW,
                               clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * K * HW;
    TRY(cl_ctx_kernel(ctx, "conv_unpermute", &k, err));
    KARG(k, 0, dout); KARG(k, 1, tmp); KARG(k, 2, K); KARG(k, 3, HW); KARG(k, 4, batch);
    KARG(k, 5, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_col2im(cl_ctx *ctx, cl_mem col, cl_mem din, int batch, int C, int H, int W,
                       int k, int pad, int stride, int OH, int OW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel kn;
    int n = batch * C * H; /* a work-item per input row */
    TRY(cl_ctx_kernel(ctx, "col2im_rows", &kn, err));
    KARG(kn, 0, col); KARG(kn, 1, din); KARG(kn, 2, C); KARG(kn, 3, H); KARG(kn, 4, W);
    KARG(kn, 5, k); KARG(kn, 6, pad); KARG(kn, 7, stride); KARG(kn, 8, OH); KARG(kn, 9, OW);
    KARG(kn, 10, batch); KARG(kn, 11, n);
    TRY(cl_ctx_launch1d(ctx, kn, (size_t)n, err));
exit:
    return st;
}

clcam_status op_relu_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int n, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "relu_forward", &k, err));
    KARG(k, 0, in); KARG(k, 1, out); KARG(k, 2, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_relu_backward(cl_ctx *ctx, cl_mem out, cl_mem dout, cl_mem din, int n,
                              clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "relu_backward", &k, err));
    KARG(k, 0, out); KARG(k, 1, dout); KARG(k, 2, din); KARG(k, 3, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

static clcam_status maxpool_launch(cl_ctx *ctx, const char *name, cl_mem a, cl_mem b, cl_mem c,
                                   int planes, int H, int W, int K, int S, int forward,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int OH = pool_out_size(H, K, S), OW = pool_out_size(W, K, S);
    int n = forward ? planes * OH : planes * H; /* a work-item per output / input row */
    TRY(cl_ctx_kernel(ctx, name, &k, err));
    KARG(k, 0, a); KARG(k, 1, b); KARG(k, 2, c); KARG(k, 3, H); KARG(k, 4, W);
    KARG(k, 5, OH); KARG(k, 6, OW); KARG(k, 7, K); KARG(k, 8, S); KARG(k, 9, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_maxpool_forward(cl_ctx *ctx, cl_mem in, cl_mem out, cl_mem argmax, int planes,
                                int H, int W, int K, int S, clcam_err *err)
{
    return maxpool_launch(ctx, "maxpool_forward", in, out, argmax, planes, H, W, K, S, 1, err);
}

clcam_status op_maxpool_relu_forward(cl_ctx *ctx, cl_mem in, cl_mem out, cl_mem argmax,
                                     int planes, int H, int W, int K, int S, clcam_err *err)
{
    return maxpool_launch(ctx, "maxpool_relu_forward", in, out, argmax, planes, H, W, K, S, 1, err);
}

clcam_status op_maxpool_backward(cl_ctx *ctx, cl_mem dout, cl_mem argmax, cl_mem din,
                                 int planes, int H, int W, int K, int S, clcam_err *err)
{
    return maxpool_launch(ctx, "maxpool_backward", dout, argmax, din, planes, H, W, K, S, 0, err);
}

static clcam_status avgpool_launch(cl_ctx *ctx, const char *name, cl_mem a, cl_mem b, int planes,
                                   int H, int W, int KH, int KW, int SH, int SW, int forward,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int OH = pool_out_size(H, KH, SH), OW = pool_out_size(W, KW, SW);
    int n = forward ? planes * OH * OW : planes * H * W;
    TRY(cl_ctx_kernel(ctx, name, &k, err));
    KARG(k, 0, a); KARG(k, 1, b); KARG(k, 2, H); KARG(k, 3, W); KARG(k, 4, OH); KARG(k, 5, OW);
    KARG(k, 6, KH); KARG(k, 7, KW); KARG(k, 8, SH); KARG(k, 9, SW); KARG(k, 10, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_avgpool_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int planes, int H, int W,
                                int KH, int KW, int SH, int SW, clcam_err *err)
{
    return avgpool_launch(ctx, "avgpool_forward", in, out, planes, H, W, KH, KW, SH, SW, 1, err);
}

clcam_status op_avgpool_backward(cl_ctx *ctx, cl_mem dout, cl_mem din, int planes, int H, int W,
                                 int KH, int KW, int SH, int SW, clcam_err *err)
{
    return avgpool_launch(ctx, "avgpool_backward", dout, din, planes, H, W, KH, KW, SH, SW, 0, err);
}

clcam_status op_softmax(cl_ctx *ctx, cl_mem logits, cl_mem probs, int batch, int classes,
                        clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "softmax_rows", &k, err));
    KARG(k, 0, logits); KARG(k, 1, probs); KARG(k, 2, classes); KARG(k, 3, batch);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)batch, err));
exit:
    return st;
}

clcam_status op_select_targets(cl_ctx *ctx, cl_mem logits, cl_mem labels, cl_mem pred,
                               cl_mem targets, int batch, int classes, int mode, int cls, int T,
                               clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    if (!labels) labels = pred; /* never read unless mode is 1; a valid buffer keeps drivers happy */
    TRY(cl_ctx_kernel(ctx, "select_targets", &k, err));
    KARG(k, 0, logits); KARG(k, 1, labels); KARG(k, 2, pred); KARG(k, 3, targets);
    KARG(k, 4, classes); KARG(k, 5, mode); KARG(k, 6, cls); KARG(k, 7, T); KARG(k, 8, batch);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)batch, err));
exit:
    return st;
}

clcam_status op_onehot_rank(cl_ctx *ctx, cl_mem targets, cl_mem dlogits, int batch, int classes,
                            int T, int rank, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * classes;
    TRY(cl_ctx_kernel(ctx, "onehot_rank", &k, err));
    KARG(k, 0, targets); KARG(k, 1, dlogits); KARG(k, 2, classes); KARG(k, 3, T);
    KARG(k, 4, rank); KARG(k, 5, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_gradcam_weights(cl_ctx *ctx, cl_mem dA, cl_mem w, int batch, int K, int HW,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * K;
    TRY(cl_ctx_kernel(ctx, "gradcam_weights", &k, err));
    KARG(k, 0, dA); KARG(k, 1, w); KARG(k, 2, HW); KARG(k, 3, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_cam_weighted_relu(cl_ctx *ctx, cl_mem A, cl_mem w, cl_mem raw, int batch,
                                  int K, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * HW;
    TRY(cl_ctx_kernel(ctx, "cam_weighted_relu", &k, err));
    KARG(k, 0, A); KARG(k, 1, w); KARG(k, 2, raw); KARG(k, 3, K); KARG(k, 4, HW); KARG(k, 5, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

int op_gradcam_fused_fits(const cl_ctx *ctx, int K)
{
    return sizeof(float) * (size_t)K <= ctx->local_mem;
}

clcam_status op_gradcam_fused(cl_ctx *ctx, cl_mem dA, cl_mem A, cl_mem raw, int batch, int K,
                              int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    size_t local;
    TRY(cl_ctx_kernel(ctx, "gradcam_fused", &k, err));
    /* enough items for the larger of the two loops (K weights, HW pixels), within the
     * kernel's and device's limits */
    local = cl_ctx_reduce_wg(ctx, "gradcam_fused", 256);
    while (local > 1 && local / 2 >= (size_t)(K > HW ? K : HW)) local /= 2;
    KARG(k, 0, dA); KARG(k, 1, A); KARG(k, 2, raw); KARG(k, 3, K); KARG(k, 4, HW);
    CL_TRY(clSetKernelArg(k, 5, sizeof(float) * (size_t)K, NULL));
    TRY(cl_ctx_launch_groups(ctx, k, (size_t)batch, local, err));
exit:
    return st;
}

clcam_status op_cam_upsample(cl_ctx *ctx, cl_mem raw, cl_mem up, int batch, int h, int w,
                             int H, int W, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * H * W;
    TRY(cl_ctx_kernel(ctx, "cam_upsample_bilinear", &k, err));
    KARG(k, 0, raw); KARG(k, 1, up); KARG(k, 2, h); KARG(k, 3, w); KARG(k, 4, H);
    KARG(k, 5, W); KARG(k, 6, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_cam_normalise(cl_ctx *ctx, cl_mem up, cl_mem cam, int batch, int HW, int T,
                              int rank, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    size_t local;
    TRY(cl_ctx_kernel(ctx, "cam_minmax_normalise", &k, err));
    /* Work-group size from the kernel's and device's limits, and local memory to match. */
    local = cl_ctx_reduce_wg(ctx, "cam_minmax_normalise", 256);
    while (local > 1 && 2 * local * sizeof(float) > ctx->local_mem) local /= 2;
    KARG(k, 0, up); KARG(k, 1, cam); KARG(k, 2, HW); KARG(k, 3, T); KARG(k, 4, rank);
    CL_TRY(clSetKernelArg(k, 5, 2 * local * sizeof(float), NULL));
    TRY(cl_ctx_launch_groups(ctx, k, (size_t)batch, local, err));
exit:
    return st;
}

clcam_status op_cam_upsample_normalise(cl_ctx *ctx, cl_mem raw, cl_mem cam, int batch, int h,
                                       int w, int H, int W, int T, int rank, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    size_t local;
    TRY(cl_ctx_kernel(ctx, "cam_upsample_normalise", &k, err));
    /* as op_cam_normalise: the work-group from the limits, local memory to match */
    local = cl_ctx_reduce_wg(ctx, "cam_upsample_normalise", 256);
    while (local > 1 && 2 * local * sizeof(float) > ctx->local_mem) local /= 2;
    KARG(k, 0, raw); KARG(k, 1, cam); KARG(k, 2, h); KARG(k, 3, w); KARG(k, 4, H); KARG(k, 5, W);
    KARG(k, 6, T); KARG(k, 7, rank);
    CL_TRY(clSetKernelArg(k, 8, 2 * local * sizeof(float), NULL));
    TRY(cl_ctx_launch_groups(ctx, k, (size_t)batch, local, err));
exit:
    return st;
}

clcam_status op_cam_store_rank(cl_ctx *ctx, cl_mem src, cl_mem dst, int batch, int HW, int T,
                               int rank, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * HW;
    TRY(cl_ctx_kernel(ctx, "cam_store_rank", &k, err));
    KARG(k, 0, src); KARG(k, 1, dst); KARG(k, 2, HW); KARG(k, 3, T); KARG(k, 4, rank); KARG(k, 5, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

static clcam_status cam_ag_weights(cl_ctx *ctx, const char *name, cl_mem A, cl_mem G, cl_mem w,
                                   int batch, int K, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * K;
    TRY(cl_ctx_kernel(ctx, name, &k, err));
    KARG(k, 0, A); KARG(k, 1, G); KARG(k, 2, w); KARG(k, 3, HW); KARG(k, 4, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_gradcampp_weights(cl_ctx *ctx, cl_mem A, cl_mem G, cl_mem w, int batch, int K,
                                  int HW, clcam_err *err)
{
    return cam_ag_weights(ctx, "gradcampp_weights", A, G, w, batch, K, HW, err);
}

clcam_status op_xgradcam_weights(cl_ctx *ctx, cl_mem A, cl_mem G, cl_mem w, int batch, int K,
                                 int HW, clcam_err *err)
{
    return cam_ag_weights(ctx, "xgradcam_weights", A, G, w, batch, K, HW, err);
}

clcam_status op_cam_elementwise_relu(cl_ctx *ctx, cl_mem A, cl_mem G, cl_mem raw, int batch,
                                     int K, int HW, int mode, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * HW;
    TRY(cl_ctx_kernel(ctx, "cam_elementwise_relu", &k, err));
    KARG(k, 0, A); KARG(k, 1, G); KARG(k, 2, raw); KARG(k, 3, K); KARG(k, 4, HW);
    KARG(k, 5, mode); KARG(k, 6, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_eigencam(cl_ctx *ctx, cl_mem A, cl_mem Mc, cl_mem C, cl_mem C2, cl_mem v,
                         cl_mem tmp, cl_mem raw, int batch, int K, int HW, int squarings,
                         int iters, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int nk = batch * K, nkk = batch * K * K, nr = batch * HW;
    cl_mem src = v, dst = tmp;
    TRY(cl_ctx_kernel(ctx, "eigencam_centre", &k, err));
    KARG(k, 0, A); KARG(k, 1, Mc); KARG(k, 2, HW); KARG(k, 3, nk);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)nk, err));
    TRY(cl_ctx_kernel(ctx, "eigencam_gram", &k, err));
    KARG(k, 0, Mc); KARG(k, 1, C); KARG(k, 2, K); KARG(k, 3, HW); KARG(k, 4, nkk);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)nkk, err));
    TRY(cl_ctx_kernel(ctx, "eigencam_square", &k, err));
    for (int s = 0; s < squarings; s++) { /* an odd count ends in C2: the steps read that */
        cl_mem from = s % 2 ? C2 : C, to = s % 2 ? C : C2;
        int nsq = nk * ((K + 15) / 16); /* (image, row, block of 16 columns) */
        KARG(k, 0, from); KARG(k, 1, to); KARG(k, 2, K); KARG(k, 3, nsq);
        TRY(cl_ctx_launch1d(ctx, k, (size_t)nsq, err));
    }
    if (squarings % 2) C = C2;
    TRY(cl_ctx_kernel(ctx, "eigencam_start", &k, err));
    KARG(k, 0, v); KARG(k, 1, K); KARG(k, 2, nk);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)nk, err));
    TRY(cl_ctx_kernel(ctx, "eigencam_power_step", &k, err));
    /* an even number of steps ends in v */
    for (int it = 0; it < iters + (iters & 1); it++) {
        KARG(k, 0, C); KARG(k, 1, src); KARG(k, 2, dst); KARG(k, 3, K); KARG(k, 4, nk);
        TRY(cl_ctx_launch1d(ctx, k, (size_t)nk, err));
        src = dst;
        dst = src == v ? tmp : v;
    }
    TRY(cl_ctx_kernel(ctx, "eigencam_sign", &k, err));
    KARG(k, 0, Mc); KARG(k, 1, v); KARG(k, 2, K); KARG(k, 3, HW); KARG(k, 4, batch);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)batch, err));
    TRY(cl_ctx_kernel(ctx, "eigencam_project", &k, err));
    KARG(k, 0, Mc); KARG(k, 1, v); KARG(k, 2, raw); KARG(k, 3, K); KARG(k, 4, HW); KARG(k, 5, nr);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)nr, err));
exit:
    return st;
}

clcam_status op_scorecam_minmax(cl_ctx *ctx, cl_mem A, cl_mem mm, int batch, int K, int h,
                                int w, int H, int W, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * K;
    TRY(cl_ctx_kernel(ctx, "scorecam_minmax", &k, err));
    KARG(k, 0, A); KARG(k, 1, mm); KARG(k, 2, h); KARG(k, 3, w); KARG(k, 4, H); KARG(k, 5, W);
    KARG(k, 6, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_scorecam_mask_input(cl_ctx *ctx, cl_mem input, cl_mem A, cl_mem mm,
                                    cl_mem masked, int C, int K, int h, int w, int H, int W,
                                    int first, int count, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = count * C * H * W;
    TRY(cl_ctx_kernel(ctx, "scorecam_mask_input", &k, err));
    KARG(k, 0, input); KARG(k, 1, A); KARG(k, 2, mm); KARG(k, 3, masked); KARG(k, 4, C);
    KARG(k, 5, h); KARG(k, 6, w); KARG(k, 7, H); KARG(k, 8, W); KARG(k, 9, K);
    KARG(k, 10, first); KARG(k, 11, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_scorecam_weights(cl_ctx *ctx, cl_mem logits, cl_mem targets, cl_mem w,
                                 int batch, int K, int classes, int T, int rank, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "scorecam_weights", &k, err));
    KARG(k, 0, logits); KARG(k, 1, targets); KARG(k, 2, w); KARG(k, 3, K); KARG(k, 4, classes);
    KARG(k, 5, T); KARG(k, 6, rank); KARG(k, 7, batch);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)batch, err));
exit:
    return st;
}
