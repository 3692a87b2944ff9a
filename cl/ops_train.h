/* Host-side launchers of the training kernels (bias gradient, loss head, SGD, augmentation). */
#ifndef CLCAM_CL_OPS_TRAIN_H
#define CLCAM_CL_OPS_TRAIN_H

#include "runtime.h"

/* db [C] = sum over n and p of dout [batch, C, HW]. */
clcam_status op_bias_grad(cl_ctx *ctx, cl_mem dout, cl_mem db, int batch, int C, int HW,
                          clcam_err *err);
/* Mean softmax cross-entropy: dlogits [batch, classes] = (softmax - onehot) / batch; loss and
 * correct [batch] per image. labels int32 [batch]. */
clcam_status op_softmax_xent(cl_ctx *ctx, cl_mem logits, cl_mem labels, cl_mem dlogits,
                             cl_mem loss, cl_mem correct, int batch, int classes, clcam_err *err);
/* torch.optim.SGD on n parameters w with gradient grad and momentum buffer buf. */
clcam_status op_sgd_step(cl_ctx *ctx, cl_mem w, cl_mem grad, cl_mem buf, float lr, float momentum,
                         float weight_decay, int nesterov, int n, clcam_err *err);
/* dst = random crop (pad) and flip of src, both uint8 [batch, H, W, C]; index int32 [batch]
 * the images' rows in their split (the hash's counter). */
clcam_status op_augment(cl_ctx *ctx, cl_mem src, cl_mem dst, cl_mem index, unsigned seed,
                        unsigned epoch, int batch, int H, int W, int C, int pad, int flip,
                        clcam_err *err);

/* Training convolutions' operands for gemm_packed_nchw (cl/kernels/conv_train.cl). */
/* dout NCHW [batch, K, HW] as a [K, batch*HW] matrix: packed in panels of 16 columns
 * ([panels][K][16], zero-padded) when packed, else row-major. */
clcam_status op_nchw_rows16(cl_ctx *ctx, cl_mem src, cl_mem dst, int batch, int K, int HW,
                            int packed, clcam_err *err);
/* im2col's [C*k*k, batch*OH*OW] transposed and packed: [ceil(C*k*k / 16)][batch*OH*OW][16]. */
clcam_status op_im2col_tpacked(cl_ctx *ctx, cl_mem in, cl_mem dst, int batch, int C, int H,
                               int W, int k, int pad, int stride, int OH, int OW, clcam_err *err);
/* dst [cols, rows] = src [rows, cols]^T. */
clcam_status op_transpose(cl_ctx *ctx, cl_mem src, cl_mem dst, int rows, int cols, clcam_err *err);
/* Batch normalisation in training mode (cl/kernels/batchnorm_train.cl), x NCHW [batch, C, HW],
 * per-channel vectors [C]. Batch statistics mean and invstd = 1/sqrt(biased var + eps); with
 * update, running_mean and running_var follow PyTorch's rule (running = momentum * stat +
 * (1 - momentum) * running, the unbiased variance for running_var). batch * HW must be >= 2. */
clcam_status op_bn_stats(cl_ctx *ctx, cl_mem x, cl_mem mean, cl_mem invstd, cl_mem running_mean,
                         cl_mem running_var, int batch, int C, int HW, float eps, float momentum,
                         int update, clcam_err *err);
/* Eval mode's statistics: mean = running_mean, invstd = 1/sqrt(running_var + eps). */
clcam_status op_bn_running(cl_ctx *ctx, cl_mem running_mean, cl_mem running_var, cl_mem mean,
                           cl_mem invstd, int C, float eps, clcam_err *err);
/* y = (x - mean) * invstd * gamma + beta. */
clcam_status op_bn_forward(cl_ctx *ctx, cl_mem x, cl_mem y, cl_mem mean, cl_mem invstd,
                           cl_mem gamma, cl_mem beta, int batch, int C, int HW, clcam_err *err);
/* dgamma and dbeta (sums over the batch) from x, dy and the batch statistics. */
clcam_status op_bn_backward_params(cl_ctx *ctx, cl_mem x, cl_mem dy, cl_mem mean, cl_mem invstd,
                                   cl_mem dgamma, cl_mem dbeta, int batch, int C, int HW,
                                   clcam_err *err);
/* dx from dy through batch-statistics normalisation; dgamma and dbeta from
 * op_bn_backward_params. */
clcam_status op_bn_backward_data(cl_ctx *ctx, cl_mem x, cl_mem dy, cl_mem dx, cl_mem mean,
                                 cl_mem invstd, cl_mem gamma, cl_mem dgamma, cl_mem dbeta,
                                 int batch, int C, int HW, clcam_err *err);

#endif
