#include "gemm_params.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "program_cache.h"

const char *const GEMM_PARAM_NAMES[GEMM_N_PARAMS] = {
    "MWG", "NWG", "KWG", "MDIMC", "NDIMC", "MDIMA", "NDIMB", "KWI",
    "VWM", "VWN", "STRM", "STRN", "SA", "SB", "GEMMK", "KREG",
};

static int multiple(size_t x, size_t of) { return of && x % of == 0; }

int gemm_params_valid(const gemm_params *p, size_t max_wg, unsigned long long local_mem)
{
    const size_t *v = p->v;
    size_t wg = v[GEMM_MDIMC] * v[GEMM_NDIMC];
    size_t local = sizeof(float) * v[GEMM_KWG] * (v[GEMM_SA] * v[GEMM_MWG] + v[GEMM_SB] * v[GEMM_NWG]);
    if (!v[GEMM_MDIMA] || !v[GEMM_NDIMB] || wg > max_wg || local > local_mem) return 0;
    return v[GEMM_GEMMK] == 0 && v[GEMM_KREG] == 1 &&
           multiple(v[GEMM_MWG], v[GEMM_MDIMC] * v[GEMM_VWM]) &&
           multiple(v[GEMM_NWG], v[GEMM_NDIMC] * v[GEMM_VWN]) &&
           multiple(v[GEMM_MWG], v[GEMM_MDIMA] * v[GEMM_VWM]) &&
           multiple(v[GEMM_NWG], v[GEMM_NDIMB] * v[GEMM_VWN]) &&
           multiple(v[GEMM_KWG], wg / v[GEMM_MDIMA]) && multiple(v[GEMM_KWG], wg / v[GEMM_NDIMB]) &&
           multiple(v[GEMM_KWG], v[GEMM_KWI]);
}

void gemm_params_format(const gemm_params *p, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < GEMM_N_PARAMS && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s=%zu", i ? " " : "", GEMM_PARAM_NAMES[i],
                                 p->v[i]);
}

clcam_status gemm_params_apply(cl_ctx *ctx, const gemm_params *p, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const char *names[GEMM_N_PARAMS];
    for (int i = 0; i < GEMM_N_PARAMS; i++) names[i] = GEMM_PARAM_NAMES[i];
    CLBlastStatusCode rc = CLBlastOverrideParameters(ctx->device, "Xgemm", CLBlastPrecisionSingle,
                                                     GEMM_N_PARAMS, names, p->v);
    if (rc != CLBlastSuccess) {
        char set[256];
        gemm_params_format(p, set, sizeof set);
        st = err_set_cl(err, (int)rc, "CLBlastOverrideParameters(Xgemm, %s) failed: %d", set, (int)rc);
        goto exit;
    }
    gemm_params_format(p, ctx->gemm_tuning, sizeof ctx->gemm_tuning);
exit:
    return st;
}

int gemm_params_path(const cl_ctx *ctx, char *buf, size_t size)
{
    return device_cache_path(ctx, "gemm", buf, size);
}

int device_cache_path(const cl_ctx *ctx, const char *prefix, char *buf, size_t size)
{
    char dir[900];
    const char *parts[] = {ctx->device_name, ctx->platform_name, ctx->driver_version, ctx->vendor};
    uint64_t h = 1469598103934665603ull;
    if (!program_cache_dir(dir, sizeof dir)) return 0;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        for (const char *c = parts[i]; ; c++) {
            h = (h ^ (unsigned char)*c) * 1099511628211ull;
            if (!*c) break;
        }
    snprintf(buf, size, "%s/%s-%016llx.txt", dir, prefix, (unsigned long long)h);
    return 1;
}

void gemm_params_format_conv(const cl_conv_choice *c, double ms, char *buf, size_t size)
{
    snprintf(buf, size, "CONV C=%d H=%d W=%d K=%d k=%d pad=%d stride=%d method=%s ms=%.3f", c->C, c->H,
             c->W, c->K, c->kernel, c->pad, c->stride, conv_method_name((conv_method)c->method), ms);
}

/* A "CONV C=.. H=.. W=.. K=.. k=.. pad=.. stride=.. method=NAME ..." line into *c; 0 if
 * malformed (a field missing or out of range, an unknown method). */
static int read_conv_line(const char *line, cl_conv_choice *c)
{
    char method[32];
    int used = 0;
    if (sscanf(line, "CONV C=%d H=%d W=%d K=%d k=%d pad=%d stride=%d method=%31s%n", &c->C, &c->H,
               &c->W, &c->K, &c->kernel, &c->pad, &c->stride, method, &used) != 8 || used == 0)
        return 0;
    c->method = conv_method_parse(method);
    return c->method >= 0 && c->C > 0 && c->H > 0 && c->W > 0 && c->K > 0 && c->kernel > 0 &&
           c->pad >= 0 && c->stride > 0;
}

/* Reads "ENGINE own|clblast", "NAME VALUE" and "CONV ..." lines (and # comments): *engine is 1
 * for own, 0 for clblast, unchanged when absent; *n_params is 0 or all of them; conv gets the
 * per-shape choices (a malformed CONV line is skipped with a warning). 0 if malformed. */
