/* Grad-CAM++ (Chattopadhyay et al. 2018, eq. 19, as pytorch-grad-cam): sumA_k = sum_ij A_k;
 * a_ij = G^2 / (2 G^2 + sumA_k G^3 + 1e-6) where G != 0, else 0; w_k = sum_ij relu(G) a_ij;
 * raw = ReLU(sum_k w_k A_k). The denominator is evaluated as G^2 (2 + sumA_k G) + 1e-6 with
 * 2 + sumA_k G formed without rounding (cl/kernels/cam_methods.cl says why). */
#include <stdlib.h>

#include "../../cl/ops.h"
#include "cam_method.h"
#include "../model/reference.h"

typedef struct {
    cl_mem weights; /* [max_batch, K] */
} gradcampp_state;

static clcam_status gradcampp_init(cl_ctx *ctx, void **state, int max_batch, int K, int h, int w,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    gradcampp_state *s = calloc(1, sizeof *s);
    (void)h, (void)w;
    if (!s) return err_set(err, CLCAM_ERR_NOMEM, "out of memory");
    *state = s;
    TRY(cl_ctx_alloc(ctx, sizeof(float) * (size_t)max_batch * K, &s->weights, "gradcampp weights", err));
exit:
    return st;
}

static void gradcampp_free(void *state)
{
    gradcampp_state *s = state;
    if (!s) return;
    if (s->weights) clReleaseMemObject(s->weights);
    free(s);
}

static clcam_status gradcampp_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    gradcampp_state *s = state;
    int hw = in->h * in->w;
    TRY(op_gradcampp_weights(ctx, in->A, in->G, s->weights, in->batch, in->K, hw, err));
    TRY(op_cam_weighted_relu(ctx, in->A, s->weights, raw, in->batch, in->K, hw, err));
exit:
    return st;
}

static void gradcampp_ref(const cam_ref_inputs *in, float *raw)
{
    float *wk = malloc(sizeof(float) * (size_t)in->batch * in->K);
    if (!wk) return;
    ref_gradcampp_weights(in->A, in->G, wk, in->batch, in->K, in->h * in->w);
    ref_cam_weighted_relu(in->A, wk, raw, in->batch, in->K, in->h * in->w);
    free(wk);
}

const cam_method_ops cam_gradcampp_ops = {
    .name = "gradcampp",
    .needs_grad = 1,
    .init = gradcampp_init,
    .free = gradcampp_free,
    .raw = gradcampp_raw,
    .ref_raw = gradcampp_ref,
};
