#include "tune_batch.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cl/gemm_params.h"
#include "../run.h"

static const int SIZES[] = {16, 32, 64, 128, 256, 512};
enum { N_SIZES = sizeof SIZES / sizeof *SIZES, TUNE_BATCH_ROUNDS = 3 };

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
        if (l->n_inputs != 1 || l->inputs[0] != i - 1) /* a graph's wiring; lists keep their keys */
            h = fnv(h, l->inputs, sizeof(int) * (size_t)l->n_inputs);
    }
    v[0] = cam_layer, v[1] = p->T, v[2] = p->target_mode, v[3] = p->n_methods;
    h = fnv(h, v, 4 * sizeof *v);
    for (int i = 0; i < p->n_methods; i++) h = fnv(h, p->methods[i]->name, strlen(p->methods[i]->name));
    snprintf(key, 17, "%016llx", (unsigned long long)h);
}

clcam_status tune_batch_measure(const clcam_config *cfg, long count, FILE *out, int *best,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const char *tmp = getenv("TMPDIR");
    char dir[900], path[1024];
    double rate[N_SIZES] = {0}, top = 0;
    clcam_config c = *cfg;
    snprintf(dir, sizeof dir, "%s/clcam-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return err_set(err, CLCAM_ERR_IO, "%s: mkdtemp failed (%s)", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/run.h5", dir);
    snprintf(c.output_file, sizeof c.output_file, "%s", path);
    c.data_count = count < TUNE_BATCH_IMAGES ? count : TUNE_BATCH_IMAGES;
    /* Rounds over all sizes, each size's best kept: machine noise hits every size alike. */
    int n = 0;
    while (n < N_SIZES && SIZES[n] <= c.data_count) n++;
    for (int r = 0; r < TUNE_BATCH_ROUNDS; r++)
        for (int s = 0; s < n; s++) {
            run_report rep = {.quiet = 1, .overwrite = 1};
            c.batch = SIZES[s];
            TRY(run_explain(&c, &rep, err));
            remove(path);
            if (rep.batch < SIZES[s]) { /* the device had no memory for it: larger ones neither */
                fprintf(out, "  batch %4d: too large for the device (it ran %d)\n", SIZES[s], rep.batch);
                n = s;
                break;
            }
            double v = (double)rep.images / (rep.seconds - rep.t_setup);
            if (v > rate[s]) rate[s] = v;
            if (rate[s] > top) top = rate[s];
        }
    for (int s = 0; s < n; s++) fprintf(out, "  batch %4d: %8.1f images/s\n", SIZES[s], rate[s]);
    *best = TUNE_BATCH_DEFAULT;
    for (int s = 0; s < N_SIZES; s++)
        if (top > 0 && rate[s] >= 0.95 * top) {
            *best = SIZES[s];
            break;
        }
exit:
    remove(path);
    rmdir(dir);
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
    char path[1024];
    batch_line lines[MAX_KEYS];
    device_file df;
    int n = device_cache_path(ctx, "batch", path, sizeof path) ? read_lines(path, lines) : 0;
    if (n < 0) n = 0; /* a malformed file is replaced */
    TRY(device_file_begin(ctx, "batch", "batch sizes of `batch: auto` (work key, images)", &df, err));
    for (int i = n == MAX_KEYS ? 1 : 0; i < n; i++) /* full: the oldest line goes */
        if (strcmp(lines[i].key, key) != 0) fprintf(df.f, "%s %d\n", lines[i].key, lines[i].batch);
    fprintf(df.f, "%s %d\n", key, batch);
    TRY(device_file_commit(&df, err));
exit:
    return st;
}
