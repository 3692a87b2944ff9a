/* The selftest's training cases: parameter gradients of conv and linear layers under both
 * GEMM engines (ours and CLBlast's, as CPUs and GPUs default to them), the loss head, the SGD
 * step, the augmentation and training-mode batch normalisation, each against the plain-C
 * references. */
#include <stdlib.h>
#include <string.h>

#include "../../cl/ops_train.h"
#include "../model/layer.h"
#include "../train/reference_train.h"
#include "selftest_case.h"

/* Variant 0: 3x3 conv, stride 1, pad 1; 1: 3x3 conv, stride 2, pad 1; 2: linear. */
static clcam_status grads(cl_ctx *ctx, scratch *s, int v, int own, selftest_result *r,
                          clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int saved_own = ctx->gemm_own;
    layer l = {.kind = v == 2 ? LAYER_LINEAR : LAYER_CONV, .in = {C, H, W}, .kernel = 3,
               .stride = v == 1 ? 2 : 1, .pad = 1, .out_features = C + 2};
    operand *in = NULL, *w = NULL, *dout = NULL, *dw = NULL, *db = NULL, *din = NULL, *want = NULL;
    if (l.kind == LAYER_LINEAR) {
        l.in = (layer_shape){C * H * W, 1, 1};
        l.out = (layer_shape){C + 7, 1, 1};
    } else {
        TRY(LAYER_OPS[LAYER_CONV]->output_shape(&l, err));
    }
    size_t ni = (size_t)B * layer_shape_size(l.in), no = (size_t)B * layer_shape_size(l.out);
    size_t nw = (size_t)l.out.c * (l.kind == LAYER_LINEAR ? (size_t)l.in.c : (size_t)C * 9);
    TRY(scratch_add(ctx, s, ni, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, nw, sizeof(float), 1, &w, err));
    TRY(scratch_add(ctx, s, no, sizeof(float), 1, &dout, err));
    TRY(scratch_add(ctx, s, nw, sizeof(float), 0, &dw, err));
    TRY(scratch_add(ctx, s, (size_t)l.out.c, sizeof(float), 0, &db, err));
    TRY(scratch_add(ctx, s, ni, sizeof(float), 0, &din, err));
    TRY(scratch_add(ctx, s, ni > nw ? ni : nw, sizeof(float), 0, &want, err));
    l.weight = w->host;
    l.d_weight = w->dev;
    ctx->gemm_own = own;
    st = LAYER_OPS[l.kind]->backward_params(ctx, &l, in->dev, dout->dev, dw->dev, db->dev, B, err);
    if (st == CLCAM_OK)
        st = LAYER_OPS[l.kind]->backward(ctx, &l, in->dev, dout->dev, din->dev, B, err);
    ctx->gemm_own = saved_own;
    TRY(st);
    TRY(fetch(ctx, dw, dw->host, err));
    TRY(fetch(ctx, db, db->host, err));
    TRY(fetch(ctx, din, din->host, err));
    {
        float *want_db = malloc(sizeof(float) * (size_t)l.out.c);
        if (!want_db) { st = err_set(err, CLCAM_ERR_NOMEM, "selftest: out of memory"); goto exit; }
        LAYER_OPS[l.kind]->ref_backward_params(&l, in->host, dout->host, want->host, want_db, B);
        /* sums of B*OH*OW products of values in [-1, 1): the error grows with the count */
        double terms = (double)B * l.out.h * l.out.w;
        compare(r, dw->host, want->host, nw, 1e-6 * terms, 1e-5);
        compare(r, db->host, want_db, (size_t)l.out.c, 1e-6 * terms, 1e-5);
        free(want_db);
    }
    LAYER_OPS[l.kind]->ref_backward(&l, in->host, NULL, NULL, dout->host, want->host, B);
    compare(r, din->host, want->host, ni, 1e-6 * l.out.c * (l.kind == LAYER_LINEAR ? 1 : 9), 1e-5);
    if (l.kind == LAYER_LINEAR)
        snprintf(r->sizes, sizeof r->sizes, "%d x %d -> %d, dW db dx", B, l.in.c, l.out.c);
    else
        snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d -> %d, 3x3/%d, dW db dx", B, C, H, W,
                 l.out.c, l.stride);
exit:
    return st;
}

clcam_status case_grads_own(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    return grads(ctx, s, v, 1, r, err);
}

