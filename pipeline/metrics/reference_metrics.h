/* Plain-C references of the faithfulness metrics' kernels (cl/ops_metrics.h, which has the
 * conventions and the meaning of every argument): the oracle for tests/test_metric_ops.c and
 * the selftest. Same order of operations as the kernels, in float. */
#ifndef CLCAM_REFERENCE_METRICS_H
#define CLCAM_REFERENCE_METRICS_H

/* rank [batch, HW] and sorted [batch, HW] of op_metric_order: descending value, ties by
 * ascending pixel, NaN after every number. Returns 0, or -1 when out of memory. */
int ref_metric_order(const float *maps, int T, int rank_t, int *rank, float *sorted, int batch,
                     int HW);
void ref_metric_mult(const float *input, const float *maps, int T, int rank_t,
                     const float *mean_std, int space, float *chunk, int C, int HW, int first,
                     int count);
void ref_metric_steps(const float *input, const float *blurred, const int *rank, int insertion,
                      int K, float *chunk, int C, int HW, int first, int count);
/* scratch: [batch, C, H, W], the horizontal pass. */
void ref_metric_blur(const float *input, float *blurred, float *scratch, int batch, int C, int H,
                     int W, float sigma);
void ref_metric_score(const float *logits, const int *targets, int T, int rank_t, int classes,
                      int S, float *scores, int first, int count);

#endif
