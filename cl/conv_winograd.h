/* Winograd F(4x4, 3x3) convolution forward for 3x3 kernels at stride 1, pad 1
 * (cl/kernels/conv_winograd.cl): cl/conv.c's fifth method. */
#ifndef CLCAM_CL_CONV_WINOGRAD_H
#define CLCAM_CL_CONV_WINOGRAD_H

#include "conv.h"

/* Whether shape s is one Winograd F(4x4, 3x3) computes: 3x3, stride 1, pad 1. */
int conv_winograd_fits(const conv_shape *s);

/* Elements of s's transformed weights U [36, K rounded up to 8, C]. */
size_t conv_winograd_weights_elems(const conv_shape *s);

/* U = the transform of weight [K, C, 3, 3], U holding conv_winograd_weights_elems(s). */
clcam_status conv_winograd_weights(cl_ctx *ctx, const conv_shape *s, cl_mem weight, cl_mem U,
                                   clcam_err *err);

/* Whether conv_winograd runs shape s on ctx's device as one kernel (wino_fused_*), not in
 * chunks of images (the tests: that the one-kernel form is what they compare). */
int conv_winograd_one_kernel(const cl_ctx *ctx, const conv_shape *s);

/* out [batch, K, H, W] = conv(in, weight) + bias (+ residual, a tensor of out's shape, where
 * not NULL), ReLU'd where relu; U the weights already transformed, or NULL (then transformed
 * into ctx's scratch buffer 2). One kernel where conv_winograd_one_kernel says so; else images
 * go in chunks whose transformed input and GEMM results (ctx's scratch buffers 0 and 1) fit a
 * cache-sized budget. */
clcam_status conv_winograd(cl_ctx *ctx, const conv_shape *s, cl_mem in, cl_mem weight, cl_mem U,
                           cl_mem bias, cl_mem residual, int relu, cl_mem out, clcam_err *err);

#endif
