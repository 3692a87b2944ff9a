#include "selftest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../cl/blas.h"
#include "../cl/conv.h"
#include "../cl/ops.h"
#include "cam_method.h"
#include "reference.h"

#define VARIANTS 3

/* Host and device copies of one operand. */
typedef struct {
    size_t n, elem;
    void *host;
    cl_mem dev;
} operand;

/* Scratch for one case: up to 12 operands, freed together. */
typedef struct {
    operand op[12];
    int n;
    unsigned seed;
} scratch;

static void scratch_free(scratch *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->op[i].host);
        if (s->op[i].dev) clReleaseMemObject(s->op[i].dev);
    }
    s->n = 0;
}

static float rnd(scratch *s, float lo, float hi)
{
    s->seed = s->seed * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)((s->seed >> 8) / 16777216.0);
}

/* A new operand of n elements of size elem; fill: 0 zeros, 1 uniform floats in [-1, 1). */
static clcam_status scratch_add(cl_ctx *ctx, scratch *s, size_t n, size_t elem, int fill,
                                operand **out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    operand *o = NULL;
    if (s->n >= (int)(sizeof s->op / sizeof *s->op)) {
        st = err_set(err, CLCAM_ERR_USAGE, "selftest: too many operands in one case");
        goto exit;
    }
    o = &s->op[s->n++];
    o->n = n;
    o->elem = elem;
    o->dev = NULL;
    if (!(o->host = calloc(n ? n : 1, elem))) { st = err_set(err, CLCAM_ERR_NOMEM, "selftest: out of memory"); goto exit; }
    if (fill == 1)
        for (size_t i = 0; i < n; i++) ((float *)o->host)[i] = rnd(s, -1.0f, 1.0f);
    TRY(cl_ctx_alloc(ctx, n * elem, &o->dev, "selftest operand", err));
    TRY(cl_ctx_upload(ctx, o->dev, o->host, n * elem, err));
    *out = o;
exit:
    return st;
}

static clcam_status fetch(cl_ctx *ctx, operand *o, void *dst, clcam_err *err)
{
    return cl_ctx_download(ctx, o->dev, dst, o->n * o->elem, err);
}

/* Worst error ratio of got against want with tolerance abs + rel * |want|. */
static void compare(selftest_result *r, const float *got, const float *want, size_t n, double abs_tol,
                    double rel_tol)
{
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        double q = d / (abs_tol + rel_tol * fabs(want[i]));
        if (isnan(d)) q = d = INFINITY;
        if (q > r->ratio) r->ratio = q;
        if (d > r->max_abs) r->max_abs = d;
    }
}

static void compare_int(selftest_result *r, const int *got, const int *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) r->ratio = r->max_abs = INFINITY;
}

/* Sizes per variant: batch, channels, height, width (odd on purpose). */
static const int SZ[VARIANTS][4] = {{1, 3, 5, 7}, {3, 5, 9, 11}, {4, 17, 16, 16}};

/* Each case fills r and compares; names follow the kernels. */
typedef clcam_status (*case_fn)(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);

#define SIZES(v) int B = SZ[v][0], C = SZ[v][1], H = SZ[v][2], W = SZ[v][3]; (void)B, (void)C, (void)H, (void)W

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

