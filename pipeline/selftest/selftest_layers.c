/* Selftest cases of the layers graph models brought in (issue 13): grouped and depthwise
 * convolution, clip, zero pad, padded pools, eval-mode batchnorm's backward pass; forward and
 * backward against the plain-C references. */
#include <math.h>
#include <string.h>

#include "../../cl/ops_layers.h"
#include "../../cl/ops_train.h"
#include "../model/reference.h"
#include "selftest_case.h"

/* v 0: groups of 2 input channels (2C in, 2C out, groups C); v 1: depthwise 3x3 stride 2
 * with a channel multiplier of 2; v 2: depthwise 3x3 stride 1 pad 1, MobileNet's. */
clcam_status case_conv_grouped(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int Ci = v == 0 ? 2 * C : C, G = C, K = v == 2 ? C : 2 * C, k = 3, pad = 1, S = v == 1 ? 2 : 1;
    int OH = pool_out_size_pad(H, k, S, pad), OW = pool_out_size_pad(W, k, S, pad);
    size_t ni = (size_t)B * Ci * H * W, no = (size_t)B * K * OH * OW, nw = (size_t)K * (Ci / G) * k * k;
    operand *in = NULL, *w = NULL, *b = NULL, *out = NULL, *dout = NULL, *din = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, ni, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, nw, sizeof(float), 1, &w, err));
    TRY(scratch_add(ctx, s, (size_t)K, sizeof(float), 1, &b, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, ni > no ? ni : no, sizeof(float), 0, &want, err));
    TRY(op_conv_grouped_forward(ctx, in->dev, w->dev, b->dev, out->dev, B, Ci, H, W, K, G, k, pad,
                                S, OH, OW, err));
    TRY(op_conv_grouped_backward_data(ctx, dout->dev, w->dev, din->dev, B, Ci, H, W, K, G, k, pad,
                                      S, OH, OW, err));
    TRY(fetch(ctx, out, out->host, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_conv2d_grouped(in->host, w->host, b->host, want->host, B, Ci, H, W, K, G, k, pad, S);
    compare(r, out->host, want->host, no, 1e-6 * (Ci / G) * k * k, 1e-5);
    ref_conv2d_grouped_backward_data(dout->host, w->host, want->host, B, Ci, H, W, K, G, k, pad, S);
    compare(r, din->host, want->host, ni, 1e-6 * (K / G) * k * k, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d->%d, g%d 3x3/%d", B, Ci, H, W, K, G, S);
exit:
    return st;
}

/* v 0: ReLU6 on [-8, 8); v 1: a lower bound only; v 2: an upper bound only. */
clcam_status case_clip(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int n = B * C * H * W;
    float lo = v == 2 ? -INFINITY : v == 0 ? 0.0f : -0.25f, hi = v == 1 ? INFINITY : v == 0 ? 6.0f : 0.5f;
    operand *in = NULL, *out = NULL, *dout = NULL, *din = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &in, err));
    if (v == 0) {
        for (int i = 0; i < n; i++) ((float *)in->host)[i] *= 8.0f;
        TRY(cl_ctx_upload(ctx, in->dev, in->host, sizeof(float) * (size_t)n, err));
    }
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &want, err));
    TRY(op_clip_forward(ctx, in->dev, out->dev, lo, hi, n, err));
    TRY(op_clip_backward(ctx, out->dev, dout->dev, din->dev, lo, hi, n, err));
    TRY(fetch(ctx, out, out->host, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_clip_forward(in->host, want->host, lo, hi, n);
    compare(r, out->host, want->host, (size_t)n, 0, 1e-7);
    ref_clip_backward(in->host, dout->host, want->host, lo, hi, n);
    compare(r, din->host, want->host, (size_t)n, 0, 1e-7);
    snprintf(r->sizes, sizeof r->sizes, "%d values, [%g, %g]", n, (double)lo, (double)hi);
exit:
    return st;
}

/* Max and average pools with padding: v 0 3x3/2 pad 1 (ResNet's stem), v 1 3x3/1 pad 1, v 2
 * 2x2/2 pad 1; the average without the pad in the count on odd variants. */
clcam_status case_pool_pad(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int K = v == 2 ? 2 : 3, S = v == 1 ? 1 : 2, Pd = 1, include = v % 2 == 0, P = B * C;
    int OH = pool_out_size_pad(H, K, S, Pd), OW = pool_out_size_pad(W, K, S, Pd);
    size_t ni = (size_t)P * H * W, no = (size_t)P * OH * OW;
    operand *in = NULL, *out = NULL, *arg = NULL, *dout = NULL, *din = NULL, *want = NULL, *want_arg = NULL;
    TRY(scratch_add(ctx, s, ni, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, no, sizeof(int), 0, &arg, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &want, err));
    TRY(scratch_add(ctx, s, no, sizeof(int), 0, &want_arg, err));
    TRY(op_maxpool_pad_forward(ctx, in->dev, out->dev, arg->dev, P, H, W, K, S, Pd, err));
    TRY(op_maxpool_pad_backward(ctx, dout->dev, arg->dev, din->dev, P, H, W, K, S, Pd, err));
    TRY(fetch(ctx, out, out->host, err));
    TRY(fetch(ctx, arg, arg->host, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_maxpool_pad_forward(in->host, want->host, want_arg->host, P, H, W, K, S, Pd);
    compare(r, out->host, want->host, no, 0, 1e-7);
    compare_int(r, arg->host, want_arg->host, no);
    ref_maxpool_pad_backward(dout->host, want_arg->host, want->host, P, H, W, K, S, Pd);
    compare(r, din->host, want->host, ni, 1e-6, 1e-6);
    TRY(op_avgpool_pad_forward(ctx, in->dev, out->dev, P, H, W, K, S, Pd, include, err));
    TRY(op_avgpool_pad_backward(ctx, dout->dev, din->dev, P, H, W, K, S, Pd, include, err));
    TRY(fetch(ctx, out, out->host, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_avgpool_pad_forward(in->host, want->host, P, H, W, K, S, Pd, include);
    compare(r, out->host, want->host, no, 1e-6, 1e-5);
    ref_avgpool_pad_backward(dout->host, want->host, P, H, W, K, S, Pd, include);
    compare(r, din->host, want->host, ni, 1e-6, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d, %dx%d/%d p1%s", B, C, H, W, K, K, S,
             include ? "" : " excl");
exit:
    return st;
}

/* Zero pad (v 0 symmetric, others not) and its crop; eval batchnorm's forward (bn_running then
 * bn_forward) and backward. */
clcam_status case_pad_bn_eval(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int pads[4] = {1, v == 0 ? 1 : 2, v == 0 ? 1 : 0, v == 2 ? 3 : 1}, P = B * C;
    int OH = H + pads[0] + pads[2], OW = W + pads[1] + pads[3];
    size_t ni = (size_t)P * H * W, no = (size_t)P * OH * OW, vb = sizeof(float) * (size_t)C;
    operand *in = NULL, *out = NULL, *dout = NULL, *din = NULL, *want = NULL;
    operand *gm = NULL, *bt = NULL, *rm = NULL, *rv = NULL, *mean = NULL, *invstd = NULL;
    TRY(scratch_add(ctx, s, ni, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 0, &want, err));
    TRY(op_pad_forward(ctx, in->dev, out->dev, P, H, W, OH, OW, pads[0], pads[1], err));
    TRY(op_pad_backward(ctx, dout->dev, din->dev, P, H, W, OH, OW, pads[0], pads[1], err));
    TRY(fetch(ctx, out, out->host, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_pad_forward(in->host, want->host, P, H, W, pads);
    compare(r, out->host, want->host, no, 0, 1e-7);
    ref_pad_backward(dout->host, want->host, P, H, W, pads);
    compare(r, din->host, want->host, ni, 0, 1e-7);
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 1, &gm, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 1, &bt, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 1, &rm, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 1, &rv, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 0, &mean, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 0, &invstd, err));
    for (int c = 0; c < C; c++) ((float *)rv->host)[c] += 1.5f; /* variances in [0.5, 2.5) */
    TRY(cl_ctx_upload(ctx, rv->dev, rv->host, vb, err));
    TRY(op_bn_running(ctx, rm->dev, rv->dev, mean->dev, invstd->dev, C, 1e-5f, err));
    TRY(op_bn_forward(ctx, in->dev, din->dev, mean->dev, invstd->dev, gm->dev, bt->dev, B, C, H * W,
                      err));
    TRY(fetch(ctx, din, din->host, err));
    ref_bn_eval_forward(in->host, want->host, gm->host, bt->host, rm->host, rv->host, 1e-5f, B, C,
                        H * W);
    compare(r, din->host, want->host, ni, 1e-6, 1e-5);
    TRY(op_bn_eval_backward_data(ctx, in->dev, din->dev, invstd->dev, gm->dev, B, C, H * W, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_bn_eval_backward(in->host, want->host, gm->host, rv->host, 1e-5f, B, C, H * W);
    compare(r, din->host, want->host, ni, 1e-6, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d, pads %d %d %d %d", B, C, H, W, pads[0],
             pads[1], pads[2], pads[3]);
exit:
    return st;
}
