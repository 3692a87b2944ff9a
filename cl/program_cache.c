#include "program_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char MAGIC[8] = {'C', 'L', 'C', 'A', 'M', 'P', 'B', '1'};

/* FNV-1a, 64 bits: stable across runs and machines, enough to tell programs apart. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

uint64_t program_cache_key(const cl_ctx *ctx, const char *const *texts, size_t n,
                           const char *options)
{
    uint64_t h = 14695981039346656037ull;
    const char *parts[] = {options, ctx->device_name, ctx->platform_name, ctx->driver_version, ctx->vendor};
    for (size_t i = 0; i < n; i++) h = fnv1a(h, texts[i], strlen(texts[i]) + 1);
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) h = fnv1a(h, parts[i], strlen(parts[i]) + 1);
    return h;
}

static int cache_enabled(void)
{
    const char *e = getenv("CLCAM_CACHE");
    return !(e && strcmp(e, "0") == 0);
}

int program_cache_dir(char *buf, size_t size)
{
    if (!cache_enabled()) return 0;
    const char *dir = getenv("CLCAM_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (dir && *dir) snprintf(buf, size, "%s", dir);
    else if (xdg && *xdg) snprintf(buf, size, "%s/clcam", xdg);
    else if (home && *home) snprintf(buf, size, "%s/.cache/clcam", home);
    else return 0;
    for (char *p = buf + 1; *p; p++) { /* mkdir -p */
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return 0;
        *p = '/';
    }
    return mkdir(buf, 0777) == 0 || errno == EEXIST;
}

static int cache_path(uint64_t key, char *buf, size_t size)
{
    char dir[900];
    if (!program_cache_dir(dir, sizeof dir)) return 0;
    snprintf(buf, size, "%s/program-%016llx.bin", dir, (unsigned long long)key);
    return 1;
}

cl_program program_cache_load(const cl_ctx *ctx, uint64_t key, const char *options)
{
    char path[1024], magic[8];
    uint64_t k = 0, size = 0;
    unsigned char *bin = NULL;
    cl_program prog = NULL;
    cl_int rc = CL_SUCCESS, status = CL_SUCCESS;
    FILE *f;
    if (!cache_path(key, path, sizeof path) || !(f = fopen(path, "rb"))) return NULL;
    if (fread(magic, 1, 8, f) == 8 && memcmp(magic, MAGIC, 8) == 0 && fread(&k, sizeof k, 1, f) == 1 &&
        k == key && fread(&size, sizeof size, 1, f) == 1 && size > 0 && size < ((uint64_t)1 << 31) &&
        (bin = malloc((size_t)size)) && fread(bin, 1, (size_t)size, f) == (size_t)size) {
        size_t sz = (size_t)size;
        const unsigned char *bp = bin;
        prog = clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &sz, &bp, &status, &rc);
        if (prog && (rc != CL_SUCCESS || status != CL_SUCCESS ||
                     clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL) != CL_SUCCESS)) {
            clReleaseProgram(prog);
            prog = NULL;
        }
    }
    fclose(f);
    free(bin);
    return prog;
}

void program_cache_store(const cl_ctx *ctx, cl_program prog, uint64_t key)
{
    char path[1024], tmp[1100];
    size_t size = 0;
    unsigned char *bin = NULL;
    uint64_t size64;
    FILE *f = NULL;
    int ok = 0;
    (void)ctx;
    if (!cache_path(key, path, sizeof path)) return;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS || size == 0 ||
        !(bin = malloc(size)) || clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS)
        goto exit;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (!(f = fopen(tmp, "wb"))) goto exit;
    size64 = size;
    ok = fwrite(MAGIC, 1, 8, f) == 8 && fwrite(&key, sizeof key, 1, f) == 1 &&
         fwrite(&size64, sizeof size64, 1, f) == 1 && fwrite(bin, 1, size, f) == size;
    ok = (fclose(f) == 0) && ok;
    f = NULL;
    if (!ok || rename(tmp, path) != 0) remove(tmp);
exit:
    if (f) fclose(f);
    free(bin);
}