static clcam_status case_conv(cl_ctx *ctx, scratch *s, int v, conv_method method, int k, int pad,
                              int stride, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
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

static clcam_status case_cam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int K = C * 3, h = H / 2 + 1, w = W / 2 + 2, OH = H * 2 + 1, OW = W * 3 - 1;
    size_t na = (size_t)B * K * h * w, nr = (size_t)B * h * w, nu = (size_t)B * OH * OW;
    operand *A = NULL, *dA = NULL, *wt = NULL, *raw = NULL, *up = NULL, *cam = NULL, *want = NULL, *want_w = NULL;
    TRY(scratch_add(ctx, s, na, sizeof(float), 1, &A, err));
    TRY(scratch_add(ctx, s, na, sizeof(float), 1, &dA, err));
    if (B > 1) { /* one image whose map is all zero after ReLU: must stay zero, not NaN */
        for (int k = 0; k < K; k++)
            for (int p = 0; p < h * w; p++) {
                ((float *)A->host)[((size_t)K + k) * h * w + p] = 1.0f;
                ((float *)dA->host)[((size_t)K + k) * h * w + p] = -1.0f;
            }
        TRY(cl_ctx_upload(ctx, A->dev, A->host, na * sizeof(float), err));
        TRY(cl_ctx_upload(ctx, dA->dev, dA->host, na * sizeof(float), err));
    }
    TRY(scratch_add(ctx, s, (size_t)B * K, sizeof(float), 0, &wt, err));
    TRY(scratch_add(ctx, s, nr, sizeof(float), 0, &raw, err));
    TRY(scratch_add(ctx, s, nu, sizeof(float), 0, &up, err));
    TRY(scratch_add(ctx, s, nu, sizeof(float), 0, &cam, err));
    TRY(scratch_add(ctx, s, nu, sizeof(float), 0, &want, err));
    TRY(scratch_add(ctx, s, (size_t)B * K, sizeof(float), 0, &want_w, err));
    TRY(op_gradcam_weights(ctx, dA->dev, wt->dev, B, K, h * w, err));
    TRY(op_cam_weighted_relu(ctx, A->dev, wt->dev, raw->dev, B, K, h * w, err));
    TRY(op_cam_upsample(ctx, raw->dev, up->dev, B, h, w, OH, OW, err));
    TRY(op_cam_normalise(ctx, up->dev, cam->dev, B, OH * OW, 1, 0, err));
    TRY(fetch(ctx, wt, wt->host, err));
    TRY(fetch(ctx, raw, raw->host, err));
    TRY(fetch(ctx, up, up->host, err));
    TRY(fetch(ctx, cam, cam->host, err));
    /* Each step against its reference, fed with the device's previous step. */
    ref_gradcam_weights(dA->host, want_w->host, B, K, h * w);
    compare(r, wt->host, want_w->host, (size_t)B * K, 1e-6, 1e-5);
    ref_cam_weighted_relu(A->host, wt->host, want->host, B, K, h * w);
    compare(r, raw->host, want->host, nr, 1e-5, 1e-5);
    ref_cam_upsample(raw->host, want->host, B, h, w, OH, OW);
    compare(r, up->host, want->host, nu, 1e-6, 1e-5);
    ref_cam_normalise(up->host, want->host, B, OH * OW, 1, 0);
    compare(r, cam->host, want->host, nu, 1e-6, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d -> %dx%d", B, K, h, w, OH, OW);
exit:
    return st;
}

/* One CAM method's row (init, raw, free) against its ref_raw, on random A and G; image 1
 * has A = 1 and G = -1, whose map is all zero after every method's ReLU. */
static clcam_status case_method(cl_ctx *ctx, scratch *s, int v, const cam_method_ops *ops,
                                selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int K = C * 3, h = H / 2 + 1, w = W / 2 + 2;
    size_t na = (size_t)B * K * h * w, nr = (size_t)B * h * w;
    operand *A = NULL, *dA = NULL, *raw = NULL, *want = NULL;
    void *state = NULL;
    double mx = 0;
    TRY(scratch_add(ctx, s, na, sizeof(float), 1, &A, err));
    TRY(scratch_add(ctx, s, na, sizeof(float), 1, &dA, err));
    if (B > 1) {
        for (size_t i = (size_t)K * h * w; i < 2 * (size_t)K * h * w; i++) {
            ((float *)A->host)[i] = 1.0f;
            ((float *)dA->host)[i] = -1.0f;
        }
        TRY(cl_ctx_upload(ctx, A->dev, A->host, na * sizeof(float), err));
        TRY(cl_ctx_upload(ctx, dA->dev, dA->host, na * sizeof(float), err));
    }
    TRY(scratch_add(ctx, s, nr, sizeof(float), 0, &raw, err));
    TRY(scratch_add(ctx, s, nr, sizeof(float), 0, &want, err));
    if (ops->init) TRY(ops->init(ctx, &state, B, K, h, w, err));
    {
        cam_inputs in = {.A = A->dev, .G = dA->dev, .T = 1, .batch = B, .K = K, .h = h, .w = w};
        cam_ref_inputs ri = {.A = A->host, .G = dA->host, .batch = B, .K = K, .h = h, .w = w};
        TRY(ops->raw(ctx, state, &in, raw->dev, err));
        TRY(fetch(ctx, raw, raw->host, err));
        ops->ref_raw(&ri, want->host);
    }
    /* float sums of K terms against double ones, relative to the largest map value */
    for (size_t i = 0; i < nr; i++) mx = fmax(mx, fabs(((float *)want->host)[i]));
    compare(r, raw->host, want->host, nr, 1e-5 * mx + 1e-7, 1e-5);
    if (B > 1)
        for (int p = 0; p < h * w; p++)
            if (((float *)raw->host)[h * w + p] != 0.0f) r->ratio = r->max_abs = INFINITY;
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d, image 1 zero", B, K, h, w);
exit:
    if (ops->free) ops->free(state);
    return st;
}

#define METHOD_CASE(kind, fname)                                                                   \
    static clcam_status fname(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err) \
    {                                                                                              \
        return case_method(ctx, s, v, CAM_METHODS[kind], r, err);                                  \
    }
METHOD_CASE(CAM_GRADCAM, case_m_gradcam)
METHOD_CASE(CAM_GRADCAMPP, case_m_gradcampp)
METHOD_CASE(CAM_XGRADCAM, case_m_xgradcam)
METHOD_CASE(CAM_HIRESCAM, case_m_hirescam)
METHOD_CASE(CAM_LAYERCAM, case_m_layercam)
METHOD_CASE(CAM_GRADCAM_ELEMENTWISE, case_m_elementwise)
METHOD_CASE(CAM_EIGENCAM, case_m_eigencam)

/* Score-CAM's kernels (its row needs a model: test_e2e checks it whole): channel min/max of
 * the align_corners=True upsampling, a chunk of masked inputs, and the softmax weights. */
static clcam_status case_scorecam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int K = C * 3, h = H / 2 + 1, w = W / 2 + 2, first = B > 1 ? K - 1 : 0, count = B > 1 ? K + 2 : K;
    int classes = 7, T = 2;
    size_t na = (size_t)B * K * h * w, nx = (size_t)B * 3 * H * W, nm = (size_t)count * 3 * H * W;
    size_t nl = (size_t)B * K * classes;
    operand *A = NULL, *x = NULL, *mm = NULL, *masked = NULL, *lg = NULL, *tg = NULL, *wt = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, na, sizeof(float), 1, &A, err));
    if (B > 1) { /* a constant channel: mask 0, not NaN */
        for (int p = 0; p < h * w; p++) ((float *)A->host)[(size_t)K * h * w + p] = 0.5f;
        TRY(cl_ctx_upload(ctx, A->dev, A->host, na * sizeof(float), err));
    }
    TRY(scratch_add(ctx, s, nx, sizeof(float), 1, &x, err));
    TRY(scratch_add(ctx, s, (size_t)B * K * 2, sizeof(float), 0, &mm, err));
    TRY(scratch_add(ctx, s, nm, sizeof(float), 0, &masked, err));
    TRY(scratch_add(ctx, s, nl, sizeof(float), 1, &lg, err));
    for (size_t i = 0; i < nl; i++) ((float *)lg->host)[i] *= 30.0f;
    TRY(cl_ctx_upload(ctx, lg->dev, lg->host, nl * sizeof(float), err));
    TRY(scratch_add(ctx, s, (size_t)B * T, sizeof(int), 0, &tg, err));
    for (int i = 0; i < B * T; i++) ((int *)tg->host)[i] = (i * 5 + 1) % classes;
    TRY(cl_ctx_upload(ctx, tg->dev, tg->host, sizeof(int) * B * T, err));
    TRY(scratch_add(ctx, s, (size_t)B * K, sizeof(float), 0, &wt, err));
    TRY(scratch_add(ctx, s, nm > 2 * (size_t)B * K ? nm : 2 * (size_t)B * K, sizeof(float), 0, &want, err));
    TRY(op_scorecam_minmax(ctx, A->dev, mm->dev, B, K, h, w, H, W, err));
    TRY(op_scorecam_mask_input(ctx, x->dev, A->dev, mm->dev, masked->dev, 3, K, h, w, H, W, first, count, err));
    TRY(fetch(ctx, mm, mm->host, err));
    TRY(fetch(ctx, masked, masked->host, err));
    ref_scorecam_minmax(A->host, want->host, B, K, h, w, H, W);
    compare(r, mm->host, want->host, (size_t)B * K * 2, 1e-6, 1e-5);
    ref_scorecam_mask_input(x->host, A->host, mm->host, want->host, 3, K, h, w, H, W, first, count);
    compare(r, masked->host, want->host, nm, 1e-5, 1e-5);
    for (int rank = 0; rank < T; rank++) {
        TRY(op_scorecam_weights(ctx, lg->dev, tg->dev, wt->dev, B, K, classes, T, rank, err));
        TRY(fetch(ctx, wt, wt->host, err));
        ref_scorecam_weights(lg->host, tg->host, want->host, B, K, classes, T, rank);
        compare(r, wt->host, want->host, (size_t)B * K, 1e-7, 1e-5);
    }
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d -> %dx%d, %d masks", B, K, h, w, H, W, count);
exit:
    return st;
}

