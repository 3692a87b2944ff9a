/* Selftest cases of the graph's kernels: add_inplace (the add layer, summed gradients) and the
 * channel concat and its slices, against the plain-C references (bitwise: copies and one
 * float addition each). */
#include <stdio.h>

#include "../../cl/ops.h"
#include "../model/reference.h"
#include "selftest_case.h"

clcam_status case_add_inplace(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    operand *acc = NULL, *x = NULL, *y = NULL, *want = NULL;
    int n = B * C * H * W;
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &acc, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &x, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 1, &y, err));
    TRY(scratch_add(ctx, s, (size_t)n, sizeof(float), 0, &want, err));
    for (int i = 0; i < n; i++) ((float *)want->host)[i] = ((float *)acc->host)[i];
    ref_add_inplace(want->host, x->host, n);
    ref_add_inplace(want->host, y->host, n);
    TRY(op_add_inplace(ctx, acc->dev, x->dev, n, err));
    TRY(op_add_inplace(ctx, acc->dev, y->dev, n, err));
    TRY(fetch(ctx, acc, acc->host, err));
    compare_bits(r, acc->host, want->host, sizeof(float) * (size_t)n);
    snprintf(r->sizes, sizeof r->sizes, "%d values, three terms", n);
exit:
    return st;
}

clcam_status case_concat(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    int C2 = C / 2 + 1, hw = H * W, total = (C + C2) * hw;
    operand *a = NULL, *b = NULL, *out = NULL, *want = NULL, *da = NULL, *db = NULL, *wa = NULL, *wb = NULL;
    TRY(scratch_add(ctx, s, (size_t)B * C * hw, sizeof(float), 1, &a, err));
    TRY(scratch_add(ctx, s, (size_t)B * C2 * hw, sizeof(float), 1, &b, err));
    TRY(scratch_add(ctx, s, (size_t)B * total, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, (size_t)B * total, sizeof(float), 0, &want, err));
    TRY(scratch_add(ctx, s, (size_t)B * C * hw, sizeof(float), 0, &da, err));
    TRY(scratch_add(ctx, s, (size_t)B * C2 * hw, sizeof(float), 0, &db, err));
    TRY(scratch_add(ctx, s, (size_t)B * C * hw, sizeof(float), 0, &wa, err));
    TRY(scratch_add(ctx, s, (size_t)B * C2 * hw, sizeof(float), 0, &wb, err));
    TRY(op_concat_copy(ctx, a->dev, out->dev, B, C * hw, total, 0, err));
    TRY(op_concat_copy(ctx, b->dev, out->dev, B, C2 * hw, total, C * hw, err));
    /* the way back, from the output just made: the slices are the inputs again */
    TRY(op_concat_slice(ctx, out->dev, da->dev, B, C * hw, total, 0, err));
    TRY(op_concat_slice(ctx, out->dev, db->dev, B, C2 * hw, total, C * hw, err));
    ref_concat_copy(a->host, want->host, B, C * hw, total, 0);
    ref_concat_copy(b->host, want->host, B, C2 * hw, total, C * hw);
    ref_concat_slice(want->host, wa->host, B, C * hw, total, 0);
    ref_concat_slice(want->host, wb->host, B, C2 * hw, total, C * hw);
    TRY(fetch(ctx, out, out->host, err));
    compare_bits(r, out->host, want->host, sizeof(float) * (size_t)B * total);
    TRY(fetch(ctx, da, da->host, err));
    compare_bits(r, da->host, wa->host, sizeof(float) * (size_t)B * C * hw);
    TRY(fetch(ctx, db, db->host, err));
    compare_bits(r, db->host, wb->host, sizeof(float) * (size_t)B * C2 * hw);
    snprintf(r->sizes, sizeof r->sizes, "%dx(%d+%d)x%dx%d", B, C, C2, H, W);
exit:
    return st;
}
