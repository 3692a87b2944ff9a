/* The selftest's faithfulness-metric cases (cl/ops_metrics.h): the pixel order, and the
 * perturbed copies and scores, each against pipeline/metrics/reference_metrics.c. */
#include <math.h>
#include <stdio.h>

#include "../../cl/ops_metrics.h"
#include "../metrics/reference_metrics.h"
#include "selftest_case.h"

/* The order of rank 1 of 2 maps per image, values on 4 levels so most pixels tie: rank and
 * sorted bit for bit. Variants 1 and 2 pad to 1024 places, past one work-group's block in
 * local memory (512 at most), so the global passes run too. */
clcam_status case_metric_order(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    static const int SIZE[VARIANTS][3] = {{1, 5, 7}, {3, 23, 29}, {2, 33, 31}}; /* B, H, W */
    clcam_status st = CLCAM_OK;
    int B = SIZE[v][0], H = SIZE[v][1], W = SIZE[v][2], T = 2, HW = H * W;
    size_t nm = (size_t)B * T * HW, nr = (size_t)B * HW;
    operand *maps = NULL, *rank = NULL, *sorted = NULL, *key = NULL, *want_r = NULL, *want_s = NULL;
    size_t sb = op_metric_order_scratch_bytes(B, HW);
    TRY(scratch_add(ctx, s, nm, sizeof(float), 1, &maps, err));
    for (size_t i = 0; i < nm; i++) ((float *)maps->host)[i] = floorf(fabsf(((float *)maps->host)[i]) * 4.0f) / 4.0f;
    TRY(cl_ctx_upload(ctx, maps->dev, maps->host, nm * sizeof(float), err));
    TRY(scratch_add(ctx, s, nr, sizeof(int), 0, &rank, err));
    TRY(scratch_add(ctx, s, nr, sizeof(float), 0, &sorted, err));
    TRY(scratch_add(ctx, s, sb, 1, 0, &key, err));
    TRY(scratch_add(ctx, s, nr, sizeof(int), 0, &want_r, err));
    TRY(scratch_add(ctx, s, nr, sizeof(float), 0, &want_s, err));
    TRY(op_metric_order(ctx, maps->dev, T, 1, rank->dev, sorted->dev, key->dev, B, HW, err));
    TRY(fetch(ctx, rank, rank->host, err));
    TRY(fetch(ctx, sorted, sorted->host, err));
    if (ref_metric_order(maps->host, T, 1, want_r->host, want_s->host, B, HW) != 0) {
        st = err_set(err, CLCAM_ERR_NOMEM, "selftest: out of memory");
        goto exit;
    }
    compare_int(r, rank->host, want_r->host, nr);
    compare_bits(r, sorted->host, want_s->host, nr * sizeof(float));
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%d, 4 levels (ties)", B, H, W);
exit:
    return st;
}

/* Confidence copies in both spaces, deletion and insertion copies over image boundaries,
 * the blur and the scores. */
