/* A CAM method turns A (the target layer's output) and G (dScore/dA for one target per image)
 * into the raw map [batch, h, w] at the layer's resolution, after the method's ReLU.
 * Upsampling, normalisation and storage are shared (pipeline/cam_stage.c). Each method is a
 * row of CAM_METHODS: adding one touches a .cl file, a cam_<name>.c file, this table, a
 * reference and a test. */
#ifndef CLCAM_CAM_METHOD_H
#define CLCAM_CAM_METHOD_H

#include "../cl/runtime.h"

typedef enum {
    CAM_GRADCAM,
    CAM_METHOD_COUNT
} cam_method_kind;

typedef struct {
    cl_mem A;          /* [batch, K, h, w] */
    cl_mem G;          /* [batch, K, h, w]; valid when the method needs_grad */
    cl_mem targets;    /* int [batch * T]: the class explained at rank r is targets[b*T + r] */
    int T, rank;
    int batch, K, h, w;
} cam_inputs;

typedef struct {
    const char *name;
    int needs_grad;
    /* Device buffers for up to max_batch images; state may stay NULL. init may be NULL. */
    clcam_status (*init)(cl_ctx *ctx, void **state, int max_batch, int K, int h, int w,
                         clcam_err *err);
    void (*free)(void *state);
    /* raw [batch, h, w], contiguous. */
    clcam_status (*raw)(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                        clcam_err *err);
    /* The same in plain C, for tests and selftest. */
    void (*ref_raw)(const float *A, const float *G, int batch, int K, int h, int w, float *raw);
} cam_method_ops;

extern const cam_method_ops *const CAM_METHODS[CAM_METHOD_COUNT];
extern const cam_method_ops cam_gradcam_ops;

/* The method named name, or NULL. */
const cam_method_ops *cam_method_find(const char *name);

#endif
