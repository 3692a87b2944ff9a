/* A batch's metric values on the host, from the scores the metrics stage downloaded: what the
 * results file stores per image. */
#ifndef CLCAM_METRIC_ROWS_H
#define CLCAM_METRIC_ROWS_H

#include "metric_stage.h"

typedef struct {
    float *value[CAM_STAGE_MAX_METHODS][METRIC_COUNT]; /* [batch, T], metrics asked for */
    float *deletion[CAM_STAGE_MAX_METHODS];            /* [batch, T, K + 1] when asked for */
    float *insertion[CAM_STAGE_MAX_METHODS];
} metric_rows;

clcam_status metric_rows_alloc(metric_rows *r, const metric_stage *s, int batch, clcam_err *err);
/* scores: [methods, T, batch, record]; probs [batch, classes]; target [batch, T]. */
void metric_rows_fill(metric_rows *r, const metric_stage *s, const float *scores,
                      const float *probs, const int32_t *target, int classes, int batch);
void metric_rows_free(metric_rows *r);

#endif
