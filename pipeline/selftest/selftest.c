#include "selftest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../cl/blas.h"
#include "../../cl/conv.h"
#include "../../cl/ops.h"
#include "../model/reference.h"
#include "selftest_case.h"

static clcam_status case_preprocess(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    operand *src = NULL, *dst = NULL, *ms = NULL;
    float mean[3] = {0.49f, 0.48f, 0.45f}, std[3] = {0.25f, 0.24f, 0.26f}, *want = NULL, *got = NULL;
    size_t n = (size_t)B * 3 * H * W;
    TRY(scratch_add(ctx, s, n, 1, 0, &src, err));
    for (size_t i = 0; i < n; i++) ((uint8_t *)src->host)[i] = (uint8_t)(rnd(s, 0, 256));
    TRY(cl_ctx_upload(ctx, src->dev, src->host, n, err));
    TRY(scratch_add(ctx, s, 6, sizeof(float), 0, &ms, err));
    memcpy(ms->host, mean, sizeof mean);
    memcpy((float *)ms->host + 3, std, sizeof std);
    TRY(cl_ctx_upload(ctx, ms->dev, ms->host, sizeof(float) * 6, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 0, &dst, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 0, &src, err)); /* reference output */
    want = src->host;
    TRY(op_preprocess(ctx, s->op[0].dev, dst->dev, ms->dev, 1.0f / 255, B, 3, H * W, err));
    got = dst->host;
    TRY(fetch(ctx, dst, got, err));
    ref_preprocess(s->op[0].host, want, mean, std, 1.0f / 255, B, 3, H * W);
    compare(r, got, want, n, 1e-6, 1e-6);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx3", B, H, W);
exit:
    return st;
}

static clcam_status case_bias(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    operand *x = NULL, *b = NULL, *want = NULL;
    size_t n = (size_t)B * C * H * W;
    TRY(scratch_add(ctx, s, n, sizeof(float), 1, &x, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 1, &b, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 0, &want, err));
    for (size_t i = 0; i < n; i++)
        ((float *)want->host)[i] = ((float *)x->host)[i] + ((float *)b->host)[(i / (H * W)) % C];
    TRY(op_bias_add(ctx, x->dev, b->dev, B, C, H * W, err));
    TRY(fetch(ctx, x, x->host, err));
    compare(r, x->host, want->host, n, 0, 0 + 1e-7);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d", B, C, H, W);
exit:
    return st;
}

static clcam_status case_relu(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    operand *in = NULL, *out = NULL, *dout = NULL, *din = NULL, *want = NULL;
    int n = B * C * H * W;
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &want, err));
    TRY(op_relu_forward(ctx, in->dev, out->dev, n, err));
    TRY(op_relu_backward(ctx, out->dev, dout->dev, din->dev, n, err));
    TRY(fetch(ctx, out, out->host, err));
    ref_relu_forward(in->host, want->host, n);
    compare(r, out->host, want->host, (size_t)n, 0, 1e-7);
    TRY(fetch(ctx, din, din->host, err));
    ref_relu_backward(want->host, dout->host, want->host, n);
    compare(r, din->host, want->host, (size_t)n, 0, 1e-7);
    snprintf(r->sizes, sizeof r->sizes, "%d values, fwd+bwd", n);
exit:
    return st;
}

