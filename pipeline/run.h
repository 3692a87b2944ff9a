/* `clcam run`: the configured split through the device, batch by batch, into the results file. */
#ifndef CLCAM_RUN_H
#define CLCAM_RUN_H

#include <signal.h>

#include "../io/config.h"
#include "../base/par.h"
#include "../io/dataset.h"
#include "explain.h"

typedef struct {
    int quiet;
    int overwrite;          /* replace an existing results file instead of resuming it */
    int shard, shards;      /* --shard I/K (shards > 0): only the I-th of K parts of the rows */
    /* The MPI ranks (mpirun -n K): each runs its part of the rows into the one file. NULL or
     * not active: one process. */
    const par_comm *par;
    /* Set (to the signal number) by a SIGINT/SIGTERM handler: the run finishes the batch in
     * flight, records its progress and returns CLCAM_ERR_INTERRUPTED. May be NULL. */
    const volatile sig_atomic_t *stop;
    int resumed_from;       /* the row the run started at: rows already final in the file (resume), else 0 */
    long rows_computed;     /* rows this run computed and saved (the tests' check that a resume starts there) */
    int gemm_own;           /* the GEMM engine the run used: 1 clcam's own, 0 CLBlast (ctx.gemm_own) */
    int already_complete;   /* the results file was complete for this config: nothing done */
    /* Filled in on success, for the summary and tests. */
    long images;
    long correct;           /* -1 when the dataset has no labels */
    double seconds;
    /* Host clock split (seconds): setup (open, load, build, allocate), reading the dataset,
     * writing results, waiting for the device; and time from start to the first batch done. */
    double t_setup, t_read, t_write, t_wait, t_first_batch;
    int profiled;      /* CLCAM_PROFILE=1 (run --profile): the device times below are set */
    double d_upload, d_forward, d_backward, d_cam, d_scorecam, d_metrics, d_download;
    int batch;
    size_t device_peak_bytes; /* the model's device buffers (model.h device_bytes) */
    char batch_source[64];  /* how the batch was chosen: "config", "auto, measured", ... */
    char device[520];
} run_report;

/* Opens the dataset and loads the model of cfg, checks everything about them against each
 * other and the config (before any device is touched), and sets the CAM layer *t, the
 * explain parameters and the rows to run. */
clcam_status run_load(const clcam_config *cfg, dataset_reader *d, model *m, int *t, explain_params *p,
                      long *count, clcam_err *err);

/* cam.metrics and its settings as the metrics stage takes them. */
void run_metric_params(const clcam_config *cfg, metric_params *mp);

/* Rows [*first, *first + *count) of the run's total rows that part `shard` of `shards` takes:
 * contiguous, cut at multiples of the batch (TUNE_BATCH_DEFAULT with batch: auto) so the
 * parts' chunks line up; refused when K parts of whole batches would leave one empty. */
clcam_status run_shard_rows(int batch, int shard, int shards, long total, long *first, long *count,
                            clcam_err *err);

/* Part `part` of `parts` of total rows in whole units: contiguous, possibly empty. */
void run_split_rows(long unit, int part, int parts, long total, long *first, long *count);

clcam_status run_explain(const clcam_config *cfg, run_report *rep, clcam_err *err);

#endif
