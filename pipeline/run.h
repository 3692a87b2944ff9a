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
    /* Host clock split (seconds): setup (open, load, build, allocate), reading the dataset,
     * writing results, waiting for the device; and time from start to the first batch done. */
    double t_setup, t_read, t_write, t_wait, t_first_batch;
    int batch;
    char device[520];
} run_report;

clcam_status run_explain(const clcam_config *cfg, run_report *rep, clcam_err *err);

#endif
