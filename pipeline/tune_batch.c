#include "tune_batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cl/gemm_params.h"
#include "progress.h"

static const int SIZES[] = {16, 32, 64, 128, 256, 512};
enum { N_SIZES = sizeof SIZES / sizeof *SIZES };

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

void tune_batch_key(const model *m, int cam_layer, const explain_params *p, char key[17])
{
    uint64_t h = 14695981039346656037ull;
    int v[8];
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = &m->layers[i];
        v[0] = (int)l->kind, v[1] = l->in.c, v[2] = l->in.h, v[3] = l->in.w;
        v[4] = l->out.c, v[5] = l->out.h, v[6] = l->out.w, v[7] = l->kernel * 100 + l->stride;
        h = fnv(h, v, sizeof v);
    }
    v[0] = cam_layer, v[1] = p->T, v[2] = p->target_mode, v[3] = p->n_methods;
    h = fnv(h, v, 4 * sizeof *v);
    for (int i = 0; i < p->n_methods; i++) h = fnv(h, p->methods[i]->name, strlen(p->methods[i]->name));
    snprintf(key, 17, "%016llx", (unsigned long long)h);
}

/* Images per second of batches of b images, queued back to back as `run` does, for at least
 * half a second after one batch of warm-up. */
static clcam_status time_batches(cl_ctx *ctx, explainer *e, const uint8_t *images,
                                 const int32_t *labels, int b, const explain_out *out,
                                 double *per_s, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_event ev = NULL;
    int n = 0;
    TRY(explainer_enqueue(ctx, e, images, labels, b, out, &ev, err));
    CL_TRY(clWaitForEvents(1, &ev));
    clReleaseEvent(ev);
    ev = NULL;
    double t0 = progress_now(), t = 0;
    while (t < 0.5 || n < 2) {
        for (int i = 0; i < 2; i++, n++) {
            if (ev) clReleaseEvent(ev);
            ev = NULL;
            TRY(explainer_enqueue(ctx, e, images, labels, b, out, &ev, err));
        }
        CL_TRY(clWaitForEvents(1, &ev));
        t = progress_now() - t0;
    }
    *per_s = (double)n * b / t;
exit:
    if (ev) clReleaseEvent(ev);
    return st;
}

clcam_status tune_batch_measure(cl_ctx *ctx, model *m, int cam_layer, const explain_params *p,
                                FILE *out, int *best, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int max = SIZES[N_SIZES - 1];
    size_t px = (size_t)layer_shape_size(m->input);
    uint8_t *images = malloc(px * max);
    int32_t *labels = calloc((size_t)max, sizeof *labels);
    double rate[N_SIZES] = {0}, top = 0;
    unsigned state = 11;
    if (!images || !labels) {
        st = err_set(err, CLCAM_ERR_NOMEM, "out of memory");
        goto exit;
    }
    for (size_t i = 0; i < px * max; i++) images[i] = (uint8_t)((state = state * 1103515245u + 12345u) >> 24);
    for (int s = 0; s < N_SIZES; s++) {
        explainer e = {0};
        explain_out o = {0};
        st = model_upload(ctx, m, SIZES[s], err);
        if (st == CLCAM_OK) st = explainer_init(ctx, &e, m, cam_layer, p, SIZES[s], err);
        if (st == CLCAM_OK) st = explain_out_alloc(&o, SIZES[s], &e, err);
        if (st == CLCAM_OK) st = time_batches(ctx, &e, images, labels, SIZES[s], &o, &rate[s], err);
        clFinish(ctx->queue);
        explain_out_free(&o);
        explainer_free(&e);
        model_release_device(m);
        if (st != CLCAM_OK && err_is_device_alloc(err) && s > 0) { /* the device is full: stop here */
            fprintf(out, "  batch %4d: out of device memory (%s)\n", SIZES[s], cl_error_name(err->cl_code));
            err_clear(err);
            st = CLCAM_OK;
            break;
        }
        TRY(st);
        fprintf(out, "  batch %4d: %8.1f images/s\n", SIZES[s], rate[s]);
        fflush(out);
        if (rate[s] > top) top = rate[s];
    }
    for (int s = 0; s < N_SIZES; s++)
        if (rate[s] >= 0.95 * top) {
            *best = SIZES[s];
            break;
        }
exit:
    free(images);
    free(labels);
    return st;
}

enum { MAX_KEYS = 256 };

typedef struct {
    char key[17];
    int batch;
} batch_line;

/* The file's lines; -1 if it is malformed, 0 lines if absent. */
static int read_lines(const char *path, batch_line *lines)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int n = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        if (n == MAX_KEYS || sscanf(line, "%16s %d", lines[n].key, &lines[n].batch) != 2 ||
            strlen(lines[n].key) != 16 || lines[n].batch < 1) {
            n = -1;
            break;
        }
        n++;
    }
    fclose(f);
    return n;
}

int tune_batch_lookup(const cl_ctx *ctx, const char *key, int *batch)
{
    char path[1024];
    batch_line lines[MAX_KEYS];
    if (!device_cache_path(ctx, "batch", path, sizeof path)) return 0;
    int n = read_lines(path, lines);
    if (n < 0) fprintf(stderr, "clcam: ignoring %s: malformed (run clcam tune CONFIG again)\n", path);
    for (int i = 0; i < n; i++)
        if (strcmp(lines[i].key, key) == 0) {
            *batch = lines[i].batch;
            return 1;
        }
    return 0;
}

clcam_status tune_batch_store(const cl_ctx *ctx, const char *key, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char path[1024], tmp[1100];
    batch_line lines[MAX_KEYS];
    FILE *f = NULL;
    if (!device_cache_path(ctx, "batch", path, sizeof path))
        return err_set(err, CLCAM_ERR_IO, "no cache folder for the batch measurement (set CLCAM_CACHE_DIR or "
                       "HOME, and not CLCAM_CACHE=0)");
    int n = read_lines(path, lines);
    if (n < 0) n = 0; /* a malformed file is replaced */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot write the batch measurement", tmp);
        goto exit;
    }
    fprintf(f, "# batch sizes of `batch: auto` measured by clcam tune CONFIG: work key, images\n"
               "# device: %s\n# platform: %s\n# driver: %s\n",
            ctx->device_name, ctx->platform_name, ctx->driver_version);
    for (int i = n == MAX_KEYS ? 1 : 0; i < n; i++) /* full: the oldest line goes */
        if (strcmp(lines[i].key, key) != 0) fprintf(f, "%s %d\n", lines[i].key, lines[i].batch);
    fprintf(f, "%s %d\n", key, batch);
    if (fclose(f) != 0) {
        f = NULL;
        st = err_set(err, CLCAM_ERR_IO, "%s: write failed", tmp);
        goto exit;
    }
    if (rename(tmp, path) != 0) st = err_set(err, CLCAM_ERR_IO, "%s: cannot rename to %s", tmp, path);
    else fprintf(stderr, "clcam tune: wrote %s\n", path);
exit:
    if (st != CLCAM_OK) remove(tmp);
    return st;
}
