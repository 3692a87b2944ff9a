/* One optimizer step on the device (augment, preprocess, forward, loss, backward for data and
 * parameters, SGD), and one evaluation batch. The trainer owns the device buffers. */
#ifndef CLCAM_TRAIN_STEP_H
#define CLCAM_TRAIN_STEP_H

#include <stdint.h>

#include "../model/model.h"

typedef struct {
    float lr, momentum, weight_decay;
    int nesterov;
    int crop_pad, flip;
    uint32_t seed, epoch;
} train_step_params;

typedef struct {
    model *m;
    int max_batch;
    float scale;      /* preprocess.scale */
    cl_mem d_raw, d_aug, d_index, d_input, d_mean_std, d_labels, d_dlogits, d_loss, d_correct;
    cl_mem d_dw[MODEL_MAX_LAYERS], d_db[MODEL_MAX_LAYERS];  /* gradients */
    cl_mem d_mw[MODEL_MAX_LAYERS], d_mb[MODEL_MAX_LAYERS];  /* momentum buffers */
    float *loss;      /* host: per image of the last batch */
    int32_t *correct;
} trainer;

/* Buffers for batches of up to max_batch; momentum from mom_w/mom_b (per layer, host copies
 * with the parameters' shapes). The model must be uploaded already. */
clcam_status trainer_init(cl_ctx *ctx, trainer *t, model *m, int max_batch, float scale,
                          const float mean[3], const float std[3], float *const *mom_w, float *const *mom_b,
                          clcam_err *err);
void trainer_free(trainer *t);

/* One step on batch images (uint8 NHWC), labels and index (their rows in the split, for the
 * augmentation's hash). Adds the batch's summed loss and correct count to *loss_sum, *correct. */
clcam_status trainer_step(cl_ctx *ctx, trainer *t, const uint8_t *images, const int32_t *labels,
                          const int32_t *index, int batch, const train_step_params *p,
                          double *loss_sum, long *correct, clcam_err *err);
/* Forward only (no augmentation): adds the batch's correct count to *correct. */
clcam_status trainer_eval(cl_ctx *ctx, trainer *t, const uint8_t *images, const int32_t *labels,
                          int batch, long *correct, clcam_err *err);
/* Parameters and momentum back into the model's and the given host arrays. */
clcam_status trainer_download(cl_ctx *ctx, trainer *t, float **mom_w, float **mom_b,
                              clcam_err *err);

#endif