static clcam_status case_maxpool(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    /* variant 1 uses overlapping 3x3 windows with stride 2 to exercise the gather */
    int K = v == 1 ? 3 : 2, S = 2, P = B * C, OH = pool_out_size(H, K, S), OW = pool_out_size(W, K, S);
    size_t ni = (size_t)P * H * W, no = (size_t)P * OH * OW;
    operand *in = NULL, *out = NULL, *arg = NULL, *dout = NULL, *din = NULL, *want = NULL, *want_arg = NULL;
    TRY(scratch_add(ctx, s, ni, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, no, sizeof(int), 0, &arg, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &want, err));
    TRY(scratch_add(ctx, s, no, sizeof(int), 0, &want_arg, err));
    TRY(op_maxpool_forward(ctx, in->dev, out->dev, arg->dev, P, H, W, K, S, err));
    TRY(op_maxpool_backward(ctx, dout->dev, arg->dev, din->dev, P, H, W, K, S, err));
    TRY(fetch(ctx, out, out->host, err));
    TRY(fetch(ctx, arg, arg->host, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_maxpool_forward(in->host, want->host, want_arg->host, P, H, W, K, S);
    compare(r, out->host, want->host, no, 0, 1e-7);
    compare_int(r, arg->host, want_arg->host, no);
    ref_maxpool_backward(dout->host, want_arg->host, want->host, P, H, W, K, S);
    compare(r, din->host, want->host, ni, 1e-6, 1e-6);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d, %dx%d/%d", B, C, H, W, K, K, S);
exit:
    return st;
}

static clcam_status case_avgpool(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    /* 2x2/2, overlapping 3x3/2, and a global pool (the whole plane, one output) */
    int KH = v == 0 ? 2 : v == 1 ? 3 : H, KW = v == 0 ? 2 : v == 1 ? 3 : W, S = v == 2 ? 1 : 2;
    int P = B * C, OH = pool_out_size(H, KH, S), OW = pool_out_size(W, KW, S);
    size_t ni = (size_t)P * H * W, no = (size_t)P * OH * OW;
    operand *in = NULL, *out = NULL, *dout = NULL, *din = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, ni, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &want, err));
    TRY(op_avgpool_forward(ctx, in->dev, out->dev, P, H, W, KH, KW, S, S, err));
    TRY(op_avgpool_backward(ctx, dout->dev, din->dev, P, H, W, KH, KW, S, S, err));
    TRY(fetch(ctx, out, out->host, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_avgpool_forward(in->host, want->host, P, H, W, KH, KW, S, S);
    compare(r, out->host, want->host, no, 1e-6, 1e-5);
    ref_avgpool_backward(dout->host, want->host, P, H, W, KH, KW, S, S);
    compare(r, din->host, want->host, ni, 1e-6, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d, %dx%d/%d", B, C, H, W, KH, KW, S);
exit:
    return st;
}

static clcam_status case_conv_sized(cl_ctx *ctx, scratch *s, int B, int C, int H, int W,
                                    conv_method method, int k, int pad, int stride,
                                    selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int K = C + 2, OH = (H + 2 * pad - k) / stride + 1, OW = (W + 2 * pad - k) / stride + 1;
    size_t no = (size_t)B * K * OH * OW, nw = (size_t)K * C * k * k;
    operand *in = NULL, *w = NULL, *b = NULL, *out = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, (size_t)B * C * H * W, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, nw, sizeof(float), 1, &w, err));
    TRY(scratch_add(ctx, s, (size_t)K, sizeof(float), 1, &b, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 0, &want, err));
    conv_shape cs = {B, C, H, W, K, k, pad, stride, OH, OW};
    TRY(conv_forward(ctx, method, &cs, in->dev, w->dev, b->dev, out->dev, err));
    TRY(fetch(ctx, out, out->host, err));
    ref_conv2d(in->host, w->host, b->host, want->host, B, C, H, W, K, k, pad, stride);
    /* float sums of C*k*k products of values in [-1, 1): error grows with the length */
    compare(r, out->host, want->host, no, 1e-6 * C * k * k, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d -> %d, %dx%d/%d pad %d", B, C, H, W, K, k, k,
             stride, pad);
exit:
    return st;
}

static clcam_status case_conv(cl_ctx *ctx, scratch *s, int v, conv_method method, int k, int pad,
                              int stride, selftest_result *r, clcam_err *err)
{
    SIZES(v);
    return case_conv_sized(ctx, s, B, C, H, W, method, k, pad, stride, r, err);
}

static clcam_status case_conv_im2col(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    return case_conv(ctx, s, v, CONV_IM2COL, 3, 1, 1, r, err);
}

static clcam_status case_conv_packed(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    return case_conv(ctx, s, v, CONV_PACKED, 3, 1, 1, r, err);
}

static clcam_status case_convgemm(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    return case_conv(ctx, s, v, CONV_CONVGEMM, 3, 1, 1, r, err);
}

/* The direct kernel has a path per geometry: 3x3 stride 1 (contiguous lanes), 5x5 stride 2
 * (gathered), 1x1 (rows packed into the lanes of narrow outputs). */
static clcam_status case_conv_direct(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    static const int GEOM[VARIANTS][3] = {{3, 1, 1}, {5, 2, 2}, {1, 0, 1}};
    return case_conv(ctx, s, v, CONV_DIRECT, GEOM[v][0], GEOM[v][1], GEOM[v][2], r, err);
}

/* The direct kernels with a stride-2 geometry fixed and 16-pixel rows (outputs wider than
 * 8): 3x3 (ResNet's downsampling), 1x1 (its shortcuts), 7x7 (its stem). */
static clcam_status case_conv_direct_strided(cl_ctx *ctx, scratch *s, int v, selftest_result *r,
                                             clcam_err *err)
{
    static const int GEOM[VARIANTS][7] = {{1, 3, 19, 37, 3, 1, 2}, {2, 5, 19, 37, 1, 0, 2},
                                          {1, 3, 21, 35, 7, 3, 2}};
    const int *g = GEOM[v];
    return case_conv_sized(ctx, s, g[0], g[1], g[2], g[3], CONV_DIRECT, g[4], g[5], g[6], r, err);
}

/* Winograd F(4x4, 3x3) (conv_winograd.cl) with its tile layouts and forms: rows of 16 tiles
 * (two segments, the second partial) in one kernel on a CPU device, in chunks on others; one
 * image a lane (7x7 planes) in chunks; rows of 8 (two rows of tiles a vector) in chunks: 228
 * channels are more than a device's local memory holds for the one-kernel form (PoCL's 1 MiB
 * holds 219); the first two also under Oclgrind (--variants 2). */
static clcam_status case_conv_winograd(cl_ctx *ctx, scratch *s, int v, selftest_result *r,
                                       clcam_err *err)
{
    static const int GEOM[VARIANTS][4] = {{1, 5, 6, 70}, {3, 17, 7, 7}, {2, 228, 5, 29}};
    const int *g = GEOM[v];
    return case_conv_sized(ctx, s, g[0], g[1], g[2], g[3], CONV_WINOGRAD, 3, 1, 1, r, err);
}

/* Backward-data: unpermute + CLBlastSgemm (A^T) + col2im against the scatter reference, with
 * stride 1 and 2 and pad 0 and 1 across the variants. */
static clcam_status case_conv_backward(cl_ctx *ctx, scratch *s, int v, selftest_result *r,
                                       clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    static const int KSP[VARIANTS][3] = {{3, 1, 0}, {3, 2, 1}, {3, 1, 1}};
    int K = C + 2, k = KSP[v][0], stride = KSP[v][1], pad = KSP[v][2];
    int OH = (H + 2 * pad - k) / stride + 1, OW = (W + 2 * pad - k) / stride + 1;
    size_t ni = (size_t)B * C * H * W, no = (size_t)B * K * OH * OW, nw = (size_t)K * C * k * k;
    operand *w = NULL, *dout = NULL, *din = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, nw, sizeof(float), 1, &w, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &want, err));
    conv_shape cs = {B, C, H, W, K, k, pad, stride, OH, OW};
    TRY(conv_backward_data(ctx, &cs, dout->dev, w->dev, din->dev, err));
    TRY(fetch(ctx, din, din->host, err));
    ref_conv2d_backward_data(dout->host, w->host, want->host, B, C, H, W, K, k, pad, stride);
    /* float sums of up to K*k*k products of values in [-1, 1) */
    compare(r, din->host, want->host, ni, 1e-6 * K * k * k, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d <- %d, %dx%d s%d p%d", B, C, H, W, K, k, k,
             stride, pad);
