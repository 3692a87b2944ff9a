/* `clcam tune`: searches CLBlast's GEMM parameters on the chosen device, timing the GEMMs of
 * CIFAR-sized convolutions, and stores the fastest set in the device's tuning file. */
#ifndef CLCAM_TUNE_H
#define CLCAM_TUNE_H

#include <stdio.h>

#include "../../io/config.h"
#include "../../base/error.h"

typedef struct {
    const char *device;  /* SPEC */
    int budget;          /* candidate parameter sets to time after the defaults */
    unsigned seed;       /* which random candidates */
    int dry_run;         /* measure, but write nothing */
    /* NULL: SimpleCNN's convolutions. Else this config's model's convolutions, then the
     * batch size of `batch: auto` for its whole pass (written to the device's batch file). */
    const clcam_config *cfg;
} tune_options;

/* Progress and the table go to out; results: *best_gflops and *default_gflops. */
clcam_status tune_run(const tune_options *o, FILE *out, double *default_gflops,
                      double *best_gflops, clcam_err *err);

#endif
