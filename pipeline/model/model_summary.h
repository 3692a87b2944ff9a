/* `clcam model`: every layer a user can name as cam.layer, with its op, output shape,
 * parameters and FLOPs, like torchinfo's summary. */
#ifndef CLCAM_MODEL_SUMMARY_H
#define CLCAM_MODEL_SUMMARY_H

#include <stdio.h>

#include "model.h"

/* Parameters of layer i (weights and biases; a batchnorm folded into its conv counts there). */
long model_layer_params(const model *m, int i);
/* FLOPs of layer i for one image: 2 x the multiply-adds of a conv or linear layer (bias adds
 * included), one per output element (pooling: per window element) for the others. */
double model_layer_flops(const model *m, int i);
/* The table on out; cam (-1: none) marks the configured CAM layer, auto_cam the one
 * `cam.layer: auto` picks. */
void model_summary_print(FILE *out, const model *m, int cam, int auto_cam);

#endif
