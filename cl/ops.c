#include "ops.h"

/* Each launcher: look the kernel up, set its arguments in order, launch one item per output. */

clcam_status op_preprocess(cl_ctx *ctx, cl_mem src_u8, cl_mem dst, cl_mem mean_std,
                           float scale, int batch, int C, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * ((HW + 15) / 16); /* runs of 16 pixels (preprocess.cl) */
    TRY(cl_ctx_kernel(ctx, "preprocess_u8_nhwc", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(src_u8), CL_ARG(dst), CL_ARG(mean_std), CL_ARG(scale),
                CL_ARG(C), CL_ARG(HW), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(x), CL_ARG(bias), CL_ARG(C), CL_ARG(HW), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, kn, err, CL_ARG(in), CL_ARG(off), CL_ARG(col), CL_ARG(C), CL_ARG(H), CL_ARG(W),
                CL_ARG(k), CL_ARG(pad), CL_ARG(stride), CL_ARG(OH), CL_ARG(OW), CL_ARG(batch),
                CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(M), CL_ARG(N), CL_ARG(K), CL_ARG(A), CL_ARG(B), CL_ARG(b),
                CL_ARG(has_bias), CL_ARG(out), CL_ARG(out_base), CL_ARG(P)));
    TRY(cl_ctx_launch2d(ctx, k, global, err));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(tmp), CL_ARG(bias), CL_ARG(out), CL_ARG(off), CL_ARG(K),
                CL_ARG(HW), CL_ARG(batch), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(dout), CL_ARG(tmp), CL_ARG(K), CL_ARG(HW), CL_ARG(batch),
                CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, kn, err, CL_ARG(col), CL_ARG(din), CL_ARG(C), CL_ARG(H), CL_ARG(W), CL_ARG(k),
                CL_ARG(pad), CL_ARG(stride), CL_ARG(OH), CL_ARG(OW), CL_ARG(batch), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, kn, (size_t)n, err));
exit:
    return st;
}

clcam_status op_relu_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int n, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "relu_forward", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(in), CL_ARG(out), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(out), CL_ARG(dout), CL_ARG(din), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_add_pair(cl_ctx *ctx, cl_mem a, cl_mem b, cl_mem out, int relu, int n,
                         clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "add_pair", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(out), CL_ARG(relu), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_add_inplace_relu(cl_ctx *ctx, cl_mem acc, cl_mem x, int relu, int n,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "add_inplace_relu", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(acc), CL_ARG(x), CL_ARG(relu), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_add_inplace(cl_ctx *ctx, cl_mem acc, cl_mem x, int n, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "add_inplace", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(acc), CL_ARG(x), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

static clcam_status concat_launch(cl_ctx *ctx, const char *name, cl_mem a, cl_mem b, int batch,
                                  int chunk, int total, int offset, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, name, &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(batch), CL_ARG(chunk), CL_ARG(total),
                CL_ARG(offset)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)batch * chunk, err));
exit:
    return st;
}

clcam_status op_concat_copy(cl_ctx *ctx, cl_mem in, cl_mem out, int batch, int chunk, int total,
                            int offset, clcam_err *err)
{
    return concat_launch(ctx, "concat_copy", in, out, batch, chunk, total, offset, err);
}

