#include "ops_layers.h"

/* Each launcher: look the kernel up, set its arguments in order, launch n work-items. */

static clcam_status conv_grouped_launch(cl_ctx *ctx, const char *name, cl_mem a, cl_mem w,
                                        cl_mem bias, cl_mem b, int batch, int C, int H, int W,
                                        int K, int G, int k, int pad, int stride, int OH, int OW,
                                        clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel kn;
    int forward = bias != NULL;
    int n = forward ? batch * K * OH : batch * C * H; /* a work-item per output / input row */
    TRY(cl_ctx_kernel(ctx, name, &kn, err));
    if (forward)
        TRY(CL_ARGS(ctx, kn, err, CL_ARG(a), CL_ARG(w), CL_ARG(bias), CL_ARG(b), CL_ARG(C),
                    CL_ARG(H), CL_ARG(W), CL_ARG(K), CL_ARG(G), CL_ARG(k), CL_ARG(pad),
                    CL_ARG(stride), CL_ARG(OH), CL_ARG(OW), CL_ARG(n)));
    else
        TRY(CL_ARGS(ctx, kn, err, CL_ARG(a), CL_ARG(w), CL_ARG(b), CL_ARG(C), CL_ARG(H),
                    CL_ARG(W), CL_ARG(K), CL_ARG(G), CL_ARG(k), CL_ARG(pad), CL_ARG(stride),
                    CL_ARG(OH), CL_ARG(OW), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, kn, (size_t)n, err));
exit:
    return st;
}

clcam_status op_conv_grouped_forward(cl_ctx *ctx, cl_mem in, cl_mem weight, cl_mem bias,
                                     cl_mem out, int batch, int C, int H, int W, int K, int G,
                                     int k, int pad, int stride, int OH, int OW, clcam_err *err)
{
    return conv_grouped_launch(ctx, "conv_grouped_forward", in, weight, bias, out, batch, C, H,
                               W, K, G, k, pad, stride, OH, OW, err);
}

clcam_status op_conv_grouped_backward_data(cl_ctx *ctx, cl_mem dout, cl_mem weight, cl_mem din,
                                           int batch, int C, int H, int W, int K, int G, int k,
                                           int pad, int stride, int OH, int OW, clcam_err *err)
{
    return conv_grouped_launch(ctx, "conv_grouped_backward_data", dout, weight, NULL, din, batch,
                               C, H, W, K, G, k, pad, stride, OH, OW, err);
}

static clcam_status clip_launch(cl_ctx *ctx, const char *name, cl_mem a, cl_mem b, cl_mem c,
                                float lo, float hi, int n, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, name, &k, err));
    if (c)
        TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(c), CL_ARG(lo), CL_ARG(hi), CL_ARG(n)));
    else
        TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(lo), CL_ARG(hi), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_clip_forward(cl_ctx *ctx, cl_mem in, cl_mem out, float lo, float hi, int n,
                             clcam_err *err)
{
    return clip_launch(ctx, "clip_forward", in, out, NULL, lo, hi, n, err);
}

clcam_status op_clip_backward(cl_ctx *ctx, cl_mem out, cl_mem dout, cl_mem din, float lo,
                              float hi, int n, clcam_err *err)
{
    return clip_launch(ctx, "clip_backward", out, dout, din, lo, hi, n, err);
}

static clcam_status pad_launch(cl_ctx *ctx, const char *name, cl_mem a, cl_mem b, int n, int H,
                               int W, int OH, int OW, int top, int left, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, name, &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(H), CL_ARG(W), CL_ARG(OH), CL_ARG(OW),
                CL_ARG(top), CL_ARG(left), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_pad_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int planes, int H, int W,
                            int OH, int OW, int top, int left, clcam_err *err)
{
    return pad_launch(ctx, "pad_forward", in, out, planes * OH * OW, H, W, OH, OW, top, left, err);
}

clcam_status op_pad_backward(cl_ctx *ctx, cl_mem dout, cl_mem din, int planes, int H, int W,
                             int OH, int OW, int top, int left, clcam_err *err)
{
    return pad_launch(ctx, "pad_backward", dout, din, planes * H * W, H, W, OH, OW, top, left, err);
}

/* The padded pools: a, b, c the kernel's buffers (c NULL for avgpool), one work-item per
 * output row (forward) or input element (backward). */
static clcam_status pool_pad_launch(cl_ctx *ctx, const char *name, cl_mem a, cl_mem b, cl_mem c,
                                    int planes, int H, int W, int K, int S, int P,
                                    int include_pad, int forward, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int OH = pool_out_size_pad(H, K, S, P), OW = pool_out_size_pad(W, K, S, P);
    int n = forward ? planes * OH : planes * H * W; /* output rows, input elements */
    TRY(cl_ctx_kernel(ctx, name, &k, err));
    if (c)
        TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(c), CL_ARG(H), CL_ARG(W), CL_ARG(OH),
                    CL_ARG(OW), CL_ARG(K), CL_ARG(S), CL_ARG(P), CL_ARG(n)));
    else
        TRY(CL_ARGS(ctx, k, err, CL_ARG(a), CL_ARG(b), CL_ARG(H), CL_ARG(W), CL_ARG(OH),
                    CL_ARG(OW), CL_ARG(K), CL_ARG(S), CL_ARG(P), CL_ARG(include_pad), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_maxpool_pad_forward(cl_ctx *ctx, cl_mem in, cl_mem out, cl_mem argmax,
                                    int planes, int H, int W, int K, int S, int P,
                                    clcam_err *err)
{
    return pool_pad_launch(ctx, "maxpool_pad_forward", in, out, argmax, planes, H, W, K, S, P, 0,
                           1, err);
}

clcam_status op_maxpool_pad_backward(cl_ctx *ctx, cl_mem dout, cl_mem argmax, cl_mem din,
                                     int planes, int H, int W, int K, int S, int P,
                                     clcam_err *err)
{
    return pool_pad_launch(ctx, "maxpool_pad_backward", dout, argmax, din, planes, H, W, K, S, P,
                           0, 0, err);
}

clcam_status op_avgpool_pad_forward(cl_ctx *ctx, cl_mem in, cl_mem out, int planes, int H,
                                    int W, int K, int S, int P, int include_pad, clcam_err *err)
{
    return pool_pad_launch(ctx, "avgpool_pad_forward", in, out, NULL, planes, H, W, K, S, P,
                           include_pad, 1, err);
}

clcam_status op_avgpool_pad_backward(cl_ctx *ctx, cl_mem dout, cl_mem din, int planes, int H,
                                     int W, int K, int S, int P, int include_pad, clcam_err *err)
{
    return pool_pad_launch(ctx, "avgpool_pad_backward", dout, din, NULL, planes, H, W, K, S, P,
                           include_pad, 0, err);
}

clcam_status op_bn_eval_backward_data(cl_ctx *ctx, cl_mem dy, cl_mem dx, cl_mem invstd,
                                      cl_mem gamma, int batch, int C, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int rows = batch * C;
    TRY(cl_ctx_kernel(ctx, "bn_eval_backward_data", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(dy), CL_ARG(dx), CL_ARG(invstd), CL_ARG(gamma), CL_ARG(C),
                CL_ARG(HW), CL_ARG(rows)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)rows, err));
exit:
    return st;
}
