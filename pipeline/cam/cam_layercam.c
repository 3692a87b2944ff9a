/* LayerCAM (Jiang et al. 2021): raw = ReLU(sum_k relu(G_k) A_k). */
#include "../../cl/ops.h"
#include "cam_method.h"
#include "../model/reference.h"

static clcam_status layercam_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                                clcam_err *err)
{
    (void)state;
    return op_cam_elementwise_relu(ctx, in->A, in->G, raw, in->batch, in->K, in->h * in->w, 1, err);
}

static void layercam_ref(const cam_ref_inputs *in, float *raw)
{
    ref_cam_elementwise_relu(in->A, in->G, raw, in->batch, in->K, in->h * in->w, 1);
}

const cam_method_ops cam_layercam_ops = {
    .name = "layercam",
    .needs_grad = 1,
    .raw = layercam_raw,
    .ref_raw = layercam_ref,
};
