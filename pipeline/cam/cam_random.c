/* The `random` baseline (pytorch-grad-cam's tutorial): a uniform map in [0, 1) at the input's
 * size, from (cam.seed, the image's dataset row, the pixel), so the same on any device and in
 * any batch. A method that does not beat it is not explaining the model. */
#include "../../cl/ops_metrics.h"
#include "cam_method.h"
#include "../model/reference.h"

static clcam_status random_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                               clcam_err *err)
{
    (void)state;
    if (!in->index) return err_set(err, CLCAM_ERR_USAGE, "random: no dataset rows given");
    return op_baseline_random(ctx, in->index, in->seed, raw, in->batch, in->H * in->W, err);
}

static void random_ref(const cam_ref_inputs *in, float *raw)
{
    ref_baseline_random(in->index, in->seed, raw, in->batch, in->H * in->W);
}

const cam_method_ops cam_random_ops = {
    .name = "random",
    .full_res = 1,
    .raw = random_raw,
    .ref_raw = random_ref,
};
