#include "metric_rows.h"

#include <stdlib.h>
#include <string.h>

clcam_status metric_rows_alloc(metric_rows *r, const metric_stage *s, int batch, clcam_err *err)
{
    size_t n = (size_t)batch * (size_t)s->T, curve = n * (size_t)(s->p.steps + 1);
    int ok = 1;
    memset(r, 0, sizeof *r);
    if (!s->enabled) return CLCAM_OK;
    for (int m = 0; m < s->n_methods; m++) {
        for (int k = 0; k < METRIC_COUNT; k++)
            if ((s->p.mask >> k) & 1u) ok &= (r->value[m][k] = malloc(sizeof(float) * n)) != NULL;
        if (s->l.on[FAMILY_DELETION]) ok &= (r->deletion[m] = malloc(sizeof(float) * curve)) != NULL;
        if (s->l.on[FAMILY_INSERTION]) ok &= (r->insertion[m] = malloc(sizeof(float) * curve)) != NULL;
    }
    if (!ok) {
        metric_rows_free(r);
        return err_set(err, CLCAM_ERR_NOMEM, "out of memory for the metrics of a batch of %d images", batch);
    }
    return CLCAM_OK;
}

void metric_rows_fill(metric_rows *r, const metric_stage *s, const float *scores,
                      const float *probs, const int32_t *target, int classes, int batch)
{
    int T = s->T, K = s->p.steps;
    float values[METRIC_COUNT];
    for (int m = 0; m < s->n_methods; m++)
        for (int t = 0; t < T; t++) {
            /* the scores of (m, t) are one block of batch records in each family's order */
            const float *block = scores + ((size_t)m * T + t) * (size_t)batch * s->l.record;
            for (int b = 0; b < batch; b++) {
                size_t row = (size_t)b * T + t;
                float record[2 * 256 + 2 * METRIC_PERCENTILES_MAX + 1];
                float y = probs[(size_t)b * classes + target[row]];
                for (int f = 0; f < FAMILY_COUNT; f++)
                    if (s->l.on[f])
                        memcpy(record + s->l.off[f],
                               block + (size_t)batch * s->l.off[f] + (size_t)b * s->l.copies[f],
                               sizeof(float) * (size_t)s->l.copies[f]);
                metric_values(&s->p, &s->l, record, y, values,
                              r->deletion[m] ? r->deletion[m] + row * (K + 1) : NULL,
                              r->insertion[m] ? r->insertion[m] + row * (K + 1) : NULL);
                for (int k = 0; k < METRIC_COUNT; k++)
                    if (r->value[m][k]) r->value[m][k][row] = values[k];
            }
        }
}

void metric_rows_free(metric_rows *r)
{
    for (int m = 0; m < CAM_STAGE_MAX_METHODS; m++) {
        for (int k = 0; k < METRIC_COUNT; k++) free(r->value[m][k]);
        free(r->deletion[m]);
        free(r->insertion[m]);
    }
    memset(r, 0, sizeof *r);
}
