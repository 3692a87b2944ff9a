#include "metric_results.h"

#include <stdio.h>

void metric_results_layout(const metric_stage *s, results_layout *L,
                           char values[RESULTS_MAX_METRIC_ATTRS][METRIC_ATTR_MAX])
{
    const metric_params *mp = &s->p;
    int n = 0, len = 0;
    char pct[96] = "";
    if (!s->enabled) return;
    for (int k = 0; k < METRIC_COUNT && L->n_metrics < RESULTS_MAX_METRICS; k++)
        if ((mp->mask >> k) & 1u) L->metrics[L->n_metrics++] = METRIC_NAMES[k];
    L->deletion_curve = s->l.on[FAMILY_DELETION];
    L->insertion_curve = s->l.on[FAMILY_INSERTION];
    L->curve_points = mp->steps + 1;
    for (int j = 0; j < mp->n_pct && len < (int)sizeof pct - 8; j++)
        len += snprintf(pct + len, sizeof pct - (size_t)len, j ? ", %d" : "%d", mp->pct[j]);
#define ATTR(name, ...)                                                                          \
    do {                                                                                         \
        snprintf(values[n], METRIC_ATTR_MAX, __VA_ARGS__);                                       \
        L->metric_attr_name[n] = name;                                                           \
        L->metric_attr_value[n] = values[n];                                                     \
        n++;                                                                                     \
    } while (0)
    ATTR("score", "softmax probability of the target class");
    ATTR("confidence_space", "%s", mp->space ? "image: the image in [0, 1] times the map, normalised again"
                                             : "normalised: the network's input times the map");
    ATTR("rank_ties", "descending map value, ties by ascending pixel index (row-major)");
    ATTR("steps", "%d", mp->steps);
    ATTR("deletion_baseline", "0 in normalised space");
    ATTR("insertion_blur_sigma", "%.6g", (double)s->sigma);
    ATTR("auc", "trapezoid rule over the K + 1 points on [0, 1]");
    ATTR("road_percentiles", "%s", pct);
    ATTR("road_kept", "map < np.percentile(map, p) (MoRF), 1 - map < np.percentile(1 - map, p) (LeRF)");
    ATTR("road_noise", "%.6g", (double)mp->noise);
    ATTR("road_score", "probability on the imputed input minus on the input, mean over percentiles");
    ATTR("seed", "%u", mp->seed);
#undef ATTR
    L->n_metric_attrs = n;
}
