/* The CAM stage of a batch: every configured method at every target rank, each raw map
 * upsampled (unless full_res) and normalised, stored as [batch, T, h, w] (H, W if full_res)
 * and [batch, T, H, W] per method. */
#ifndef CLCAM_CAM_STAGE_H
#define CLCAM_CAM_STAGE_H

#include "cam_method.h"
#include "../model/layer.h"

#define CAM_STAGE_MAX_METHODS 16

typedef struct {
    int n_methods;
    const cam_method_ops *methods[CAM_STAGE_MAX_METHODS];
    void *state[CAM_STAGE_MAX_METHODS];
    int T;                 /* targets per image */
    int K, h, w;           /* A's channels and plane */
    int H, W;              /* input size: the final map's */
    int needs_grad;        /* some method uses G */
    int reruns_forward;    /* some method reruns the forward pass (Score-CAM) */
    int raw_h[CAM_STAGE_MAX_METHODS], raw_w[CAM_STAGE_MAX_METHODS]; /* h, w; H, W if full_res */
    cl_mem d_raw_tmp;      /* [batch, h, w] one method's raw map ([batch, H, W] if full_res) */
    int fuse;              /* upsampling and normalisation in one kernel (CLCAM_FUSE) */
    cl_mem d_up;           /* [batch, H, W] before normalisation; unfused only */
    cl_mem d_raw[CAM_STAGE_MAX_METHODS]; /* [batch, T, raw_h, raw_w] */
    cl_mem d_cam[CAM_STAGE_MAX_METHODS]; /* [batch, T, H, W] in [0, 1] */
} cam_stage;

clcam_status cam_stage_init(cl_ctx *ctx, cam_stage *c, const cam_method_ops *const *methods,
                            int n_methods, int T, layer_shape a, int H, int W, int max_batch,
                            clcam_err *err);
/* The methods whose reruns_forward equals reruns_forward, for one rank; in->rank says where
 * the results go. Run every rank with 0 first, then, when c->reruns_forward, every rank in
 * order with 1: those methods overwrite the model's activations. */
clcam_status cam_stage_run(cl_ctx *ctx, cam_stage *c, const cam_inputs *in, int reruns_forward,
                           clcam_err *err);
void cam_stage_free(cam_stage *c);

#endif
