/* The metrics stage of a batch: for every method and target rank, the perturbed copies of the
 * batch's inputs (ranked by the method's final map) run through the network in packed chunks
 * of the model's batch; the target's softmax probability on each copy is the score. All of it
 * is on the device; only the scores, [methods, T, batch, record], come back. */
#ifndef CLCAM_METRIC_STAGE_H
#define CLCAM_METRIC_STAGE_H

#include "../cam/cam_stage.h"
#include "../model/model.h"
#include "metric_defs.h"

typedef struct {
    metric_params p;
    metric_layout l;
    int enabled;           /* some metric was asked for */
    int max_batch, n_methods, T, C, H, W;
    float sigma;           /* insertion's blur */
    cl_mem d_rank, d_sorted, d_order_scratch; /* one map's pixel order, [max_batch, H*W] */
    cl_mem d_blurred, d_blur_scratch;         /* [max_batch, C, H, W] */
    cl_mem d_chunk;        /* [model max_batch, C, H, W]: copies on their way through the network */
    cl_mem d_part;         /* [part, C, H, W]: a part of d_chunk for one forward pass, or NULL */
    int part;              /* images per forward pass of the copies */
    cl_mem d_road_scratch;
    cl_mem d_pct;          /* int [n_pct] */
    cl_mem d_family[FAMILY_COUNT]; /* [max_batch * copies]: one family's scores */
    cl_mem d_scores;       /* [n_methods, T, batch, record] */
} metric_stage;

/* What one batch gives the stage. */
typedef struct {
    model *m;
    cl_mem input;      /* [batch, C, H, W], normalised; model_forward leaves it alone */
    cl_mem targets;    /* int [batch * T] */
    cl_mem index;      /* int [batch]: dataset rows, for seeds */
    cl_mem mean_std;   /* 6 floats */
    int batch;
} metric_inputs;

/* Nothing is allocated when p asks for no metric. */
clcam_status metric_stage_init(cl_ctx *ctx, metric_stage *s, const metric_params *p, model *m,
                               int n_methods, int T, int max_batch, clcam_err *err);
/* Enqueues every method's metrics for the batch (after the CAM stage: it reruns the network
 * and so overwrites every activation). */
clcam_status metric_stage_run(cl_ctx *ctx, metric_stage *s, const cam_stage *c,
                              const metric_inputs *in, clcam_err *err);
/* Floats of scores a batch of `batch` images downloads. */
size_t metric_stage_scores(const metric_stage *s, int batch);
void metric_stage_free(metric_stage *s);

#endif
