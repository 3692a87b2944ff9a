/* XGrad-CAM (Fu et al. 2020, as pytorch-grad-cam): w_k = sum_ij G A / (sum_ij A + 1e-7);
 * raw = ReLU(sum_k w_k A_k). */
#include <stdlib.h>

#include "../../cl/ops.h"
#include "cam_method.h"
#include "../model/reference.h"

typedef struct {
    cl_mem weights; /* [max_batch, K] */
} xgradcam_state;

static clcam_status xgradcam_init(cl_ctx *ctx, void **state, int max_batch, int K, int h, int w,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    xgradcam_state *s = calloc(1, sizeof *s);
    (void)h, (void)w;
    if (!s) return err_set(err, CLCAM_ERR_NOMEM, "out of memory");
    *state = s;
    TRY(cl_ctx_alloc(ctx, sizeof(float) * (size_t)max_batch * K, &s->weights, "xgradcam weights", err));
exit:
    return st;
}

static void xgradcam_free(void *state)
{
    xgradcam_state *s = state;
    if (!s) return;
    if (s->weights) clReleaseMemObject(s->weights);
    free(s);
}

static clcam_status xgradcam_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    xgradcam_state *s = state;
    int hw = in->h * in->w;
    TRY(op_xgradcam_weights(ctx, in->A, in->G, s->weights, in->batch, in->K, hw, err));
    TRY(op_cam_weighted_relu(ctx, in->A, s->weights, raw, in->batch, in->K, hw, err));
exit:
    return st;
}

static void xgradcam_ref(const cam_ref_inputs *in, float *raw)
{
    float *wk = malloc(sizeof(float) * (size_t)in->batch * in->K);
    if (!wk) return;
    ref_xgradcam_weights(in->A, in->G, wk, in->batch, in->K, in->h * in->w);
    ref_cam_weighted_relu(in->A, wk, raw, in->batch, in->K, in->h * in->w);
    free(wk);
}

const cam_method_ops cam_xgradcam_ops = {
    .name = "xgradcam",
    .needs_grad = 1,
    .init = xgradcam_init,
    .free = xgradcam_free,
    .raw = xgradcam_raw,
    .ref_raw = xgradcam_ref,
};
