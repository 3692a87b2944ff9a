/* The batch size of `batch: auto`, chosen by measurement: `clcam tune CONFIG` times the
 * config's run (model, layer, methods, targets) at several batch sizes on the device and stores the choice in the device's tuning file under a key of that work; `run`
 * looks the key up. */
#ifndef CLCAM_TUNE_BATCH_H
#define CLCAM_TUNE_BATCH_H

#include <stdio.h>

#include "../../io/config.h"
#include "../explain.h"

/* Batch size of `batch: auto` where nothing was measured for this work on this device. */
enum { TUNE_BATCH_DEFAULT = 256 };

/* A hash of what decides the speed of a batch: the layers and their shapes, the CAM layer,
 * the methods and targets per image. 16 hex digits. */
void tune_batch_key(const model *m, int cam_layer, const explain_params *p, char key[17]);

/* Images each batch size is timed on. */
enum { TUNE_BATCH_IMAGES = 4096 };

/* Times `clcam run` of cfg on its first TUNE_BATCH_IMAGES images (of count), into a temporary
 * results file, at batches of 16, 32, ... 512: the whole pipeline, reading and writing
 * included, as a run will see it; three rounds over the sizes, each size's best kept. A size
 * the device has no memory for ends the search.
 * *best: the smallest size within 5% of the fastest's images/s (less memory for the same
 * speed). A line per size goes to out. */
clcam_status tune_batch_measure(const clcam_config *cfg, long count, FILE *out, int *best,
                                clcam_err *err);

/* The device's batch file (<cache folder>/batch-<device hash>.txt): "KEY BATCH" lines.
 * lookup: 1 and *batch when the key is there (a malformed file is ignored with a warning). */
int tune_batch_lookup(const cl_ctx *ctx, const char *key, int *batch);
/* Sets key's line, keeping the other keys' (a temporary file, then renamed). */
clcam_status tune_batch_store(const cl_ctx *ctx, const char *key, int batch, clcam_err *err);

#endif
