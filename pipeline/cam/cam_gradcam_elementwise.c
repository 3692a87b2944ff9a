/* Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): raw = ReLU(sum_k relu(G_k A_k)). */
#include "../../cl/ops.h"
#include "cam_method.h"
#include "../model/reference.h"

static clcam_status gradcam_elementwise_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                                clcam_err *err)
{
    (void)state;
    return op_cam_elementwise_relu(ctx, in->A, in->G, raw, in->batch, in->K, in->h * in->w, 2, err);
}

static void gradcam_elementwise_ref(const cam_ref_inputs *in, float *raw)
{
    ref_cam_elementwise_relu(in->A, in->G, raw, in->batch, in->K, in->h * in->w, 2);
}

const cam_method_ops cam_gradcam_elementwise_ops = {
    .name = "gradcam_elementwise",
    .needs_grad = 1,
    .raw = gradcam_elementwise_raw,
    .ref_raw = gradcam_elementwise_ref,
};