exit:
    return st;
}

static clcam_status case_linear(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int in_f = C * H * W, out_f = C + 7;
    operand *x = NULL, *w = NULL, *b = NULL, *y = NULL, *dy = NULL, *dx = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, (size_t)B * in_f, sizeof(float), 1, &x, err));
    TRY(scratch_add(ctx, s, (size_t)out_f * in_f, sizeof(float), 1, &w, err));
    TRY(scratch_add(ctx, s, (size_t)out_f, sizeof(float), 1, &b, err));
    TRY(scratch_add(ctx, s, (size_t)B * out_f, sizeof(float), 0, &y, err));
    TRY(scratch_add(ctx, s, (size_t)B * out_f, sizeof(float), 1, &dy, err));
    TRY(scratch_add(ctx, s, (size_t)B * in_f, sizeof(float), 0, &dx, err));
    TRY(scratch_add(ctx, s, (size_t)B * in_f, sizeof(float), 0, &want, err));
    TRY(blas_sgemm(ctx, 1, (size_t)B, (size_t)out_f, (size_t)in_f, x->dev, w->dev, 0.0f, y->dev, err));
    TRY(op_bias_add(ctx, y->dev, b->dev, B, out_f, 1, err));
    TRY(blas_sgemm(ctx, 0, (size_t)B, (size_t)in_f, (size_t)out_f, dy->dev, w->dev, 0.0f, dx->dev, err));
    TRY(fetch(ctx, y, y->host, err));
    TRY(fetch(ctx, dx, dx->host, err));
    ref_linear(x->host, w->host, b->host, want->host, B, in_f, out_f);
    compare(r, y->host, want->host, (size_t)B * out_f, 1e-6 * in_f, 1e-5);
    ref_linear_backward(dy->host, w->host, want->host, B, in_f, out_f);
    compare(r, dx->host, want->host, (size_t)B * in_f, 1e-6 * out_f, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%d x %d -> %d, fwd+bwd", B, in_f, out_f);
exit:
    return st;
}

