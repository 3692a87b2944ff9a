/* The batch loop of `clcam run`: a reader thread fills batches from the dataset, the calling
 * thread keeps two batches queued on the device, a writer thread saves finished batches in
 * order and records each one as final. */
#ifndef CLCAM_RUN_LOOP_H
#define CLCAM_RUN_LOOP_H

#include <signal.h>

#include "../io/dataset.h"
#include "../io/results.h"
#include "explain.h"

typedef struct {
    /* in */
    cl_ctx *ctx;
    model *m;
    explainer *e;
    int cam_layer;
    const explain_params *params;
    dataset_reader *d;
    results_writer *w;
    long first;        /* dataset row of results row 0 */
    long count;        /* results rows in all */
    long pos;          /* first results row still to do (resume) */
    int batch;         /* images per batch; halved (and left so) if the device runs out of memory */
    long correct;      /* in: correct among rows already done; out: among all rows saved */
    int has_labels, quiet;
    int fixed_batch;   /* the batch may not be halved (MPI: the ranks' batch rounds are counted) */
    const volatile sig_atomic_t *stop;
    /* out */
    long saved;        /* rows final in the file, from row 0 */
    /* Busy time of the reader and writer threads, and the calling thread's time waiting for
     * the device; time from the call to the first batch done. */
    double t_read, t_write, t_wait, t_first_batch;
} run_loop;

/* The device side (model uploaded, explainer set up) for batches of *batch images; where the
 * device runs out of memory, the batch is halved and tried again. */
clcam_status run_device_setup(cl_ctx *ctx, model *m, explainer *e, int cam_layer,
                              const explain_params *p, int *batch, clcam_err *err);

/* Runs rows [pos, count). A stop signal finishes the batches in flight, saves them and
 * returns CLCAM_ERR_INTERRUPTED; on any error, rows already saved stay final in the file. */
clcam_status run_loop_rows(run_loop *L, clcam_err *err);

#endif
