/* The `sobel` baseline (pytorch-grad-cam's tutorial sobel_cam): the gradient magnitude of the
 * grey image at the input's size, no model involved. A method that does not beat it is
 * explaining edges, not the model. */
#include "../../cl/ops_metrics.h"
#include "cam_method.h"
#include "../model/reference.h"

static clcam_status sobel_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                              clcam_err *err)
{
    (void)state;
    if (!in->images) return err_set(err, CLCAM_ERR_USAGE, "sobel: no images given");
    return op_baseline_sobel(ctx, in->images, raw, in->batch, in->H, in->W, in->C, err);
}

static void sobel_ref(const cam_ref_inputs *in, float *raw)
{
    ref_baseline_sobel(in->images, raw, in->batch, in->H, in->W, in->C);
}

const cam_method_ops cam_sobel_ops = {
    .name = "sobel",
    .full_res = 1,
    .raw = sobel_raw,
    .ref_raw = sobel_ref,
};
