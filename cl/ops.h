/* Host-side launchers of our OpenCL kernels, one per kernel; sizes are element counts. */
#ifndef CLCAM_CL_OPS_H
#define CLCAM_CL_OPS_H

#include "runtime.h"

clcam_status op_preprocess(cl_ctx *ctx, cl_mem src_u8, cl_mem dst, cl_mem mean_std,
                           float scale, int batch, int C, int HW, clcam_err *err);
clcam_status op_bias_add(cl_ctx *ctx, cl_mem x, cl_mem bias, int batch, int C, int HW,
                         clcam_err *err);
/* Patches of NCHW in [batch, C, H, W] (from image img0) into col [C*k*k, batch*OH*OW]. */
clcam_status op_im2col(cl_ctx *ctx, cl_mem in, int img0, cl_mem col, int batch, int C, int H,
                       int W, int k, int pad, int stride, int OH, int OW, clcam_err *err);
/* out[img0 + n, k, p] = tmp[k, n*HW + p] + bias[k]. */
/* im2col's patches packed in panels of 16 columns for op_gemm_nchw: R = C*k*k rows,
 * batch*OH*OW columns rounded up to 16, R * 16 * panels floats. */
clcam_status op_im2col_packed(cl_ctx *ctx, cl_mem in, int img0, cl_mem col, int batch, int C,
                              int H, int W, int k, int pad, int stride, int OH, int OW,
                              clcam_err *err);
/* Our GEMM (cl/kernels/gemm.cl): A[M, K] x B[K, N] + bias[m] (bias may be NULL), B packed as
 * op_im2col_packed writes it, into out from element out_base on, as NCHW with P = OH * OW
 * columns per image (P = N: plain row-major C). */
clcam_status op_gemm_nchw(cl_ctx *ctx, int M, int N, int K, cl_mem A, cl_mem B, cl_mem bias,
                          cl_mem out, int out_base, int P, clcam_err *err);
clcam_status op_conv_permute_bias(cl_ctx *ctx, cl_mem tmp, cl_mem bias, cl_mem out, int img0,
                                  int batch, int K, int HW, clcam_err *err);
/* tmp[k, n*HW + p] = dout[n, k, p]: the inverse of conv_permute_bias, without the bias. */
clcam_status op_conv_unpermute(cl_ctx *ctx, cl_mem dout, cl_mem tmp, int batch, int K, int HW,
                               clcam_err *err);
/* din [batch, C, H, W] = the sum of the entries of col [C*k*k, batch*OH*OW] that im2col
 * copied each input element to (a gather in a fixed order). */
clcam_status op_col2im(cl_ctx *ctx, cl_mem col, cl_mem din, int batch, int C, int H, int W,
                       int k, int pad, int stride, int OH, int OW, clcam_err *err);
clcam_status op_relu_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int n, clcam_err *err);
clcam_status op_relu_backward(cl_ctx *ctx, cl_mem out, cl_mem dout, cl_mem din, int n,
                              clcam_err *err);
/* planes = batch * channels. */
clcam_status op_maxpool_forward(cl_ctx *ctx, cl_mem in, cl_mem out, cl_mem argmax, int planes,
                                int H, int W, int K, int S, clcam_err *err);
/* acc[i] += x[i] for i < n. */
clcam_status op_add_inplace(cl_ctx *ctx, cl_mem acc, cl_mem x, int n, clcam_err *err);
/* out = a + b; acc += x; each ReLU'd (relu_forward's values) where relu (cl/kernels/add.cl). */
clcam_status op_add_pair(cl_ctx *ctx, cl_mem a, cl_mem b, cl_mem out, int relu, int n,
                         clcam_err *err);
clcam_status op_add_inplace_relu(cl_ctx *ctx, cl_mem acc, cl_mem x, int relu, int n,
                                 clcam_err *err);
/* Channel concatenation: each of batch images' chunk floats of in go to offset of the image's
 * total in out; concat_slice is the way back (the input's gradient). */
clcam_status op_concat_copy(cl_ctx *ctx, cl_mem in, cl_mem out, int batch, int chunk, int total,
                            int offset, clcam_err *err);
clcam_status op_concat_slice(cl_ctx *ctx, cl_mem out, cl_mem in, int batch, int chunk, int total,
                             int offset, clcam_err *err);
/* maxpool_forward of ReLU(in), bitwise as op_relu_forward then op_maxpool_forward (values
 * and argmax), for a ReLU fused into the max-pool after it at inference. */
clcam_status op_maxpool_relu_forward(cl_ctx *ctx, cl_mem in, cl_mem out, cl_mem argmax,
                                     int planes, int H, int W, int K, int S, clcam_err *err);
clcam_status op_maxpool_backward(cl_ctx *ctx, cl_mem dout, cl_mem argmax, cl_mem din,
                                 int planes, int H, int W, int K, int S, clcam_err *err);
/* Average pooling of planes = batch * channels planes, KH x KW windows, strides SH, SW. */
clcam_status op_avgpool_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int planes, int H, int W,
                                int KH, int KW, int SH, int SW, clcam_err *err);
clcam_status op_avgpool_backward(cl_ctx *ctx, cl_mem dout, cl_mem din, int planes, int H, int W,
                                 int KH, int KW, int SH, int SW, clcam_err *err);
