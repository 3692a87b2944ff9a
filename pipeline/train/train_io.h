/* What `clcam train` writes: the weights file of the contract, and a checkpoint (the same plus
 * the momentum buffers and where the run stands), each written to PATH.tmp and renamed, so a
 * kill leaves the old file or the new one, never half of one. */
#ifndef CLCAM_TRAIN_IO_H
#define CLCAM_TRAIN_IO_H

#include <stdint.h>

#include "../model/model.h"

typedef struct {
    const char *config_yaml;   /* the effective config */
    const float *mean, *std;   /* preprocessing, [3] each */
    int epochs;                /* epochs done */
    uint32_t seed;             /* the RNG is counter-based: (seed, epochs) is its whole state */
    double train_loss, train_accuracy;
    double test_accuracy;      /* < 0: not evaluated */
} train_meta;

/* Parameters from the model's host copies (weight, bias); momentum_w/b (per layer index, NULL
 * for layers without parameters) make it a checkpoint: /train_state/momentum/<name>/... */
clcam_status train_file_write(const char *path, const model *m, float *const *momentum_w,
                              float *const *momentum_b, const train_meta *meta, clcam_err *err);

/* Reads the checkpoint at path into the model's host copies and the momentum arrays (allocated
 * by the caller, same shapes); *found = 0 when there is none. A checkpoint of another config
 * is an error naming it. meta->epochs and the figures are filled in. */
clcam_status train_checkpoint_read(const char *path, model *m, float **momentum_w,
                                   float **momentum_b, const char *config_yaml, train_meta *meta,
                                   int *found, clcam_err *err);

#endif
