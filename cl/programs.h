/* Our kernels' programs: one per file in cl/kernels, each the shared prelude
 * (cl/kernels/prelude.cl) and the file, built the first time one of its kernels is asked for
 * (or loaded from the binary cache, cl/program_cache.c), so a file's pragmas hold for it alone
 * and a file a driver rejects breaks only the commands that use it. */
#ifndef CLCAM_CL_PROGRAMS_H
#define CLCAM_CL_PROGRAMS_H

#include "runtime.h"

/* Finds the prelude and the kernel files: embedded, or $CLCAM_KERNEL_DIR/NAME.cl where that
 * exists (development: edit kernels without rebuilding). Builds nothing. */
clcam_status cl_programs_load(cl_ctx *ctx, clcam_err *err);
/* The program of the file that defines kernel name, built if it is not yet; a file that fails
 * to build prints its build log once and fails every later request. */
clcam_status cl_programs_for_kernel(cl_ctx *ctx, const char *name, cl_program *out, clcam_err *err);
void cl_programs_free(cl_ctx *ctx);

#endif
