/* `clcam run`: the configured split through the device, batch by batch, into the results file. */
#ifndef CLCAM_RUN_H
#define CLCAM_RUN_H

#include "../io/config.h"

typedef struct {
    int quiet;
    /* Filled in on success, for the summary and tests. */
    long images;
    long correct;           /* -1 when the dataset has no labels */
    double seconds;
    char device[520];
} run_report;

clcam_status run_explain(const clcam_config *cfg, run_report *rep, clcam_err *err);

#endif
