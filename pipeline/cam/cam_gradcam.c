/* Grad-CAM: w_k = spatial mean of G_k; raw = ReLU(sum_k w_k A_k). */
#include <stdlib.h>

#include "../../cl/ops.h"
#include "cam_method.h"
#include "../model/reference.h"

typedef struct {
    int fused;      /* one kernel, the weights in local memory (op_gradcam_fused) */
    cl_mem weights; /* [max_batch, K], for the two-kernel path only */
} gradcam_state;

static clcam_status gradcam_init(cl_ctx *ctx, void **state, int max_batch, int K, int h, int w,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    gradcam_state *s = calloc(1, sizeof *s);
    (void)h, (void)w;
    if (!s) return err_set(err, CLCAM_ERR_NOMEM, "out of memory");
    *state = s;
    /* two kernels when fusion is off or the K weights do not fit the device's local memory */
    s->fused = model_fusion_enabled() && op_gradcam_fused_fits(ctx, K);
    if (!s->fused)
        TRY(cl_ctx_alloc(ctx, sizeof(float) * (size_t)max_batch * K, &s->weights, "gradcam weights", err));
exit:
    return st;
}

static void gradcam_free(void *state)
{
    gradcam_state *s = state;
    if (!s) return;
    if (s->weights) clReleaseMemObject(s->weights);
    free(s);
}

static clcam_status gradcam_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    gradcam_state *s = state;
    int hw = in->h * in->w;
    if (s->fused) {
        TRY(op_gradcam_fused(ctx, in->G, in->A, raw, in->batch, in->K, hw, err));
    } else {
        TRY(op_gradcam_weights(ctx, in->G, s->weights, in->batch, in->K, hw, err));
        TRY(op_cam_weighted_relu(ctx, in->A, s->weights, raw, in->batch, in->K, hw, err));
    }
exit:
    return st;
}

static void gradcam_ref(const cam_ref_inputs *in, float *raw)
{
    float *wk = malloc(sizeof(float) * (size_t)in->batch * in->K);
    if (!wk) return;
    ref_gradcam_weights(in->G, wk, in->batch, in->K, in->h * in->w);
    ref_cam_weighted_relu(in->A, wk, raw, in->batch, in->K, in->h * in->w);
    free(wk);
}

const cam_method_ops cam_gradcam_ops = {
    .name = "gradcam",
    .needs_grad = 1,
    .init = gradcam_init,
    .free = gradcam_free,
    .raw = gradcam_raw,
    .ref_raw = gradcam_ref,
};
