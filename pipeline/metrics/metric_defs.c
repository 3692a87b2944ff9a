#include "metric_defs.h"

#include <string.h>

const char *const METRIC_NAMES[METRIC_COUNT] = {
    "confidence_drop", "confidence_increase", "deletion", "insertion",
    "road_morf",       "road_lerf",           "road_combined",
};

int metric_find(const char *s)
{
    for (int k = 0; k < METRIC_COUNT; k++)
        if (strcmp(s, METRIC_NAMES[k]) == 0) return k;
    return -1;
}

static int asked(const metric_params *p, metric_kind k)
{
    return (p->mask >> k) & 1u;
}

void metric_layout_make(const metric_params *p, metric_layout *l)
{
    memset(l, 0, sizeof *l);
    l->on[FAMILY_MULT] = asked(p, METRIC_CONFIDENCE_DROP) || asked(p, METRIC_CONFIDENCE_INCREASE);
    l->on[FAMILY_DELETION] = asked(p, METRIC_DELETION);
    l->on[FAMILY_INSERTION] = asked(p, METRIC_INSERTION);
    l->on[FAMILY_ROAD] = asked(p, METRIC_ROAD_MORF) || asked(p, METRIC_ROAD_LERF) ||
                         asked(p, METRIC_ROAD_COMBINED);
    l->copies[FAMILY_MULT] = 1;
    l->copies[FAMILY_DELETION] = p->steps;
    l->copies[FAMILY_INSERTION] = p->steps;
    l->copies[FAMILY_ROAD] = 2 * p->n_pct;
    for (int f = 0; f < FAMILY_COUNT; f++) {
        l->off[f] = l->on[f] ? l->record : -1;
        if (l->on[f]) l->record += l->copies[f];
    }
}

float metric_auc(const float *curve, int K)
{
    double s = 0;
    for (int i = 0; i < K; i++) s += 0.5 * ((double)curve[i] + curve[i + 1]);
    return (float)(s / K);
}

void metric_values(const metric_params *p, const metric_layout *l, const float *record, float y,
                   float values[METRIC_COUNT], float *deletion_curve, float *insertion_curve)
{
    int K = p->steps;
    for (int k = 0; k < METRIC_COUNT; k++) values[k] = 0;
    if (l->on[FAMILY_MULT]) {
        float o = record[l->off[FAMILY_MULT]];
        /* Chattopadhay et al.'s Average Drop: max(0, Y - O) / Y; Increase: O > Y. */
        values[METRIC_CONFIDENCE_DROP] = y > 0 ? (y - o > 0 ? (y - o) / y : 0) : 0;
        values[METRIC_CONFIDENCE_INCREASE] = o > y ? 1.0f : 0.0f;
    }
    if (l->on[FAMILY_DELETION]) {
        /* Step 0 is the input itself; steps 1..K were run. */
        deletion_curve[0] = y;
        memcpy(deletion_curve + 1, record + l->off[FAMILY_DELETION], sizeof(float) * (size_t)K);
        values[METRIC_DELETION] = metric_auc(deletion_curve, K);
    }
    if (l->on[FAMILY_INSERTION]) {
        /* Steps 0..K-1 were run; step K is the input itself. */
        memcpy(insertion_curve, record + l->off[FAMILY_INSERTION], sizeof(float) * (size_t)K);
        insertion_curve[K] = y;
        values[METRIC_INSERTION] = metric_auc(insertion_curve, K);
    }
    if (l->on[FAMILY_ROAD]) {
        /* As pytorch-grad-cam: each percentile's score minus the input's, averaged (float32);
         * combined = mean over percentiles of (LeRF - MoRF) / 2. */
        const float *r = record + l->off[FAMILY_ROAD];
        float morf = 0, lerf = 0;
        for (int j = 0; j < p->n_pct; j++) {
            morf += r[2 * j] - y;
            lerf += r[2 * j + 1] - y;
        }
        morf /= (float)p->n_pct;
        lerf /= (float)p->n_pct;
        values[METRIC_ROAD_MORF] = morf;
        values[METRIC_ROAD_LERF] = lerf;
        values[METRIC_ROAD_COMBINED] = (lerf - morf) / 2;
    }
}