clcam_status case_metric_perturb(cl_ctx *ctx, scratch *s, int v, selftest_result *r,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int T = 2, HW = H * W, K = 5, first = B > 1 ? K - 2 : 0, count = B > 1 ? K + 1 : K;
    int classes = 7, mfirst = B > 1 ? 1 : 0, mcount = B > 1 ? B - 1 : 1;
    float sigma = 0.8f + 0.3f * (float)v, ms_host[6] = {0.485f, 0.456f, 0.406f, 0.229f, 0.224f, 0.225f};
    size_t nx = (size_t)B * 3 * HW, nm = (size_t)B * T * HW, nc = (size_t)count * 3 * HW;
    size_t nl = (size_t)count * classes, ns = (size_t)B * K;
    operand *x = NULL, *maps = NULL, *ms = NULL, *rank = NULL, *sorted = NULL, *blur = NULL;
    operand *tmp = NULL, *chunk = NULL, *want = NULL, *lg = NULL, *tg = NULL, *sc = NULL;
    TRY(scratch_add(ctx, s, nx, sizeof(float), 1, &x, err));
    TRY(scratch_add(ctx, s, nm, sizeof(float), 1, &maps, err));
    for (size_t i = 0; i < nm; i++) ((float *)maps->host)[i] = fabsf(((float *)maps->host)[i]);
    TRY(cl_ctx_upload(ctx, maps->dev, maps->host, nm * sizeof(float), err));
    TRY(scratch_add(ctx, s, 6, sizeof(float), 0, &ms, err));
    TRY(cl_ctx_upload(ctx, ms->dev, ms_host, sizeof ms_host, err));
    TRY(scratch_add(ctx, s, (size_t)B * HW, sizeof(int), 0, &rank, err));
    TRY(scratch_add(ctx, s, (size_t)B * HW, sizeof(float), 0, &sorted, err));
    if (ref_metric_order(maps->host, T, 1, rank->host, sorted->host, B, HW) != 0) {
        st = err_set(err, CLCAM_ERR_NOMEM, "selftest: out of memory");
        goto exit;
    }
    TRY(cl_ctx_upload(ctx, rank->dev, rank->host, (size_t)B * HW * sizeof(int), err));
    TRY(scratch_add(ctx, s, nx, sizeof(float), 0, &blur, err));
    TRY(scratch_add(ctx, s, nx, sizeof(float), 0, &tmp, err));
    TRY(scratch_add(ctx, s, nc > nx ? nc : nx, sizeof(float), 0, &chunk, err));
    TRY(scratch_add(ctx, s, nc > nx ? nc : nx, sizeof(float), 0, &want, err));
    for (int space = 0; space < 2; space++) {
        TRY(op_metric_mult(ctx, x->dev, maps->dev, T, 1, ms->dev, space, chunk->dev, 3, HW, mfirst,
                           mcount, err));
        TRY(fetch(ctx, chunk, chunk->host, err));
        ref_metric_mult(x->host, maps->host, T, 1, ms_host, space, want->host, 3, HW, mfirst, mcount);
        if (space == 0) /* a product: bit for bit; the image space divides (2.5 ulp in OpenCL) */
            compare_bits(r, chunk->host, want->host, (size_t)mcount * 3 * HW * sizeof(float));
        else
            compare(r, chunk->host, want->host, (size_t)mcount * 3 * HW, 1e-6, 1e-6);
    }
    TRY(op_metric_blur(ctx, x->dev, blur->dev, tmp->dev, B, 3, H, W, sigma, err));
    TRY(fetch(ctx, blur, blur->host, err));
    ref_metric_blur(x->host, want->host, tmp->host, B, 3, H, W, sigma);
    compare(r, blur->host, want->host, nx, 1e-6, 1e-5);
    for (int ins = 0; ins < 2; ins++) {
        TRY(op_metric_steps(ctx, x->dev, blur->dev, rank->dev, ins, K, chunk->dev, 3, HW, first,
                            count, err));
        TRY(fetch(ctx, chunk, chunk->host, err));
        ref_metric_steps(x->host, blur->host, rank->host, ins, K, want->host, 3, HW, first, count);
        compare_bits(r, chunk->host, want->host, nc * sizeof(float));
    }
    TRY(scratch_add(ctx, s, nl, sizeof(float), 1, &lg, err));
    for (size_t i = 0; i < nl; i++) ((float *)lg->host)[i] *= 40.0f;
    TRY(cl_ctx_upload(ctx, lg->dev, lg->host, nl * sizeof(float), err));
    TRY(scratch_add(ctx, s, (size_t)B * T, sizeof(int), 0, &tg, err));
    for (int i = 0; i < B * T; i++) ((int *)tg->host)[i] = (i * 3 + 2) % classes;
    TRY(cl_ctx_upload(ctx, tg->dev, tg->host, sizeof(int) * B * T, err));
    TRY(scratch_add(ctx, s, ns, sizeof(float), 0, &sc, err));
    TRY(op_metric_score(ctx, lg->dev, tg->dev, T, 1, classes, K, sc->dev, first, count, err));
    TRY(fetch(ctx, sc, sc->host, err));
    for (size_t i = 0; i < ns; i++) ((float *)want->host)[i] = 0.0f;
    ref_metric_score(lg->host, tg->host, T, 1, classes, K, want->host, first, count);
    compare(r, sc->host, want->host, ns, 1e-7, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx3x%dx%d, K %d, %d copies, sigma %.1f", B, H, W, K,
             count, (double)sigma);
exit:
    return st;
}
