/* Plain-C ROAD imputation (op_metric_road's reference, cl/ops_metrics.h): the same copies on
 * host arrays, the linear systems solved in double by successive over-relaxation. */
#ifndef CLCAM_METRICS_REFERENCE_ROAD_H
#define CLCAM_METRICS_REFERENCE_ROAD_H

#include <stdint.h>

/* N(0, 1) noise of (seed, index, s, c, pixel), as cl/kernels/road.cl draws it. */
float ref_road_normal(uint32_t seed, uint32_t index, uint32_t s, uint32_t c, uint32_t pixel);

/* op_metric_road on host arrays: chunk [count, C, H, W] = copies first .. first + count - 1,
 * S = 2 * n_pct. sorted: each image's map (rank rank_t) in descending order [batch, HW]. */
void ref_metric_road(const float *input, const float *maps, int T, int rank_t,
                     const float *sorted, const int *pct, int n_pct, float noise, uint32_t seed,
                     const int *index, float *chunk, int C, int H, int W, int first, int count);

#endif
