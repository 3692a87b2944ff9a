/* EigenCAM (Muhammad and Yeasin 2020, as pytorch-grad-cam's get_2d_projection): per image,
 * M = A as [hw, K] centred per channel, v its first right singular vector, raw = ReLU(M v).
 * v by EIGENCAM_ITERS power steps on (M^T M)^(2^EIGENCAM_SQUARINGS) from a fixed start:
 * squaring the matrix squares the ratio of its first two eigenvalues, so 150 steps on the
 * 16th power converge like 2,400 on M^T M, at a tenth of the launches. Sign: the
 * projection's largest-|.| value is positive. No gradient. */
#include <stdlib.h>

#include "../../cl/ops.h"
#include "cam_method.h"
#include "../model/reference.h"

/* Error after n steps ~ (s2 / s1)^(2 n 2^squarings) for singular values s1 > s2. */
#define EIGENCAM_SQUARINGS 4
#define EIGENCAM_ITERS 150

typedef struct {
    cl_mem Mc, C, C2, v, tmp; /* [max_batch, K, hw], 2 x [max_batch, K, K], 2 x [max_batch, K] */
} eigencam_state;

static void eigencam_free(void *state)
{
    eigencam_state *s = state;
    if (!s) return;
    if (s->Mc) clReleaseMemObject(s->Mc);
    if (s->C) clReleaseMemObject(s->C);
    if (s->C2) clReleaseMemObject(s->C2);
    if (s->v) clReleaseMemObject(s->v);
    if (s->tmp) clReleaseMemObject(s->tmp);
    free(s);
}

static clcam_status eigencam_init(cl_ctx *ctx, void **state, int max_batch, int K, int h, int w,
                                  clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t b = (size_t)max_batch, k = (size_t)K;
    eigencam_state *s = calloc(1, sizeof *s);
    if (!s) return err_set(err, CLCAM_ERR_NOMEM, "out of memory");
    *state = s;
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * k * h * w, &s->Mc, "eigencam centred A", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * k * k, &s->C, "eigencam M^T M", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * k * k, &s->C2, "eigencam (M^T M)^2", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * k, &s->v, "eigencam vector", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * k, &s->tmp, "eigencam vector", err));
exit:
    return st;
}

static clcam_status eigencam_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                                 clcam_err *err)
{
    eigencam_state *s = state;
    return op_eigencam(ctx, in->A, s->Mc, s->C, s->C2, s->v, s->tmp, raw, in->batch, in->K,
                       in->h * in->w, EIGENCAM_SQUARINGS, EIGENCAM_ITERS, err);
}

static void eigencam_ref(const cam_ref_inputs *in, float *raw)
{
    ref_eigencam(in->A, raw, in->batch, in->K, in->h * in->w, EIGENCAM_SQUARINGS, EIGENCAM_ITERS);
}

const cam_method_ops cam_eigencam_ops = {
    .name = "eigencam",
    .needs_grad = 0,
    .init = eigencam_init,
    .free = eigencam_free,
    .raw = eigencam_raw,
    .ref_raw = eigencam_ref,
};
