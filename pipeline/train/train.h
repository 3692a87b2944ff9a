/* `clcam train`: trains the configured model on a dataset split, every step on the device. */
#ifndef CLCAM_TRAIN_H
#define CLCAM_TRAIN_H

#include <signal.h>

#include "../../io/config.h"

typedef struct {
    int quiet;                         /* no per-epoch lines */
    volatile sig_atomic_t *stop;       /* set by a signal: stop after the step in flight */
    long max_steps;                    /* > 0: measure only: stop after this many steps, write nothing */
    /* filled in */
    int epochs_done, resumed_epoch;    /* resumed_epoch: the epoch training started at (the
                                        * checkpoint's epochs done), else 0 */
    long steps, images;                /* trained in this process */
    double seconds, train_seconds;     /* all; only the steps (no setup, evaluation, saving) */
    double train_loss, train_accuracy, test_accuracy; /* last epoch; test < 0: none */
    char device[600];
} train_report;

clcam_status train_run(const clcam_config *cfg, train_report *rep, clcam_err *err);

#endif