clcam_status op_softmax(cl_ctx *ctx, cl_mem logits, cl_mem probs, int batch, int classes,
                        clcam_err *err);
/* pred [batch] and targets [batch * T]; mode: 0 predicted, 1 label, 2 fixed class cls (T = 1),
 * 3 the T most probable classes. labels may be NULL unless mode is 1. */
clcam_status op_select_targets(cl_ctx *ctx, cl_mem logits, cl_mem labels, cl_mem pred,
                               cl_mem targets, int batch, int classes, int mode, int cls, int T,
                               clcam_err *err);
/* dlogits [batch, classes] = one-hot at targets[b*T + rank]. */
clcam_status op_onehot_rank(cl_ctx *ctx, cl_mem targets, cl_mem dlogits, int batch, int classes,
                            int T, int rank, clcam_err *err);
clcam_status op_gradcam_weights(cl_ctx *ctx, cl_mem dA, cl_mem w, int batch, int K, int HW,
                                clcam_err *err);
clcam_status op_cam_weighted_relu(cl_ctx *ctx, cl_mem A, cl_mem w, cl_mem raw, int batch,
                                  int K, int HW, clcam_err *err);
/* Grad-CAM's raw map [batch, HW] from dA and A [batch, K, HW] in one kernel (the weights in
 * local memory), bitwise as op_gradcam_weights then op_cam_weighted_relu; only where
 * op_gradcam_fused_fits: K floats of local memory. */
int op_gradcam_fused_fits(const cl_ctx *ctx, int K);
clcam_status op_gradcam_fused(cl_ctx *ctx, cl_mem dA, cl_mem A, cl_mem raw, int batch, int K,
                              int HW, clcam_err *err);
clcam_status op_cam_upsample(cl_ctx *ctx, cl_mem raw, cl_mem up, int batch, int h, int w,
                             int H, int W, clcam_err *err);
/* cam [batch, T, HW] at rank: min-max normalised up [batch, HW]. */
clcam_status op_cam_normalise(cl_ctx *ctx, cl_mem up, cl_mem cam, int batch, int HW, int T,
                              int rank, clcam_err *err);
/* cam [batch, T, H*W] at rank: raw [batch, h, w] upsampled and normalised in one kernel,
 * bitwise as op_cam_upsample then op_cam_normalise, with no upsampled map in between. */
clcam_status op_cam_upsample_normalise(cl_ctx *ctx, cl_mem raw, cl_mem cam, int batch, int h,
                                       int w, int H, int W, int T, int rank, clcam_err *err);
/* dst [batch, T, HW] at rank = src [batch, HW]. */
clcam_status op_cam_store_rank(cl_ctx *ctx, cl_mem src, cl_mem dst, int batch, int HW, int T,
                               int rank, clcam_err *err);

/* Grad-CAM++ and XGrad-CAM channel weights w [batch, K] from A and G [batch, K, HW]. */
clcam_status op_gradcampp_weights(cl_ctx *ctx, cl_mem A, cl_mem G, cl_mem w, int batch, int K,
                                  int HW, clcam_err *err);
clcam_status op_xgradcam_weights(cl_ctx *ctx, cl_mem A, cl_mem G, cl_mem w, int batch, int K,
                                 int HW, clcam_err *err);
/* raw [batch, HW] = ReLU(sum_k f(G, A)); mode 0 G A, 1 relu(G) A, 2 relu(G A). */
clcam_status op_cam_elementwise_relu(cl_ctx *ctx, cl_mem A, cl_mem G, cl_mem raw, int batch,
                                     int K, int HW, int mode, clcam_err *err);
/* EigenCAM: Mc [batch, K, HW] centred A; C and C2 [batch, K, K] its Gram matrix, squared
 * `squarings` times (each scaled by 1/trace^2) in place of as many power steps; v and tmp
 * [batch, K]; iters power steps from the fixed start, then the sign convention; raw
 * [batch, HW]. */
clcam_status op_eigencam(cl_ctx *ctx, cl_mem A, cl_mem Mc, cl_mem C, cl_mem C2, cl_mem v,
                         cl_mem tmp, cl_mem raw, int batch, int K, int HW, int squarings,
                         int iters, clcam_err *err);
/* Score-CAM: mm [batch * K, 2] min/max of each channel upsampled (align_corners=True) to HxW;
 * masked [count, C, H, W] for masked images first..first+count-1 (image q / K, channel q % K);
 * w [batch, K] softmax over k of logits [batch * K, classes] at the rank's target. */
clcam_status op_scorecam_minmax(cl_ctx *ctx, cl_mem A, cl_mem mm, int batch, int K, int h,
                                int w, int H, int W, clcam_err *err);
clcam_status op_scorecam_mask_input(cl_ctx *ctx, cl_mem input, cl_mem A, cl_mem mm,
                                    cl_mem masked, int C, int K, int h, int w, int H, int W,
                                    int first, int count, clcam_err *err);
clcam_status op_scorecam_weights(cl_ctx *ctx, cl_mem logits, cl_mem targets, cl_mem w,
                                 int batch, int K, int classes, int T, int rank, clcam_err *err);

/* Output size of a floor-mode pooling window. */
static inline int pool_out_size(int in, int k, int s) { return in < k ? 0 : (in - k) / s + 1; }

#endif
