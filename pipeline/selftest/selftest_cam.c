/* The selftest's CAM cases: Grad-CAM's kernels, every method's row, Score-CAM's kernels and
 * the fused CAM kernels, each against the plain-C references. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../cl/ops.h"
#include "../cam/cam_method.h"
#include "../model/reference.h"
#include "selftest_case.h"

clcam_status case_cam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
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
    clcam_status fname(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)        \
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
clcam_status case_scorecam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
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

/* The fused CAM kernels (gradcam_fused, cam_upsample_normalise) bitwise against the kernels
 * they replace, and against the references; rank T - 1 of T, the other ranks untouched.
 * Image 1 has a zero map, image 2 a constant positive one: both become all zero. */
clcam_status case_cam_fused(cl_ctx *ctx, scratch *s, int v, selftest_result *r,
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

/* The baselines' rows (random, sobel) against their ref_raw at the input size: random bitwise
 * (integer hash, one exact scaling), sobel within float rounding of 8 grey values < 1. */
clcam_status case_baseline(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    size_t n = (size_t)B * H * W, px = n * 3;
    operand *img = NULL, *rows = NULL, *raw = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, px, 1, 0, &img, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int32_t), 0, &rows, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 0, &raw, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 0, &want, err));
    for (size_t i = 0; i < px; i++) ((uint8_t *)img->host)[i] = (uint8_t)((unsigned)rnd(s, 0.0f, 1024.0f) & 255u);
    for (int b = 0; b < B; b++) ((int32_t *)rows->host)[b] = 1000 * b + v;
    TRY(cl_ctx_upload(ctx, img->dev, img->host, px, err));
    TRY(cl_ctx_upload(ctx, rows->dev, rows->host, sizeof(int32_t) * B, err));
    {
        cam_inputs in = {.T = 1, .batch = B, .images = img->dev, .index = rows->dev, .seed = 7u + v,
                         .C = 3, .H = H, .W = W};
        cam_ref_inputs ri = {.batch = B, .C = 3, .H = H, .W = W, .images = img->host,
                             .index = rows->host, .seed = 7u + v};
        TRY(cam_random_ops.raw(ctx, NULL, &in, raw->dev, err));
        TRY(fetch(ctx, raw, raw->host, err));
        cam_random_ops.ref_raw(&ri, want->host);
        compare_bits(r, raw->host, want->host, sizeof(float) * n);
        TRY(cam_sobel_ops.raw(ctx, NULL, &in, raw->dev, err));
        TRY(fetch(ctx, raw, raw->host, err));
        cam_sobel_ops.ref_raw(&ri, want->host);
        compare(r, raw->host, want->host, n, 1e-5, 1e-5);
    }
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx3", B, H, W);
exit:
    return st;
}
