/* A CAM method turns A (the target layer's output) and G (dScore/dA for one target per image)
 * into the raw map [batch, h, w] at the layer's resolution, after the method's ReLU; a
 * full_res method (the baselines random and sobel) makes it at the input's [batch, H, W].
 * Upsampling, normalisation and storage are shared (pipeline/cam/cam_stage.c). Each method is a
 * row of CAM_METHODS: adding one touches a .cl file, a cam_<name>.c file, this table, a
 * reference and a test. */
#ifndef CLCAM_CAM_METHOD_H
#define CLCAM_CAM_METHOD_H

#include <stdint.h>

#include "../../cl/runtime.h"
#include "../model/model.h"

typedef enum {
    CAM_GRADCAM,
    CAM_GRADCAMPP,
    CAM_XGRADCAM,
    CAM_HIRESCAM,
    CAM_LAYERCAM,
    CAM_GRADCAM_ELEMENTWISE,
    CAM_EIGENCAM,
    CAM_SCORECAM,
    CAM_RANDOM,
    CAM_SOBEL,
    CAM_METHOD_COUNT
} cam_method_kind;

typedef struct {
    cl_mem A;          /* [batch, K, h, w] */
    cl_mem G;          /* [batch, K, h, w]; valid when the method needs_grad */
    cl_mem targets;    /* int [batch * T]: the class explained at rank r is targets[b*T + r] */
    int T, rank;
    int batch, K, h, w;
    /* For methods that rerun the network (Score-CAM): the model (its max_batch, input shape
     * and classes) and the preprocessed input [batch, C, H, W], which model_forward does not
     * overwrite. */
    model *m;
    cl_mem input;
    /* For the baselines: the uint8 NHWC images [batch, H, W, C], the dataset row of each
     * (int32 [batch]) and the seed of random maps. */
    cl_mem images, index;
    uint32_t seed;
    int C, H, W;
} cam_inputs;

/* What a plain-C reference gets: one rank's A, G and target class per image, and for
 * Score-CAM the preprocessed input and a reference forward pass (input [n, C, H, W] to
 * logits [n, classes]). */
typedef struct {
    const float *A, *G;   /* [batch, K, h, w] */
    int batch, K, h, w;
    const int *target;    /* [batch] */
    const float *input;   /* [batch, C, H, W] */
    int C, H, W, classes;
    void (*forward)(void *fctx, const float *x, int n, float *logits);
    void *fctx;
    const uint8_t *images;  /* [batch, H, W, C], for the baselines */
    const int32_t *index;   /* [batch] dataset rows */
    uint32_t seed;
} cam_ref_inputs;

typedef struct {
    const char *name;
    int needs_grad;
    /* 1: reruns the forward pass, which overwrites every activation (Score-CAM). The stage
     * runs such methods after every other method of every rank, ranks in order 0..T-1. */
    int reruns_forward;
    /* 1: raw is [batch, H, W] at the input's size, normalised without upsampling. */
    int full_res;
    /* Device buffers for up to max_batch images; state may stay NULL. init may be NULL. */
    clcam_status (*init)(cl_ctx *ctx, void **state, int max_batch, int K, int h, int w,
                         clcam_err *err);
    void (*free)(void *state);
    /* raw [batch, h, w] ([batch, H, W] when full_res), contiguous. */
    clcam_status (*raw)(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                        clcam_err *err);
    /* The same in plain C, for tests. */
    void (*ref_raw)(const cam_ref_inputs *in, float *raw);
} cam_method_ops;

extern const cam_method_ops *const CAM_METHODS[CAM_METHOD_COUNT];
extern const cam_method_ops cam_gradcam_ops, cam_gradcampp_ops, cam_xgradcam_ops,
    cam_hirescam_ops, cam_layercam_ops, cam_gradcam_elementwise_ops, cam_eigencam_ops,
    cam_scorecam_ops, cam_random_ops, cam_sobel_ops;

/* The method named name, or NULL. */
const cam_method_ops *cam_method_find(const char *name);

#endif
