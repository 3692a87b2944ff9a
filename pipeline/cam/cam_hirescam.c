/* HiResCAM (Draelos and Carin 2020): raw = ReLU(sum_k G_k A_k), element-wise, no spatial averaging. */
#include "../../cl/ops.h"
#include "cam_method.h"
#include "../model/reference.h"

static clcam_status hirescam_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                                clcam_err *err)
{
    (void)state;
    return op_cam_elementwise_relu(ctx, in->A, in->G, raw, in->batch, in->K, in->h * in->w, 0, err);
}

static void hirescam_ref(const cam_ref_inputs *in, float *raw)
{
    ref_cam_elementwise_relu(in->A, in->G, raw, in->batch, in->K, in->h * in->w, 0);
}

const cam_method_ops cam_hirescam_ops = {
    .name = "hirescam",
    .needs_grad = 1,
    .raw = hirescam_raw,
    .ref_raw = hirescam_ref,
};