static clcam_status case_head(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int classes = C + 5;
    size_t nl = (size_t)B * classes;
    operand *lg = NULL, *pr = NULL, *lab = NULL, *pred = NULL, *tgt = NULL, *dl = NULL, *want = NULL, *wp = NULL, *wt = NULL;
    TRY(scratch_add(ctx, s, nl, sizeof(float), 1, &lg, err));
    for (size_t i = 0; i < nl; i++) ((float *)lg->host)[i] *= 20.0f; /* peaky and flat rows */
    TRY(cl_ctx_upload(ctx, lg->dev, lg->host, nl * sizeof(float), err));
    TRY(scratch_add(ctx, s, nl, sizeof(float), 0, &pr, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int), 0, &lab, err));
    for (int i = 0; i < B; i++) ((int *)lab->host)[i] = (i * 7 + 3) % classes;
    TRY(cl_ctx_upload(ctx, lab->dev, lab->host, sizeof(int) * B, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int), 0, &pred, err));
    TRY(scratch_add(ctx, s, (size_t)B * 4, sizeof(int), 0, &tgt, err));
    TRY(scratch_add(ctx, s, nl, sizeof(float), 0, &dl, err));
    TRY(scratch_add(ctx, s, nl, sizeof(float), 0, &want, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int), 0, &wp, err));
    TRY(scratch_add(ctx, s, (size_t)B * 4, sizeof(int), 0, &wt, err));
    TRY(op_softmax(ctx, lg->dev, pr->dev, B, classes, err));
    TRY(fetch(ctx, pr, pr->host, err));
    ref_softmax(lg->host, want->host, B, classes);
    compare(r, pr->host, want->host, nl, 1e-7, 1e-5);
    for (int mode = 0; mode < 4; mode++) {
        int T = mode == 3 ? (classes < 4 ? classes : 4) : 1;
        TRY(op_select_targets(ctx, lg->dev, lab->dev, pred->dev, tgt->dev, B, classes, mode, 2, T, err));
        TRY(fetch(ctx, pred, pred->host, err));
        TRY(cl_ctx_download(ctx, tgt->dev, tgt->host, sizeof(int) * (size_t)B * T, err));
        ref_select_targets(lg->host, lab->host, wp->host, wt->host, B, classes, mode, 2, T);
        compare_int(r, pred->host, wp->host, (size_t)B);
        compare_int(r, tgt->host, wt->host, (size_t)B * T);
        for (int rank = 0; rank < T; rank++) {
            TRY(op_onehot_rank(ctx, tgt->dev, dl->dev, B, classes, T, rank, err));
            TRY(fetch(ctx, dl, dl->host, err));
            ref_onehot_rank(wt->host, want->host, B, classes, T, rank);
            compare(r, dl->host, want->host, nl, 0, 1e-7);
        }
    }
    snprintf(r->sizes, sizeof r->sizes, "%d x %d classes, 4 target modes", B, classes);
