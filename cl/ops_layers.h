/* Launchers of the kernels of the layers graph models brought in (issue 13): grouped and
 * depthwise convolution, clip, zero padding, padded pooling, eval-mode batchnorm's backward
 * pass. Sizes are element counts; planes = batch * channels. */
#ifndef CLCAM_CL_OPS_LAYERS_H
#define CLCAM_CL_OPS_LAYERS_H

#include "runtime.h"

/* Output size of a floor-mode window of k with stride s over in + 2 * pad. */
static inline int pool_out_size_pad(int in, int k, int s, int pad)
{
    return in + 2 * pad < k ? 0 : (in + 2 * pad - k) / s + 1;
}

/* out [batch, K, OH, OW] = grouped conv(in [batch, C, H, W], weight [K, C/G, k, k]) + bias. */
clcam_status op_conv_grouped_forward(cl_ctx *ctx, cl_mem in, cl_mem weight, cl_mem bias,
                                     cl_mem out, int batch, int C, int H, int W, int K, int G,
                                     int k, int pad, int stride, int OH, int OW, clcam_err *err);
clcam_status op_conv_grouped_backward_data(cl_ctx *ctx, cl_mem dout, cl_mem weight, cl_mem din,
                                           int batch, int C, int H, int W, int K, int G, int k,
                                           int pad, int stride, int OH, int OW, clcam_err *err);
/* lo, hi: -INFINITY, INFINITY for an absent bound. */
clcam_status op_clip_forward(cl_ctx *ctx, cl_mem in, cl_mem out, float lo, float hi, int n,
                             clcam_err *err);
clcam_status op_clip_backward(cl_ctx *ctx, cl_mem out, cl_mem dout, cl_mem din, float lo,
                              float hi, int n, clcam_err *err);
clcam_status op_pad_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int planes, int H, int W,
                            int OH, int OW, int top, int left, clcam_err *err);
clcam_status op_pad_backward(cl_ctx *ctx, cl_mem dout, cl_mem din, int planes, int H, int W,
                             int OH, int OW, int top, int left, clcam_err *err);
clcam_status op_maxpool_pad_forward(cl_ctx *ctx, cl_mem in, cl_mem out, cl_mem argmax,
                                    int planes, int H, int W, int K, int S, int P,
                                    clcam_err *err);
clcam_status op_maxpool_pad_backward(cl_ctx *ctx, cl_mem dout, cl_mem argmax, cl_mem din,
                                     int planes, int H, int W, int K, int S, int P,
                                     clcam_err *err);
clcam_status op_avgpool_pad_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int planes, int H,
                                    int W, int K, int S, int P, int include_pad, clcam_err *err);
clcam_status op_avgpool_pad_backward(cl_ctx *ctx, cl_mem dout, cl_mem din, int planes, int H,
                                     int W, int K, int S, int P, int include_pad,
                                     clcam_err *err);
/* dx = dy * invstd[c] * gamma[c]. */
clcam_status op_bn_eval_backward_data(cl_ctx *ctx, cl_mem dy, cl_mem dx, cl_mem invstd,
                                      cl_mem gamma, int batch, int C, int HW, clcam_err *err);

#endif
