/* One batch through the device: upload, preprocess, forward, head, then per target rank a
 * backward pass and every CAM method, then download. Everything is enqueued without waiting;
 * the caller waits on the returned event. */
#ifndef CLCAM_EXPLAIN_H
#define CLCAM_EXPLAIN_H

#include <stdint.h>

#include "cam/cam_stage.h"
#include "metrics/metric_stage.h"
#include "model/model.h"

typedef struct {
    float scale;
    float mean[3], std[3];
    int target_mode;   /* 0 predicted, 1 label, 2 fixed class, 3 top-k */
    int target_class;
    int T;             /* targets per image: k for top-k, else 1 */
    int n_methods;
    const cam_method_ops *methods[CAM_STAGE_MAX_METHODS];
    uint32_t seed;     /* cam.seed: the random baseline's */
    metric_params metrics;
} explain_params;

typedef struct {
    model *m;
    int cam_layer;
    explain_params p;
    int max_batch;
    cam_stage cam;
    metric_stage metrics;
    cl_mem d_images, d_input, d_mean_std, d_labels, d_probs, d_pred, d_targets, d_dlogits;
    cl_mem d_index;    /* int32 [batch]: each image's dataset row */
} explainer;

/* Host destinations of one batch's results. */
typedef struct {
    float *logits, *probs;               /* [batch, classes] */
    int32_t *pred;                       /* [batch] */
    int32_t *target;                     /* [batch, T] */
    float *cam[CAM_STAGE_MAX_METHODS];     /* [batch, T, H, W] */
    float *cam_raw[CAM_STAGE_MAX_METHODS]; /* [batch, T, raw_h, raw_w] of the cam stage */
    float *metric_scores;                /* [methods, T, batch, record]; NULL without metrics */
} explain_out;

/* Host arrays for batches of up to `batch` images of explainer e's work; free with
 * explain_out_free (also after a failed alloc). */
clcam_status explain_out_alloc(explain_out *o, int batch, const explainer *e, clcam_err *err);
void explain_out_free(explain_out *o);

clcam_status explainer_init(cl_ctx *ctx, explainer *e, model *m, int cam_layer,
                            const explain_params *p, int max_batch, clcam_err *err);
/* images: uint8 NHWC; labels may be NULL unless the target is the label; rows: each image's
 * dataset row (the random baseline's map is a function of it). The host arrays must stay
 * valid until *done completes. */
clcam_status explainer_enqueue(cl_ctx *ctx, explainer *e, const uint8_t *images,
                               const int32_t *labels, const int32_t *rows, int batch,
                               const explain_out *out, cl_event *done, clcam_err *err);
void explainer_free(explainer *e);

#endif
