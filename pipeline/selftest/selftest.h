/* Every kernel and CLBlast call on the chosen device against the plain-C reference. */
#ifndef CLCAM_SELFTEST_H
#define CLCAM_SELFTEST_H

#include <stdio.h>

#include "../../cl/runtime.h"

typedef struct {
    const char *name;
    char sizes[96];      /* what was run, for the table */
    double ratio;        /* worst |got - want| / tolerance; <= 1 passes */
    double max_abs;      /* worst absolute difference */
} selftest_result;

int selftest_case_count(void);
/* Size variants per case, smallest first. */
#define SELFTEST_VARIANTS 3

/* Runs case i at size variant v (0: batch 1, odd sizes; 1, 2: larger batches and sizes). */
clcam_status selftest_case(cl_ctx *ctx, int i, int v, selftest_result *r, clcam_err *err);
/* All cases at variants 0..variants-1, a table on out; *failed counts cases over tolerance. */
clcam_status selftest_run(cl_ctx *ctx, FILE *out, int variants, int *failed, clcam_err *err);

#endif
