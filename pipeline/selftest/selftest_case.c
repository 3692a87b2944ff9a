#include "selftest_case.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const int SZ[VARIANTS][4] = {{1, 3, 5, 7}, {3, 5, 9, 11}, {4, 17, 16, 16}};

void scratch_free(scratch *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->op[i].host);
        if (s->op[i].dev) clReleaseMemObject(s->op[i].dev);
    }
    s->n = 0;
}

float rnd(scratch *s, float lo, float hi)
{
    s->seed = s->seed * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)((s->seed >> 8) / 16777216.0);
}

/* A new operand of n elements of size elem; fill: 0 zeros, 1 uniform floats in [-1, 1). */
clcam_status scratch_add(cl_ctx *ctx, scratch *s, size_t n, size_t elem, int fill,
                         operand **out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    operand *o = NULL;
    if (s->n >= (int)(sizeof s->op / sizeof *s->op)) {
        st = err_set(err, CLCAM_ERR_LIMIT, "selftest: too many operands in one case");
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

clcam_status fetch(cl_ctx *ctx, operand *o, void *dst, clcam_err *err)
{
    return cl_ctx_download(ctx, o->dev, dst, o->n * o->elem, err);
}

/* Worst error ratio of got against want with tolerance abs + rel * |want|. */
void compare(selftest_result *r, const float *got, const float *want, size_t n, double abs_tol,
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

void compare_int(selftest_result *r, const int *got, const int *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) r->ratio = r->max_abs = INFINITY;
}

/* got and want must be bitwise equal: a fused kernel against the kernels it replaces. */
void compare_bits(selftest_result *r, const void *got, const void *want, size_t bytes)
{
    if (memcmp(got, want, bytes) != 0) r->ratio = r->max_abs = INFINITY;
}

/* A float operand of n values plus a canary after them, all set to `fill`. */
clcam_status scratch_canaried(cl_ctx *ctx, scratch *s, size_t n, float fill, operand **out,
                              clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(scratch_add(ctx, s, n + 1, sizeof(float), 0, out, err));
    for (size_t i = 0; i <= n; i++) ((float *)(*out)->host)[i] = fill;
    TRY(cl_ctx_upload(ctx, (*out)->dev, (*out)->host, (n + 1) * sizeof(float), err));
exit:
    return st;
}
