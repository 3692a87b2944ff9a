/* The faithfulness metrics (issue 15): their names, the perturbation families that produce
 * their scores, and how one image's scores turn into its metric values. Pure host code. */
#ifndef CLCAM_METRIC_DEFS_H
#define CLCAM_METRIC_DEFS_H

#include <stdint.h>

typedef enum {
    METRIC_CONFIDENCE_DROP,
    METRIC_CONFIDENCE_INCREASE,
    METRIC_DELETION,
    METRIC_INSERTION,
    METRIC_ROAD_MORF,
    METRIC_ROAD_LERF,
    METRIC_ROAD_COMBINED,
    METRIC_COUNT
} metric_kind;

/* The perturbed copies a metric needs, per image and target: the input times the map (1), the
 * deletion and insertion steps (K each) and ROAD's imputations (2 per percentile). */
typedef enum { FAMILY_MULT, FAMILY_DELETION, FAMILY_INSERTION, FAMILY_ROAD, FAMILY_COUNT } metric_family;

#define METRIC_PERCENTILES_MAX 9

typedef struct {
    unsigned mask;          /* bit k: metric_kind k was asked for */
    int steps;              /* K of deletion and insertion */
    int n_pct, pct[METRIC_PERCENTILES_MAX]; /* ROAD's percentiles */
    float noise;            /* ROAD's noise (standard deviation) */
    uint32_t seed;
    int space;              /* confidence: 0 the normalised input times the map, 1 the image */
} metric_params;

/* Where each family's scores sit in one (image, target)'s record, and the record's length:
 * off[f] < 0 when family f is not needed. */
typedef struct {
    int on[FAMILY_COUNT], copies[FAMILY_COUNT], off[FAMILY_COUNT];
    int record;
} metric_layout;

extern const char *const METRIC_NAMES[METRIC_COUNT];
/* The metric named s, or -1. */
int metric_find(const char *s);
void metric_layout_make(const metric_params *p, metric_layout *l);

/* One image's values from its record of scores (the target's softmax probability on every
 * perturbed copy) and y, the probability on the input itself: values[k] for every metric asked
 * for; deletion and insertion curves (K + 1 points each) when asked for. */
void metric_values(const metric_params *p, const metric_layout *l, const float *record, float y,
                   float values[METRIC_COUNT], float *deletion_curve, float *insertion_curve);

/* The trapezoid rule over K + 1 equally spaced points on [0, 1]. */
float metric_auc(const float *curve, int K);

#endif