clcam_status case_grads_clblast(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    return grads(ctx, s, v, 0, r, err);
}

/* Softmax cross-entropy (gradient, loss, correct flags), then three SGD steps (bitwise: the
 * same operations in the same order, no fma). Nesterov in variants 1 and 2. */
clcam_status case_xent_sgd(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int classes = C + 5, n = C * H * W, nesterov = v > 0;
    size_t nl = (size_t)B * classes;
    operand *lg = NULL, *lab = NULL, *dl = NULL, *loss = NULL, *cor = NULL, *want = NULL;
    operand *want_loss = NULL, *want_cor = NULL, *w = NULL, *g = NULL, *buf = NULL, *want_w = NULL;
    TRY(scratch_add(ctx, s, nl, sizeof(float), 1, &lg, err));
    for (size_t i = 0; i < nl; i++) ((float *)lg->host)[i] *= 4.0f;
    TRY(cl_ctx_upload(ctx, lg->dev, lg->host, nl * sizeof(float), err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int32_t), 0, &lab, err));
    for (int i = 0; i < B; i++) ((int32_t *)lab->host)[i] = (i * 7 + 3) % classes;
    TRY(cl_ctx_upload(ctx, lab->dev, lab->host, sizeof(int32_t) * B, err));
    TRY(scratch_add(ctx, s, nl, sizeof(float), 0, &dl, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(float), 0, &loss, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int32_t), 0, &cor, err));
    TRY(scratch_add(ctx, s, nl, sizeof(float), 0, &want, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(float), 0, &want_loss, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int32_t), 0, &want_cor, err));
    TRY(op_softmax_xent(ctx, lg->dev, lab->dev, dl->dev, loss->dev, cor->dev, B, classes, err));
    TRY(fetch(ctx, dl, dl->host, err));
    TRY(fetch(ctx, loss, loss->host, err));
    TRY(fetch(ctx, cor, cor->host, err));
    ref_softmax_xent(lg->host, lab->host, want->host, want_loss->host, want_cor->host, B, classes);
    compare(r, dl->host, want->host, nl, 1e-7, 1e-5);
    compare(r, loss->host, want_loss->host, (size_t)B, 1e-6, 1e-5);
    compare_int(r, cor->host, want_cor->host, (size_t)B);

    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &w, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &g, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &buf, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &want_w, err));
    memcpy(want_w->host, w->host, sizeof(float) * n);
    for (int step = 0; step < 3; step++) {
        float lr = 0.05f / (float)(step + 1);
        TRY(op_sgd_step(ctx, w->dev, g->dev, buf->dev, lr, 0.9f, 5e-4f, nesterov, n, err));
        ref_sgd_step(want_w->host, g->host, buf->host, lr, 0.9f, 5e-4f, nesterov, n);
    }
    TRY(fetch(ctx, w, w->host, err));
    compare_bits(r, w->host, want_w->host, sizeof(float) * (size_t)n);
    snprintf(r->sizes, sizeof r->sizes, "%d x %d classes; sgd %d%s", B, classes, n,
             nesterov ? " nesterov" : "");
exit:
    return st;
}

/* Random crop (zero padding of v + 1 pixels) and flip, bitwise against the reference. */
clcam_status case_augment(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int pad = v + 1;
    size_t n = (size_t)B * H * W * 3;
    operand *src = NULL, *dst = NULL, *idx = NULL, *want = NULL;
    TRY(scratch_add(ctx, s, n, 1, 0, &src, err));
    for (size_t i = 0; i < n; i++) ((uint8_t *)src->host)[i] = (uint8_t)(1 + i % 251);
    TRY(cl_ctx_upload(ctx, src->dev, src->host, n, err));
    TRY(scratch_add(ctx, s, n, 1, 0, &dst, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int32_t), 0, &idx, err));
    for (int i = 0; i < B; i++) ((int32_t *)idx->host)[i] = 1000 + 3 * i;
    TRY(cl_ctx_upload(ctx, idx->dev, idx->host, sizeof(int32_t) * B, err));
    TRY(scratch_add(ctx, s, n, 1, 0, &want, err));
    TRY(op_augment(ctx, src->dev, dst->dev, idx->dev, 7u, (unsigned)v, B, H, W, 3, pad, 1, err));
    TRY(fetch(ctx, dst, dst->host, err));
    ref_augment(src->host, want->host, idx->host, 7u, (uint32_t)v, B, H, W, 3, pad, 1);
    compare_bits(r, dst->host, want->host, n);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx3, pad %d, flip", B, H, W, pad);