exit:
    return st;
}

/* maxpool_relu_forward against relu_forward + maxpool_forward (bitwise, argmax too) and the
 * references, then the fused layer's backward (max-pool, then ReLU masked by its input)
 * against the unfused one (masked by the ReLU's output). The input has NaNs, -0 and windows
 * whose values are all negative. */
static clcam_status case_maxpool_relu(cl_ctx *ctx, scratch *s, int v, selftest_result *r,
                                      clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int K = v == 1 ? 3 : 2, S = 2, P = B * C;
    int OH = pool_out_size(H, K, S), OW = pool_out_size(W, K, S), ni = P * H * W, no = P * OH * OW;
    operand *in = NULL, *rl = NULL, *out = NULL, *out2 = NULL, *arg = NULL, *arg2 = NULL;
    operand *dout = NULL, *dmid = NULL, *din = NULL, *din2 = NULL, *want = NULL, *want_arg = NULL;
    TRY(scratch_add(ctx, s, (size_t)ni, sizeof(float), 1, &in, err));
    for (int i = 0; i < ni; i++) {
        float *x = (float *)in->host + i;
        if (i % 17 == 3) *x = NAN;
        else if (i % 13 == 5) *x = -0.0f;
        else if ((i / W) % 4 < 2 && (i % W) < 4) *x = -fabsf(*x) - 0.5f; /* all-negative windows */
    }
    TRY(cl_ctx_upload(ctx, in->dev, in->host, sizeof(float) * (size_t)ni, err));
    TRY(scratch_add(ctx, s, (size_t)ni, sizeof(float), 0, &rl, err));
    TRY(scratch_canaried(ctx, s, (size_t)no, -7.0f, &out, err));
    TRY(scratch_canaried(ctx, s, (size_t)no, -7.0f, &out2, err));
    TRY(scratch_add(ctx, s, (size_t)no, sizeof(int), 0, &arg, err));
    TRY(scratch_add(ctx, s, (size_t)no, sizeof(int), 0, &arg2, err));
    TRY(scratch_add(ctx, s, (size_t)no, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, (size_t)ni, sizeof(float), 0, &dmid, err));
    TRY(scratch_add(ctx, s, (size_t)ni, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, (size_t)ni, sizeof(float), 0, &din2, err));
    TRY(scratch_add(ctx, s, (size_t)ni, sizeof(float), 0, &want, err));
    TRY(scratch_add(ctx, s, (size_t)no, sizeof(int), 0, &want_arg, err));
    TRY(op_maxpool_relu_forward(ctx, in->dev, out->dev, arg->dev, P, H, W, K, S, err));
    TRY(op_maxpool_backward(ctx, dout->dev, arg->dev, dmid->dev, P, H, W, K, S, err));
    TRY(op_relu_backward(ctx, in->dev, dmid->dev, din->dev, ni, err));
    TRY(op_relu_forward(ctx, in->dev, rl->dev, ni, err));
    TRY(op_maxpool_forward(ctx, rl->dev, out2->dev, arg2->dev, P, H, W, K, S, err));
    TRY(op_maxpool_backward(ctx, dout->dev, arg2->dev, dmid->dev, P, H, W, K, S, err));
    TRY(op_relu_backward(ctx, rl->dev, dmid->dev, din2->dev, ni, err));
    TRY(fetch(ctx, out, out->host, err));
    TRY(fetch(ctx, out2, out2->host, err));
    TRY(fetch(ctx, arg, arg->host, err));
    TRY(fetch(ctx, arg2, arg2->host, err));
    TRY(fetch(ctx, din, din->host, err));
    TRY(fetch(ctx, din2, din2->host, err));
    compare_bits(r, out->host, out2->host, sizeof(float) * ((size_t)no + 1));
    compare_bits(r, arg->host, arg2->host, sizeof(int) * (size_t)no);
    compare_bits(r, din->host, din2->host, sizeof(float) * (size_t)ni);
    ref_relu_forward(in->host, rl->host, ni); /* rl's host copy: the reference ReLU */
    ref_maxpool_forward(rl->host, want->host, want_arg->host, P, H, W, K, S);
    ((float *)want->host)[no] = -7.0f;
    compare(r, out->host, want->host, (size_t)no + 1, 0, 1e-7);
    compare_int(r, arg->host, want_arg->host, (size_t)no);
    ref_maxpool_backward(dout->host, want_arg->host, dmid->host, P, H, W, K, S);
    ref_relu_backward(rl->host, dmid->host, want->host, ni);
    compare(r, din->host, want->host, (size_t)ni, 1e-6, 1e-6);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d, %dx%d/%d, NaN", B, C, H, W, K, K, S);
exit:
    return st;
}

