/* A persistent cache of built OpenCL programs, so a warm start builds nothing. Keyed by a
 * hash of the sources, the build options, and the device, platform and driver names; stored
 * in $CLCAM_CACHE_DIR, else $XDG_CACHE_HOME/clcam, else ~/.cache/clcam; CLCAM_CACHE=0 turns
 * it off. Best effort: any failure means building from source, never an error. */
#ifndef CLCAM_PROGRAM_CACHE_H
#define CLCAM_PROGRAM_CACHE_H

#include <stdint.h>

#include "runtime.h"

/* The cache folder, created if needed; 0 if there is none to use (or CLCAM_CACHE=0). */
int program_cache_dir(char *buf, size_t size);
uint64_t program_cache_key(const cl_ctx *ctx, const char *const *texts, size_t n,
                           const char *options);
/* A built program from the cache, or NULL on a miss or any problem. */
cl_program program_cache_load(const cl_ctx *ctx, uint64_t key, const char *options);
/* Saves prog's binary (written to a temporary file, then renamed). */
void program_cache_store(const cl_ctx *ctx, cl_program prog, uint64_t key);

#endif
