/* Grad-CAM on the device: from A and dScore/dA to the raw map and the final heatmap. */
#ifndef CLCAM_CAM_GRADCAM_H
#define CLCAM_CAM_GRADCAM_H

#include "layer.h"

typedef struct {
    int K, h, w;           /* A's channels and plane */
    int H, W;              /* input size: the final map's */
    cl_mem d_weights;      /* [batch, K] */
    cl_mem d_raw;          /* [batch, h, w] */
    cl_mem d_up;           /* [batch, H, W] before normalisation */
    cl_mem d_cam;          /* [batch, H, W] in [0, 1] */
} cam_gradcam;

clcam_status cam_gradcam_init(cl_ctx *ctx, cam_gradcam *c, layer_shape a, int H, int W,
                              int max_batch, clcam_err *err);
clcam_status cam_gradcam_compute(cl_ctx *ctx, cam_gradcam *c, cl_mem A, cl_mem dA, int batch,
                                 clcam_err *err);
void cam_gradcam_free(cam_gradcam *c);

#endif
