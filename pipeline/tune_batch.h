/* The batch size of `batch: auto`, chosen by measurement: `clcam tune CONFIG` times the
 * config's whole explain pass (model, layer, methods, targets) at several batch sizes on the
 * device and stores the choice in the device's tuning file under a key of that work; `run`
 * looks the key up. */
#ifndef CLCAM_TUNE_BATCH_H
#define CLCAM_TUNE_BATCH_H

#include <stdio.h>

#include "explain.h"

/* Batch size of `batch: auto` where nothing was measured for this work on this device. */
enum { TUNE_BATCH_DEFAULT = 256 };

/* A hash of what decides the speed of a batch: the layers and their shapes, the CAM layer,
 * the methods and targets per image. 16 hex digits. */
void tune_batch_key(const model *m, int cam_layer, const explain_params *p, char key[17]);

/* Times batches of 16, 32, ... 512 images (synthetic pixels; each size's device buffers made
 * and freed in turn; a size the device has no memory for ends the search) and sets *best to
 * the smallest size within 5% of the fastest's images/s: less memory for the same speed.
 * A line per size goes to out. */
clcam_status tune_batch_measure(cl_ctx *ctx, model *m, int cam_layer, const explain_params *p,
                                FILE *out, int *best, clcam_err *err);

/* The device's batch file (<cache folder>/batch-<device hash>.txt): "KEY BATCH" lines.
 * lookup: 1 and *batch when the key is there (a malformed file is ignored with a warning). */
int tune_batch_lookup(const cl_ctx *ctx, const char *key, int *batch);
/* Sets key's line, keeping the other keys' (a temporary file, then renamed). */
clcam_status tune_batch_store(const cl_ctx *ctx, const char *key, int batch, clcam_err *err);

#endif
