/* Device time per stage and per kernel from OpenCL profiling events, for `run --profile`
 * and the benchmark. Off by default: then no events are made and nothing waits. */
#ifndef CLCAM_CL_PROFILE_H
#define CLCAM_CL_PROFILE_H

#include <stdio.h>

#include "runtime.h"

/* An empty profile, or NULL when out of memory. */
cl_profile *cl_profile_new(void);
/* Where the next enqueue on ctx should leave its event (kernel or copy named name, in the
 * current stage ctx->stage), or NULL when profiling is off. Events are folded into the
 * totals in batches, so memory stays bounded. */
cl_event *cl_profile_slot(cl_ctx *ctx, const char *name);
/* Seconds of device time in stage (NULL: all stages), after waiting for what is pending. */
double cl_profile_seconds(cl_ctx *ctx, const char *stage);
/* Per stage, then the slowest kernels: device ms, share, calls. */
void cl_profile_report(cl_ctx *ctx, FILE *out);
void cl_profile_free(cl_ctx *ctx);

#endif
