#include "cam_gradcam.h"

#include <string.h>

#include "../cl/ops.h"

clcam_status cam_gradcam_init(cl_ctx *ctx, cam_gradcam *c, layer_shape a, int H, int W,
                              int max_batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t b = (size_t)max_batch;
    memset(c, 0, sizeof *c);
    c->K = a.c;
    c->h = a.h;
    c->w = a.w;
    c->H = H;
    c->W = W;
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * c->K, &c->d_weights, "gradcam weights", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * c->h * c->w, &c->d_raw, "cam_raw", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * H * W, &c->d_up, "upsampled cam", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * H * W, &c->d_cam, "cam", err));
exit:
    if (st != CLCAM_OK) cam_gradcam_free(c);
    return st;
}

clcam_status cam_gradcam_compute(cl_ctx *ctx, cam_gradcam *c, cl_mem A, cl_mem dA, int batch,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int hw = c->h * c->w;
    TRY(op_gradcam_weights(ctx, dA, c->d_weights, batch, c->K, hw, err));
    TRY(op_cam_weighted_relu(ctx, A, c->d_weights, c->d_raw, batch, c->K, hw, err));
    TRY(op_cam_upsample(ctx, c->d_raw, c->d_up, batch, c->h, c->w, c->H, c->W, err));
    TRY(op_cam_normalise(ctx, c->d_up, c->d_cam, batch, c->H * c->W, err));
exit:
    return st;
}

void cam_gradcam_free(cam_gradcam *c)
{
    cl_mem *bufs[] = {&c->d_weights, &c->d_raw, &c->d_up, &c->d_cam};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        if (*bufs[i]) clReleaseMemObject(*bufs[i]);
        *bufs[i] = NULL;
    }
}