static const struct {
    const char *name;
    case_fn fn;
} CASES[] = {
    {"preprocess_u8_nhwc", case_preprocess},
    {"bias_add_nchw", case_bias},
    {"relu_forward/backward", case_relu},
    {"maxpool_forward/backward", case_maxpool},
    {"maxpool_relu_forward (fused)", case_maxpool_relu},
    {"avgpool_forward/backward", case_avgpool},
    {"im2col + CLBlastSgemm conv", case_conv_im2col},
    {"packed im2col + own GEMM conv", case_conv_packed},
    {"CLBlastSconvgemm + bias", case_convgemm},
    {"direct conv (conv_direct.cl)", case_conv_direct},
    {"strided conv (conv_direct.cl)", case_conv_direct_strided},
    {"Winograd conv (conv_winograd.cl)", case_conv_winograd},
    {"conv backward: gemm + col2im", case_conv_backward},
    {"CLBlastSgemm linear fwd/bwd", case_linear},
    {"softmax, select_targets, onehot", case_head},
    {"gradcam weights..normalise", case_cam},
    {"gradcam, upsample+norm (fused)", case_cam_fused},
    {"method gradcam", case_m_gradcam},
    {"method gradcampp", case_m_gradcampp},
    {"method xgradcam", case_m_xgradcam},
    {"method hirescam", case_m_hirescam},
    {"method layercam", case_m_layercam},
    {"method gradcam_elementwise", case_m_elementwise},
    {"method eigencam", case_m_eigencam},
    {"baselines random, sobel", case_baseline},
    {"scorecam minmax, masks, weights", case_scorecam},
    {"ROAD masks, CG imputation", case_road},
    {"train grads, own GEMM", case_grads_own},
    {"train grads, CLBlast GEMM", case_grads_clblast},
    {"softmax_xent, sgd_step", case_xent_sgd},
    {"augment (crop, flip)", case_augment},
    {"batchnorm train fwd/bwd", case_bn_train},
    {"grouped/depthwise conv fwd/bwd", case_conv_grouped},
    {"clip (ReLU6) fwd/bwd", case_clip},
    {"padded max/avg pool fwd/bwd", case_pool_pad},
    {"zero pad, eval batchnorm", case_pad_bn_eval},
    {"add_inplace, summed grads", case_add_inplace},
    {"concat channels fwd/bwd", case_concat},
    {"metric order (bitonic, ties)", case_metric_order},
    {"metric mult/blur/steps/score", case_metric_perturb},
};

int selftest_case_count(void) { return (int)(sizeof CASES / sizeof *CASES); }

clcam_status selftest_case(cl_ctx *ctx, int i, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st;
    scratch s = {.seed = 12345u + 977u * (unsigned)(i * VARIANTS + v)};
    memset(r, 0, sizeof *r);
    r->name = CASES[i].name;
    st = CASES[i].fn(ctx, &s, v % VARIANTS, r, err);
    scratch_free(&s);
    return st;
}

clcam_status selftest_run(cl_ctx *ctx, FILE *out, int variants, int *failed, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    *failed = 0;
    fprintf(out, "%-30s %-34s %12s %10s  %s\n", "check", "sizes", "max |diff|", "err/tol", "result");
    for (int i = 0; i < selftest_case_count(); i++) {
        for (int v = 0; v < variants && v < VARIANTS; v++) {
            selftest_result r;
            TRY(selftest_case(ctx, i, v, &r, err));
            int ok = r.ratio <= 1.0;
            *failed += !ok;
            fprintf(out, "%-30s %-34s %12.3g %10.3g  %s\n", r.name, r.sizes, r.max_abs, r.ratio, ok ? "PASS" : "FAIL");
            fflush(out);
        }
    }
exit:
    return st;
}
