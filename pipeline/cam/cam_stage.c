#include "cam_stage.h"

#include <string.h>

#include "../../cl/ops.h"

clcam_status cam_stage_init(cl_ctx *ctx, cam_stage *c, const cam_method_ops *const *methods,
                            int n_methods, int T, layer_shape a, int H, int W, int max_batch,
                            clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t b = (size_t)max_batch;
    memset(c, 0, sizeof *c);
    if (n_methods < 1 || n_methods > CAM_STAGE_MAX_METHODS)
        return err_set(err, CLCAM_ERR_LIMIT, "cam stage: %d methods (1..%d)", n_methods, CAM_STAGE_MAX_METHODS);
    c->n_methods = n_methods;
    c->T = T;
    c->K = a.c;
    c->h = a.h;
    c->w = a.w;
    c->H = H;
    c->W = W;
    size_t tmp = (size_t)c->h * c->w;
    for (int m = 0; m < n_methods; m++) {
        c->raw_h[m] = methods[m]->full_res ? H : c->h;
        c->raw_w[m] = methods[m]->full_res ? W : c->w;
        if ((size_t)c->raw_h[m] * c->raw_w[m] > tmp) tmp = (size_t)c->raw_h[m] * c->raw_w[m];
    }
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * tmp, &c->d_raw_tmp, "raw map", err));
    c->fuse = model_fusion_enabled();
    if (!c->fuse) TRY(cl_ctx_alloc(ctx, sizeof(float) * b * H * W, &c->d_up, "upsampled map", err));
    for (int m = 0; m < n_methods; m++) {
        c->methods[m] = methods[m];
        c->needs_grad |= methods[m]->needs_grad;
        c->reruns_forward |= methods[m]->reruns_forward;
        if (methods[m]->init) TRY(methods[m]->init(ctx, &c->state[m], max_batch, c->K, c->h, c->w, err));
        TRY(cl_ctx_alloc(ctx, sizeof(float) * b * T * c->raw_h[m] * c->raw_w[m], &c->d_raw[m], "cam_raw", err));
        TRY(cl_ctx_alloc(ctx, sizeof(float) * b * T * H * W, &c->d_cam[m], "cam", err));
    }
exit:
    if (st != CLCAM_OK) cam_stage_free(c);
    return st;
}

clcam_status cam_stage_run(cl_ctx *ctx, cam_stage *c, const cam_inputs *in, int reruns_forward,
                           clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int HW = c->H * c->W;
    for (int m = 0; m < c->n_methods; m++) {
        if (c->methods[m]->reruns_forward != reruns_forward) continue;
        TRY(c->methods[m]->raw(ctx, c->state[m], in, c->d_raw_tmp, err));
        TRY(op_cam_store_rank(ctx, c->d_raw_tmp, c->d_raw[m], in->batch, c->raw_h[m] * c->raw_w[m],
                              c->T, in->rank, err));
        if (c->methods[m]->full_res) {
            TRY(op_cam_normalise(ctx, c->d_raw_tmp, c->d_cam[m], in->batch, HW, c->T, in->rank, err));
        } else if (c->fuse) {
            TRY(op_cam_upsample_normalise(ctx, c->d_raw_tmp, c->d_cam[m], in->batch, c->h, c->w,
                                          c->H, c->W, c->T, in->rank, err));
        } else {
            TRY(op_cam_upsample(ctx, c->d_raw_tmp, c->d_up, in->batch, c->h, c->w, c->H, c->W, err));
            TRY(op_cam_normalise(ctx, c->d_up, c->d_cam[m], in->batch, HW, c->T, in->rank, err));
        }
    }
exit:
    return st;
}

void cam_stage_free(cam_stage *c)
{
    for (int m = 0; m < c->n_methods; m++) {
        if (c->methods[m] && c->methods[m]->free) c->methods[m]->free(c->state[m]);
        if (c->d_raw[m]) clReleaseMemObject(c->d_raw[m]);
        if (c->d_cam[m]) clReleaseMemObject(c->d_cam[m]);
        c->state[m] = NULL;
        c->d_raw[m] = c->d_cam[m] = NULL;
    }
    if (c->d_raw_tmp) clReleaseMemObject(c->d_raw_tmp);
    if (c->d_up) clReleaseMemObject(c->d_up);
    c->d_raw_tmp = c->d_up = NULL;
    c->n_methods = 0;
}
