/* CLBlast's Xgemm tuning parameters for the device in use: a set of them, whether CLBlast can
 * compile it, and the per-device file `clcam tune` writes and every context loads, so GEMMs
 * run with the fastest set measured on this device. */
#ifndef CLCAM_CL_GEMM_PARAMS_H
#define CLCAM_CL_GEMM_PARAMS_H

#include <stdio.h>

#include "runtime.h"

enum { GEMM_MWG, GEMM_NWG, GEMM_KWG, GEMM_MDIMC, GEMM_NDIMC, GEMM_MDIMA, GEMM_NDIMB, GEMM_KWI,
       GEMM_VWM, GEMM_VWN, GEMM_STRM, GEMM_STRN, GEMM_SA, GEMM_SB, GEMM_GEMMK, GEMM_KREG,
       GEMM_N_PARAMS };

extern const char *const GEMM_PARAM_NAMES[GEMM_N_PARAMS];

typedef struct {
    size_t v[GEMM_N_PARAMS];
} gemm_params;

/* Does the set satisfy Xgemm's divisibility rules and the device's work-group and local
 * memory limits? */
int gemm_params_valid(const gemm_params *p, size_t max_wg, unsigned long long local_mem);
/* "MWG=64 NWG=64 ..." */
void gemm_params_format(const gemm_params *p, char *buf, size_t size);
/* From now on, CLBlast's GEMMs on ctx's device use p (compiled on their next call). */
clcam_status gemm_params_apply(cl_ctx *ctx, const gemm_params *p, clcam_err *err);

/* The device's tuning file: <cache folder>/gemm-<device, platform, driver hash>.txt. 0 when
 * there is no cache folder. */
int gemm_params_path(const cl_ctx *ctx, char *buf, size_t size);
/* <cache folder>/<prefix>-<device hash>.txt, for any per-device measurement. */
int device_cache_path(const cl_ctx *ctx, const char *prefix, char *buf, size_t size);
/* A per-device file being written: a temporary file, renamed over the real one when done. */
typedef struct {
    char path[1024], tmp[1100];
    FILE *f;
} device_file;
/* Opens prefix's file for writing, headed by comment lines naming what and the device. */
clcam_status device_file_begin(const cl_ctx *ctx, const char *prefix, const char *what,
                               device_file *df, clcam_err *err);
/* Closes and renames it (the temporary file removed on failure); says so on stderr. */
clcam_status device_file_commit(device_file *df, clcam_err *err);
/* Sets ctx->gemm_own (which GEMM convolutions use), CLBlast's parameters and the per-shape
 * convolution methods (ctx->conv_choice): from the device's tuning file if there is one
 * (CLCAM_GEMM_TUNING=0: never), else our GEMM on CPUs and CLBlast's defaults elsewhere and no
 * per-shape choices; CLCAM_GEMM=own|clblast overrides the engine. ctx->gemm_tuning says
 * which parameters are in use. A broken file is ignored with a warning; so is a malformed
 * CONV line, alone. Files from before CONV lines existed load as they did. */
void gemm_params_load(cl_ctx *ctx);
/* "CONV C=3 H=32 W=32 K=32 k=3 pad=1 stride=1 method=direct ms=1.234": the tuning file's line
 * for one convolution shape's fastest forward method. */
void gemm_params_format_conv(const cl_conv_choice *c, double ms, char *buf, size_t size);
/* Writes the tuning file: the engine (own: our GEMM), CLBlast's parameters (p NULL:
 * CLBlast's defaults) and conv_lines (NULL: none; CONV lines and # comments, each ending in
 * a newline), written to a temporary file and renamed. */
clcam_status gemm_params_store(const cl_ctx *ctx, int own, const gemm_params *p, const char *note,
                               const char *conv_lines, clcam_err *err);

#endif
