/* Convolution forward (cross-correlation, square kernel, NCHW) with its bias, four ways, and
 * its two backward passes. */
#ifndef CLCAM_CL_CONV_H
#define CLCAM_CL_CONV_H

#include "runtime.h"

typedef enum {
    CONV_IM2COL,
    CONV_CONVGEMM,
    CONV_PACKED,
    CONV_DIRECT,
    CONV_WINOGRAD, /* 3x3, stride 1, pad 1 only (cl/conv_winograd.h); direct for other shapes */
    CONV_METHOD_COUNT
} conv_method;

typedef struct {
    int batch, C, H, W;    /* input */
    int K, kernel, pad, stride;
    int OH, OW;            /* output */
} conv_shape;

/* The forward method for shape s: the one in CLCAM_CONV (im2col | convgemm | packed | direct),
 * else the one `clcam tune` measured fastest for s's C, H, W, K, kernel, pad and stride (the
 * batch aside; ctx->conv_choice, from the tuning file), else, where ctx->gemm_own (CPUs),
 * direct for stride 1 and for the strided geometries conv_direct.cl has a fixed kernel for
 * (3x3, 1x1 and 7x7 at stride 2), packed (im2col into 16-column panels and our own GEMM
 * kernel, bias and NCHW layout in its stores) for others, else im2col + CLBlastSgemm. On
 * PoCL, direct measured 1.3-2x packed on SimpleCNN's convolutions (bitwise the same results)
 * and 1.6x on resnet18's strided ones, packed about 3x CLBlast's GEMM, which in turn ran
 * about twice as fast as CLBlastSconvgemm. */
conv_method conv_method_for(const cl_ctx *ctx, const conv_shape *s);

/* Refuses a buffer of n elements for shape s that kernels could not index with int, naming
 * the convolution and the buffer (see cl_check_elems). */
clcam_status conv_check(const conv_shape *s, const char *buffer, size_t n, clcam_err *err);

/* "im2col", "convgemm", "packed", "direct", "winograd"; conv_method_parse: -1 for any other
 * name. */
const char *conv_method_name(conv_method m);
int conv_method_parse(const char *name);

/* out [batch, K, OH, OW] = conv(in, weight [K, C, k, k]) + bias [K]. im2col uses ctx's
 * scratch buffers 0 and 1; direct (cl/kernels/conv_direct.cl) buffer 0 for the padded input
 * and 1 for its repacked weights. */
clcam_status conv_forward(cl_ctx *ctx, conv_method method, const conv_shape *s, cl_mem in,
                          cl_mem weight, cl_mem bias, cl_mem out, clcam_err *err);

/* The same, where direct and winograd may take their weights already prepared by
 * conv_prepare_weights (packed non-NULL; weights that do not change between calls, as at
 * inference): repacking
 * every layer on every call was 3% of the metrics' device time. relu: out = ReLU(conv),
 * bitwise op_relu_forward's values; direct and winograd apply it in their stores, the others
 * after. */
clcam_status conv_forward_packed(cl_ctx *ctx, conv_method method, const conv_shape *s, cl_mem in,
                                 cl_mem weight, cl_mem packed, cl_mem bias, int relu, cl_mem out,
                                 clcam_err *err);

/* The same with a residual add done in the stores: out = conv + bias + residual (a tensor of
 * out's shape, or NULL: none), then the ReLU where relu; bitwise op_add_pair's sum of the
 * conv's output and residual (model.c fuses a ResNet block's add into its last conv). */
clcam_status conv_forward_fused(cl_ctx *ctx, conv_method method, const conv_shape *s, cl_mem in,
                                cl_mem weight, cl_mem packed, cl_mem bias, cl_mem residual,
                                int relu, cl_mem out, clcam_err *err);

/* *packed = a new buffer with weight [K, C, k, k] in the direct kernels' layout. */
clcam_status conv_direct_pack_weights(cl_ctx *ctx, const conv_shape *s, cl_mem weight,
                                      cl_mem *packed, clcam_err *err);

/* *packed = a new buffer with weight [K, C, k, k] as method reads it prepared (direct: repacked;
 * winograd: transformed), or NULL for the methods that read the weights as they are. */
clcam_status conv_prepare_weights(cl_ctx *ctx, conv_method method, const conv_shape *s,
                                  cl_mem weight, cl_mem *packed, clcam_err *err);

/* The backward passes use our GEMM (packed) or CLBlast's by the engine (ctx->gemm_own, or
 * CLCAM_CONV=packed|im2col|convgemm), whatever the forward method of the shape. */

/* din [batch, C, H, W] = dLoss/d(in) from dout [batch, K, OH, OW] = dLoss/d(out):
 * col2im(W^T [C*k*k, K] x dout permuted to [K, batch*OH*OW]). Uses ctx's scratch buffers 0
 * and 1. */
clcam_status conv_backward_data(cl_ctx *ctx, const conv_shape *s, cl_mem dout, cl_mem weight,
                                cl_mem din, clcam_err *err);

/* dweight [K, C, k, k] = dLoss/dW summed over the batch, from in [batch, C, H, W] and dout
 * [batch, K, OH, OW]: dout permuted to [K, batch*OH*OW] x im2col(in)^T [batch*OH*OW, C*k*k].
 * Uses ctx's scratch buffers 0 and 1. */
clcam_status conv_backward_weight(cl_ctx *ctx, const conv_shape *s, cl_mem in, cl_mem dout,
                                  cl_mem dweight, clcam_err *err);

#endif