static int read_tuning(FILE *f, const char *path, gemm_params *p, int *n_params, int *engine,
                       cl_conv_choice *conv, int *n_conv)
{
    char line[512], name[64], word[64];
    unsigned long value;
    int seen[GEMM_N_PARAMS] = {0};
    *n_params = 0;
    *n_conv = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        if (strncmp(line, "CONV ", 5) == 0) {
            cl_conv_choice c;
            line[strcspn(line, "\n")] = '\0';
            if (!read_conv_line(line, &c))
                fprintf(stderr, "clcam: %s: ignoring a malformed line: %s\n", path, line);
            else if (*n_conv >= CL_CTX_MAX_CONV)
                fprintf(stderr, "clcam: %s: ignoring CONV lines past %d: %s\n", path, CL_CTX_MAX_CONV, line);
            else
                conv[(*n_conv)++] = c;
            continue;
        }
        if (sscanf(line, "ENGINE %63s", word) == 1) {
            if (strcmp(word, "own") != 0 && strcmp(word, "clblast") != 0) return 0;
            *engine = strcmp(word, "own") == 0;
            continue;
        }
        if (sscanf(line, "%63s %lu", name, &value) != 2) return 0;
        int known = 0;
        for (int i = 0; i < GEMM_N_PARAMS; i++)
            if (strcmp(name, GEMM_PARAM_NAMES[i]) == 0) {
                if (seen[i]) return 0;
                seen[i] = known = 1;
                p->v[i] = value;
                (*n_params)++;
            }
        if (!known) return 0;
    }
    return *n_params == 0 || *n_params == GEMM_N_PARAMS;
}

void gemm_params_load(cl_ctx *ctx)
{
    char path[1024];
    const char *off = getenv("CLCAM_GEMM_TUNING"), *engine = getenv("CLCAM_GEMM");
    gemm_params p;
    clcam_err err = {0};
    FILE *f = NULL;
    int n_params = 0, n_conv = 0, ok, own;
    cl_conv_choice conv[CL_CTX_MAX_CONV];
    /* Without a measurement: our kernel on CPUs, where CLBlast's is not vectorised;
     * CLBlast's, which has tuned defaults for GPUs, elsewhere. */
    ctx->gemm_own = (ctx->type & CL_DEVICE_TYPE_CPU) != 0;
    ctx->n_conv = 0;
    snprintf(ctx->gemm_tuning, sizeof ctx->gemm_tuning, "CLBlast defaults");
    if (!(off && strcmp(off, "0") == 0) && gemm_params_path(ctx, path, sizeof path) && (f = fopen(path, "r"))) {
        own = ctx->gemm_own;
        ok = read_tuning(f, path, &p, &n_params, &own, conv, &n_conv);
        fclose(f);
        /* all or nothing: a file that is not used for the GEMMs is not used for convolutions */
        if (!ok || (n_params && !gemm_params_valid(&p, ctx->max_work_group, ctx->local_mem)))
            fprintf(stderr, "clcam: ignoring %s: not a valid GEMM tuning for this device (run clcam tune again)\n", path);
        else if (n_params && gemm_params_apply(ctx, &p, &err) != CLCAM_OK)
            fprintf(stderr, "clcam: ignoring %s: %s\n", path, err.msg);
        else {
            ctx->gemm_own = own;
            ctx->n_conv = n_conv;
            memcpy(ctx->conv_choice, conv, sizeof *conv * (size_t)n_conv);
        }
    }
    if (engine && (strcmp(engine, "own") == 0 || strcmp(engine, "clblast") == 0))
        ctx->gemm_own = strcmp(engine, "own") == 0;
}

clcam_status device_file_begin(const cl_ctx *ctx, const char *prefix, const char *what,
                               device_file *df, clcam_err *err)
{
    df->f = NULL;
    if (!device_cache_path(ctx, prefix, df->path, sizeof df->path))
        return err_set(err, CLCAM_ERR_IO, "no cache folder for the %s (set CLCAM_CACHE_DIR or HOME, "
                       "and not CLCAM_CACHE=0)", what);
    snprintf(df->tmp, sizeof df->tmp, "%s.tmp", df->path);
    if (!(df->f = fopen(df->tmp, "w"))) return err_set(err, CLCAM_ERR_IO, "%s: cannot write the %s", df->tmp, what);
    fprintf(df->f, "# %s, written by clcam tune\n# device: %s\n# platform: %s\n# driver: %s\n", what,
            ctx->device_name, ctx->platform_name, ctx->driver_version);
    return CLCAM_OK;
}

clcam_status device_file_commit(device_file *df, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (!df->f) return CLCAM_OK;
    if (fclose(df->f) != 0) st = err_set(err, CLCAM_ERR_IO, "%s: write failed", df->tmp);
    else if (rename(df->tmp, df->path) != 0) st = err_set(err, CLCAM_ERR_IO, "%s: cannot rename to %s", df->tmp, df->path);
    else fprintf(stderr, "clcam tune: wrote %s\n", df->path);
    df->f = NULL;
    if (st != CLCAM_OK) remove(df->tmp);
    return st;
}

clcam_status gemm_params_store(const cl_ctx *ctx, int own, const gemm_params *p, const char *note,
                               const char *conv_lines, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    device_file df;
    TRY(device_file_begin(ctx, "gemm", "GEMM tuning (CLBlast Xgemm parameters, single precision)", &df, err));
    fprintf(df.f, "# %s\nENGINE %s\n", note, own ? "own" : "clblast");
    for (int i = 0; p && i < GEMM_N_PARAMS; i++) fprintf(df.f, "%s %zu\n", GEMM_PARAM_NAMES[i], p->v[i]);
    if (conv_lines) fputs(conv_lines, df.f);
    TRY(device_file_commit(&df, err));
exit:
    return st;
}