exit:
    return st;
}

/* Batch statistics (with the running update), the forward, dgamma/dbeta and dx. */
clcam_status case_bn_train(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int HW = H * W;
    size_t n = (size_t)B * C * HW, vb = sizeof(float) * (size_t)C;
    operand *x = NULL, *y = NULL, *dy = NULL, *dx = NULL, *gm = NULL, *bt = NULL, *mean = NULL;
    operand *invstd = NULL, *rm = NULL, *rv = NULL, *dg = NULL, *db = NULL, *want = NULL;
    float *ref = NULL;
    TRY(scratch_add(ctx, s, n, sizeof(float), 1, &x, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 0, &y, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 1, &dy, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 0, &dx, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 1, &gm, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 1, &bt, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 0, &mean, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 0, &invstd, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 0, &rm, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 0, &rv, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 0, &dg, err));
    TRY(scratch_add(ctx, s, (size_t)C, sizeof(float), 0, &db, err));
    TRY(scratch_add(ctx, s, n, sizeof(float), 0, &want, err));
    float *gamma = gm->host, *rvh = rv->host;
    for (int c = 0; c < C; c++) gamma[c] += 1.5f, rvh[c] = 1.0f; /* gamma in [0.5, 2.5) */
    TRY(cl_ctx_upload(ctx, gm->dev, gamma, vb, err));
    TRY(cl_ctx_upload(ctx, rv->dev, rvh, vb, err));
    if (B * HW < 2) { /* one value per channel has no batch variance: refused, as in training */
        snprintf(r->sizes, sizeof r->sizes, "%dx%dx%d: skipped, one value a channel", B, C, HW);
        goto exit;
    }
    if (!(ref = malloc(vb * 6))) { st = err_set(err, CLCAM_ERR_NOMEM, "selftest: out of memory"); goto exit; }
    TRY(op_bn_stats(ctx, x->dev, mean->dev, invstd->dev, rm->dev, rv->dev, B, C, HW, 1e-5f, 0.1f, 1, err));
    TRY(op_bn_forward(ctx, x->dev, y->dev, mean->dev, invstd->dev, gm->dev, bt->dev, B, C, HW, err));
    TRY(op_bn_backward_params(ctx, x->dev, dy->dev, mean->dev, invstd->dev, dg->dev, db->dev, B, C, HW, err));
    TRY(op_bn_backward_data(ctx, x->dev, dy->dev, dx->dev, mean->dev, invstd->dev, gm->dev, dg->dev,
                            db->dev, B, C, HW, err));
    TRY(fetch(ctx, y, y->host, err));
    TRY(fetch(ctx, dx, dx->host, err));
    TRY(fetch(ctx, dg, dg->host, err));
    TRY(fetch(ctx, db, db->host, err));
    TRY(fetch(ctx, rm, rm->host, err));
    TRY(fetch(ctx, rv, rv->host, err));
    {
        float *m = ref, *is = ref + C, *rmr = ref + 2 * C, *rvr = ref + 3 * C, *dgr = ref + 4 * C, *dbr = ref + 5 * C;
        for (int c = 0; c < C; c++) rmr[c] = 0.0f, rvr[c] = 1.0f;
        ref_bn_forward_train(x->host, want->host, gamma, bt->host, m, is, rmr, rvr, B, C, HW, 1e-5f, 0.1f);
        compare(r, y->host, want->host, n, 1e-5, 1e-5);
        compare(r, rm->host, rmr, (size_t)C, 1e-6, 1e-5);
        compare(r, rv->host, rvr, (size_t)C, 1e-6, 1e-5);
        ref_bn_backward(x->host, dy->host, gamma, m, is, want->host, dgr, dbr, B, C, HW);
        compare(r, dx->host, want->host, n, 1e-5, 1e-4);
        /* float sums of B*HW values against double: the floor scales with the count */
        compare(r, dg->host, dgr, (size_t)C, 1e-6 * B * HW, 1e-5);
        compare(r, db->host, dbr, (size_t)C, 1e-6 * B * HW, 1e-5);
    }
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d, stats fwd bwd", B, C, H, W);
exit:
    free(ref);
    return st;
}
