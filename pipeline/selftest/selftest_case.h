/* What the selftest cases share: operands on the host and the device, comparisons against
 * the references, the sizes of each variant. selftest.c holds the layer and convolution
 * cases and runs them all; selftest_cam.c holds the CAM cases. */
#ifndef CLCAM_SELFTEST_CASE_H
#define CLCAM_SELFTEST_CASE_H

#include <stddef.h>

#include "selftest.h"

#define VARIANTS SELFTEST_VARIANTS

/* Host and device copies of one operand. */
typedef struct {
    size_t n, elem;
    void *host;
    cl_mem dev;
} operand;

/* Scratch for one case: up to 16 operands, freed together. */
typedef struct {
    operand op[16];
    int n;
    unsigned seed;
} scratch;

void scratch_free(scratch *s);
float rnd(scratch *s, float lo, float hi);
/* A new operand of n elements of size elem; fill: 0 zeros, 1 uniform floats in [-1, 1). */
clcam_status scratch_add(cl_ctx *ctx, scratch *s, size_t n, size_t elem, int fill, operand **out,
                         clcam_err *err);
clcam_status fetch(cl_ctx *ctx, operand *o, void *dst, clcam_err *err);
/* Worst error ratio of got against want with tolerance abs + rel * |want|. */
void compare(selftest_result *r, const float *got, const float *want, size_t n, double abs_tol,
             double rel_tol);
void compare_int(selftest_result *r, const int *got, const int *want, size_t n);
/* got and want must be bitwise equal: a fused kernel against the kernels it replaces. */
void compare_bits(selftest_result *r, const void *got, const void *want, size_t bytes);
/* A float operand of n values plus a canary after them, all set to `fill`. */
clcam_status scratch_canaried(cl_ctx *ctx, scratch *s, size_t n, float fill, operand **out,
                              clcam_err *err);

/* Sizes per variant: batch, channels, height, width (odd on purpose). */
extern const int SZ[VARIANTS][4];

/* Each case fills r and compares; names follow the kernels. */
typedef clcam_status (*case_fn)(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);

#define SIZES(v) int B = SZ[v][0], C = SZ[v][1], H = SZ[v][2], W = SZ[v][3]; (void)B, (void)C, (void)H, (void)W

/* selftest_cam.c */
clcam_status case_cam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_cam_fused(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_scorecam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_m_gradcam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_m_gradcampp(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_m_xgradcam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_m_hirescam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_m_layercam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_m_elementwise(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_m_eigencam(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_baseline(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);

/* selftest_road.c */
clcam_status case_road(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);

/* selftest_train.c */
clcam_status case_grads_own(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_grads_clblast(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_xent_sgd(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_augment(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_bn_train(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
/* selftest_graph.c */
clcam_status case_add_inplace(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_concat(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);

/* selftest_metrics.c */
clcam_status case_metric_order(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_metric_perturb(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);

/* selftest_layers.c */
clcam_status case_conv_grouped(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_clip(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_pool_pad(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);
clcam_status case_pad_bn_eval(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err);

#endif