clcam_status op_concat_slice(cl_ctx *ctx, cl_mem out, cl_mem in, int batch, int chunk, int total,
                             int offset, clcam_err *err)
{
    return concat_launch(ctx, "concat_slice", out, in, batch, chunk, total, offset, err);
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(c), CL_ARG(H), CL_ARG(W), CL_ARG(OH),
                CL_ARG(OW), CL_ARG(K), CL_ARG(S), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(H), CL_ARG(W), CL_ARG(OH), CL_ARG(OW),
                CL_ARG(KH), CL_ARG(KW), CL_ARG(SH), CL_ARG(SW), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(logits), CL_ARG(probs), CL_ARG(classes), CL_ARG(batch)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(logits), CL_ARG(labels), CL_ARG(pred), CL_ARG(targets),
                CL_ARG(classes), CL_ARG(mode), CL_ARG(cls), CL_ARG(T), CL_ARG(batch)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(targets), CL_ARG(dlogits), CL_ARG(classes), CL_ARG(T),
                CL_ARG(rank), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(dA), CL_ARG(w), CL_ARG(HW), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(A), CL_ARG(w), CL_ARG(raw), CL_ARG(K), CL_ARG(HW), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(dA), CL_ARG(A), CL_ARG(raw), CL_ARG(K), CL_ARG(HW),
                CL_ARG_LOCAL(sizeof(float) * (size_t)K)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(raw), CL_ARG(up), CL_ARG(h), CL_ARG(w), CL_ARG(H), CL_ARG(W),
                CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(up), CL_ARG(cam), CL_ARG(HW), CL_ARG(T), CL_ARG(rank),
                CL_ARG_LOCAL(2 * local * sizeof(float))));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(raw), CL_ARG(cam), CL_ARG(h), CL_ARG(w), CL_ARG(H), CL_ARG(W),
                CL_ARG(T), CL_ARG(rank), CL_ARG_LOCAL(2 * local * sizeof(float))));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(src), CL_ARG(dst), CL_ARG(HW), CL_ARG(T), CL_ARG(rank),
                CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(A), CL_ARG(G), CL_ARG(w), CL_ARG(HW), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(A), CL_ARG(G), CL_ARG(raw), CL_ARG(K), CL_ARG(HW), CL_ARG(mode),
                CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(A), CL_ARG(Mc), CL_ARG(HW), CL_ARG(nk)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)nk, err));
    TRY(cl_ctx_kernel(ctx, "eigencam_gram", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(Mc), CL_ARG(C), CL_ARG(K), CL_ARG(HW), CL_ARG(nkk)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)nkk, err));
    TRY(cl_ctx_kernel(ctx, "eigencam_square", &k, err));
    for (int s = 0; s < squarings; s++) { /* an odd count ends in C2: the steps read that */
        cl_mem from = s % 2 ? C2 : C, to = s % 2 ? C : C2;
        int nsq = nk * ((K + 15) / 16); /* (image, row, block of 16 columns) */
        TRY(CL_ARGS(ctx, k, err, CL_ARG(from), CL_ARG(to), CL_ARG(K), CL_ARG(nsq)));
        TRY(cl_ctx_launch1d(ctx, k, (size_t)nsq, err));
    }
    if (squarings % 2) C = C2;
    TRY(cl_ctx_kernel(ctx, "eigencam_start", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(v), CL_ARG(K), CL_ARG(nk)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)nk, err));
    TRY(cl_ctx_kernel(ctx, "eigencam_power_step", &k, err));
    /* an even number of steps ends in v */
    for (int it = 0; it < iters + (iters & 1); it++) {
        TRY(CL_ARGS(ctx, k, err, CL_ARG(C), CL_ARG(src), CL_ARG(dst), CL_ARG(K), CL_ARG(nk)));
        TRY(cl_ctx_launch1d(ctx, k, (size_t)nk, err));
        src = dst;
        dst = src == v ? tmp : v;
    }
    TRY(cl_ctx_kernel(ctx, "eigencam_sign", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(Mc), CL_ARG(v), CL_ARG(K), CL_ARG(HW), CL_ARG(batch)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)batch, err));
    TRY(cl_ctx_kernel(ctx, "eigencam_project", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(Mc), CL_ARG(v), CL_ARG(raw), CL_ARG(K), CL_ARG(HW),
                CL_ARG(nr)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(A), CL_ARG(mm), CL_ARG(h), CL_ARG(w), CL_ARG(H), CL_ARG(W),
                CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(input), CL_ARG(A), CL_ARG(mm), CL_ARG(masked), CL_ARG(C),
                CL_ARG(h), CL_ARG(w), CL_ARG(H), CL_ARG(W), CL_ARG(K), CL_ARG(first), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(logits), CL_ARG(targets), CL_ARG(w), CL_ARG(K), CL_ARG(classes),
                CL_ARG(T), CL_ARG(rank), CL_ARG(batch)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)batch, err));
exit:
    return st;
}