/* got and want must be bitwise equal: a fused kernel against the kernels it replaces. */
static void compare_bits(selftest_result *r, const void *got, const void *want, size_t bytes)
{
    if (memcmp(got, want, bytes) != 0) r->ratio = r->max_abs = INFINITY;
}

/* A float operand of n values plus a canary after them, all set to `fill`. */
static clcam_status scratch_canaried(cl_ctx *ctx, scratch *s, size_t n, float fill, operand **out,
                                     clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(scratch_add(ctx, s, n + 1, sizeof(float), 0, out, err));
    for (size_t i = 0; i <= n; i++) ((float *)(*out)->host)[i] = fill;
    TRY(cl_ctx_upload(ctx, (*out)->dev, (*out)->host, (n + 1) * sizeof(float), err));
exit:
    return st;
}

/* The fused CAM kernels (gradcam_fused, cam_upsample_normalise) bitwise against the kernels
 * they replace, and against the references; rank T - 1 of T, the other ranks untouched.
 * Image 1 has a zero map, image 2 a constant positive one: both become all zero. */
static clcam_status case_cam_fused(cl_ctx *ctx, scratch *s, int v, selftest_result *r,
                                   clcam_err *err)
{
    static const int SIZE[VARIANTS][7] = {/* B, K, h, w, H, W, T */
                                          {1, 3, 5, 7, 13, 11, 1}, {3, 37, 5, 7, 13, 11, 2},
                                          {4, 51, 9, 10, 32, 32, 3}};
    clcam_status st = CLCAM_OK;
    int B = SIZE[v][0], K = SIZE[v][1], h = SIZE[v][2], w = SIZE[v][3], H = SIZE[v][4];
    int W = SIZE[v][5], T = SIZE[v][6], hw = h * w, HW = H * W;
    size_t na = (size_t)B * K * hw, nr = (size_t)B * hw, nc = (size_t)B * T * HW;
    operand *A = NULL, *dA = NULL, *wt = NULL, *raw = NULL, *raw2 = NULL, *up = NULL;
    operand *cam = NULL, *cam2 = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, na, sizeof(float), 1, &A, err));
    TRY(scratch_add(ctx, s, na, sizeof(float), 1, &dA, err));
    for (int img = 1; img < B && img < 3; img++)
        for (size_t i = (size_t)img * K * hw; i < (size_t)(img + 1) * K * hw; i++) {
            ((float *)A->host)[i] = 1.0f;
            ((float *)dA->host)[i] = img == 1 ? -1.0f : 1.0f;
        }
    TRY(cl_ctx_upload(ctx, A->dev, A->host, na * sizeof(float), err));
    TRY(cl_ctx_upload(ctx, dA->dev, dA->host, na * sizeof(float), err));
    TRY(scratch_add(ctx, s, (size_t)B * K, sizeof(float), 0, &wt, err));
    TRY(scratch_canaried(ctx, s, nr, -7.0f, &raw, err));
    TRY(scratch_add(ctx, s, nr, sizeof(float), 0, &raw2, err));
    TRY(scratch_add(ctx, s, (size_t)B * HW, sizeof(float), 0, &up, err));
    TRY(scratch_canaried(ctx, s, nc, -7.0f, &cam, err));
    TRY(scratch_canaried(ctx, s, nc, -7.0f, &cam2, err));
    TRY(scratch_canaried(ctx, s, nc > (size_t)B * HW ? nc : (size_t)B * HW, -7.0f, &want, err));
    if (!op_gradcam_fused_fits(ctx, K)) {
        st = err_set(err, CLCAM_ERR_CL, "selftest: %d weights do not fit the local memory", K);
        goto exit;
    }
    TRY(op_gradcam_fused(ctx, dA->dev, A->dev, raw->dev, B, K, hw, err));
    TRY(op_gradcam_weights(ctx, dA->dev, wt->dev, B, K, hw, err));
    TRY(op_cam_weighted_relu(ctx, A->dev, wt->dev, raw2->dev, B, K, hw, err));
    TRY(op_cam_upsample_normalise(ctx, raw->dev, cam->dev, B, h, w, H, W, T, T - 1, err));
    TRY(op_cam_upsample(ctx, raw->dev, up->dev, B, h, w, H, W, err));
    TRY(op_cam_normalise(ctx, up->dev, cam2->dev, B, HW, T, T - 1, err));
    TRY(fetch(ctx, raw, raw->host, err));
    TRY(fetch(ctx, raw2, raw2->host, err));
    TRY(fetch(ctx, cam, cam->host, err));
    TRY(fetch(ctx, cam2, cam2->host, err));
    compare_bits(r, raw->host, raw2->host, nr * sizeof(float));
    compare_bits(r, cam->host, cam2->host, (nc + 1) * sizeof(float)); /* canary and other ranks too */
    ref_gradcam_weights(dA->host, wt->host, B, K, hw);
    ref_cam_weighted_relu(A->host, wt->host, want->host, B, K, hw);
    compare(r, raw->host, want->host, nr + 1, 1e-5, 1e-5);
    ref_cam_upsample(raw->host, up->host, B, h, w, H, W);
    for (size_t i = 0; i <= nc; i++) ((float *)want->host)[i] = -7.0f;
    ref_cam_normalise(up->host, want->host, B, HW, T, T - 1);
    compare(r, cam->host, want->host, nc + 1, 1e-6, 1e-5);
    for (int img = 1; img < B && img < 3; img++)
        for (int p = 0; p < HW; p++)
            if (((float *)cam->host)[((size_t)img * T + T - 1) * HW + p] != 0.0f) r->ratio = INFINITY;
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d -> %dx%d, rank %d of %d", B, K, h, w, H, W,
             T - 1, T);
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
    {"scorecam minmax, masks, weights", case_scorecam},
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

clcam_status selftest_run(cl_ctx *ctx, FILE *out, int *failed, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    *failed = 0;
    fprintf(out, "%-30s %-34s %12s %10s  %s\n", "check", "sizes", "max |diff|", "err/tol", "result");
    for (int i = 0; i < selftest_case_count(); i++) {
        for (int v = 0; v < VARIANTS; v++) {
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
