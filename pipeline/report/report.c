#include "report.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../io/dataset.h"
#include "../../io/png_write.h"
#include "../../io/results.h"
#include "../../io/results_read.h"
#include "colormap.h"
#include "report_html.h"

void report_options_default(report_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->method = "gradcam";
    opt->scale = 4;
    opt->per_class = 8;
}

typedef struct {
    float p;
    long row;
} ranked_row;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked_row *x = a, *y = b;
    if (x->p != y->p) return x->p > y->p ? -1 : 1;  /* most confident first */
    return x->row < y->row ? -1 : x->row > y->row;  /* then file order */
}

/* The `limit` most confident rows whose prediction is right (want_correct) or wrong. */
static void select_confident(const results_reader *r, int want_correct, int limit, ranked_row *tmp,
                             report_grid *g)
{
    long m = 0;
    for (long i = 0; i < r->n; i++)
        if ((r->pred[i] == r->label[i]) == want_correct)
            tmp[m++] = (ranked_row){r->probs[(size_t)i * (size_t)r->classes + (size_t)r->pred[i]], i};
    qsort(tmp, (size_t)m, sizeof *tmp, ranked_cmp);
    for (g->n = 0; g->n < limit && g->n < m; g->n++) g->rows[g->n] = tmp[g->n].row;
}

/* One grid picture: a row per image, original | heatmap | overlay. */
static clcam_status grid_write(const char *path, results_reader *r, dataset_reader *d,
                               const report_grid *g, int scale, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const int h = r->cam_h, w = r->cam_w, tw = w * scale, th = h * scale;
    const int width = 3 * tw + 2 * REPORT_GAP, height = g->n * th + (g->n - 1) * REPORT_GAP;
    const size_t npix = (size_t)h * (size_t)w, stride = (size_t)width * 3;
    uint8_t *img = malloc(npix * 3), *heat = malloc(npix * 3), *over = malloc(npix * 3);
    uint8_t *canvas = malloc(stride * (size_t)height);
    float *cam = malloc(npix * sizeof *cam);
    if (!img || !heat || !over || !canvas || !cam) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for a %dx%d picture", path, width, height);
        goto exit;
    }
    memset(canvas, 255, stride * (size_t)height);
    for (int i = 0; i < g->n; i++) {
        long row = g->rows[i];
        uint8_t *top = canvas + (size_t)i * (size_t)(th + REPORT_GAP) * stride;
        TRY(dataset_read(d, (long)r->index[row], 1, img, NULL, 0, err));
        TRY(results_reader_cam(r, row, cam, err));
        colormap_jet_image(cam, npix, heat);
        colormap_overlay(heat, img, npix * 3, over);
        colormap_upscale(img, w, h, scale, top, stride);
        colormap_upscale(heat, w, h, scale, top + (size_t)(tw + REPORT_GAP) * 3, stride);
        colormap_upscale(over, w, h, scale, top + (size_t)(2 * (tw + REPORT_GAP)) * 3, stride);
    }
    TRY(image_png_write(path, canvas, width, height, err));
exit:
    free(img), free(heat), free(over), free(canvas), free(cam);
    return st;
}

/* One picture with every method side by side: a row per image, original | overlay per method. */
static clcam_status methods_grid_write(const char *path, results_reader *readers, int n_methods,
                                       dataset_reader *d, const report_grid *g, int scale,
                                       clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const int h = readers[0].cam_h, w = readers[0].cam_w, tw = w * scale, th = h * scale;
    const int cols = 1 + n_methods;
    const int width = cols * tw + (cols - 1) * REPORT_GAP, height = g->n * th + (g->n - 1) * REPORT_GAP;
    const size_t npix = (size_t)h * (size_t)w, stride = (size_t)width * 3;
    uint8_t *img = malloc(npix * 3), *heat = malloc(npix * 3), *over = malloc(npix * 3);
    uint8_t *canvas = malloc(stride * (size_t)height);
    float *cam = malloc(npix * sizeof *cam);
    if (!img || !heat || !over || !canvas || !cam) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for a %dx%d picture", path, width, height);
        goto exit;
    }
    memset(canvas, 255, stride * (size_t)height);
    for (int i = 0; i < g->n; i++) {
        long row = g->rows[i];
        uint8_t *top = canvas + (size_t)i * (size_t)(th + REPORT_GAP) * stride;
        TRY(dataset_read(d, (long)readers[0].index[row], 1, img, NULL, 0, err));
        colormap_upscale(img, w, h, scale, top, stride);
        for (int m = 0; m < n_methods; m++) {
            TRY(results_reader_cam(&readers[m], row, cam, err));
            colormap_jet_image(cam, npix, heat);
            colormap_overlay(heat, img, npix * 3, over);
            colormap_upscale(over, w, h, scale, top + (size_t)((m + 1) * (tw + REPORT_GAP)) * 3, stride);
        }
    }
    TRY(image_png_write(path, canvas, width, height, err));
exit:
    free(img), free(heat), free(over), free(canvas), free(cam);
    return st;
}

/* mkdir -p out_dir, then make sure it is a folder we can write into. */
static clcam_status out_dir_make(const char *dir, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char probe[1100];
    struct stat sb;
    clcam_err inner = {0};
    snprintf(probe, sizeof probe, "%s/index.html", dir);
    if (make_parent_dirs(probe, &inner) != CLCAM_OK) {
        /* inner names index.html and the failing level; say it about the folder asked for. */
        const char *why = strstr(inner.msg, "cannot create folder ");
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot create the output folder (%s)", dir, why ? why + 21 : inner.msg);
        goto exit;
    }
    if (stat(dir, &sb) != 0)
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot use the output folder: %s", dir, strerror(errno));
    else if (!S_ISDIR(sb.st_mode))
        st = err_set(err, CLCAM_ERR_IO, "%s: the output folder exists and is not a folder", dir);
    else if (access(dir, W_OK | X_OK) != 0)
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot write into the output folder: %s", dir, strerror(errno));
exit:
    return st;
}

static clcam_status check_rows(const results_reader *r, const dataset_reader *d, clcam_err *err)
{
    for (long i = 0; i < r->n; i++)
        if (r->index[i] < 0 || r->index[i] >= d->n)
            return err_set(err, CLCAM_ERR_INPUT, "%s: /index[%ld] = %lld is outside split %s of %s (%ld images)",
                           r->path, i, (long long)r->index[i], d->split, d->path, d->n);
    if (d->h != r->cam_h || d->w != r->cam_w)
        return err_set(err, CLCAM_ERR_INPUT, "%s: /%s/cam maps are %dx%d but the images of %s are %dx%d",
                       r->path, r->method, r->cam_h, r->cam_w, d->path, d->h, d->w);
    return CLCAM_OK;
}

clcam_status report_write(const report_options *opt, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    results_reader r;
    dataset_reader d;
    int have_r = 0, have_d = 0, n_grids = 0;
    const char *data_path = NULL;
    char path[1200], (*fallback)[32] = NULL;
    const char **names = NULL;
    report_grid *grids = NULL;
    ranked_row *tmp = NULL;
    long *confusion = NULL, correct = -1;
    report_page page;
    results_reader *readers = NULL;
    int n_readers = 0, r_classes = 0;
    metrics_summary *metrics = NULL;

    if (opt->scale < 1 || opt->scale > REPORT_MAX_SCALE || opt->per_class < 1 || opt->per_class > REPORT_MAX_PER_CLASS) {
        st = err_set(err, CLCAM_ERR_USAGE, "--scale must be 1..%d and --per-class 1..%d", REPORT_MAX_SCALE, REPORT_MAX_PER_CLASS);
        goto exit;
    }
    TRY(results_reader_open(&r, opt->results_path, opt->method, err));
    have_r = 1;
    r_classes = r.classes;
    data_path = opt->data_path ? opt->data_path : r.dataset_file;
    if (!data_path[0] || access(data_path, R_OK) != 0) {
        if (opt->data_path)
            st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the dataset file given with --data", data_path);
        else
            st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the dataset file named by %s's dataset_file "
                         "attribute (pass --data DATASET.h5)", data_path[0] ? data_path : "(empty)", r.path);
        goto exit;
    }
    TRY(dataset_open(&d, data_path, r.split, err));
    have_d = 1;
    TRY(check_rows(&r, &d, err));
    TRY(out_dir_make(opt->out_dir, err));

    /* Class names: the results file's, else the dataset's, else numbers. */
    if (!(names = calloc((size_t)r.classes, sizeof *names)) || !(fallback = calloc((size_t)r.classes, sizeof *fallback)) ||
        !(grids = calloc((size_t)r.classes + 3, sizeof *grids)) || !(tmp = calloc((size_t)r.n, sizeof *tmp))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for %d classes", r.path, r.classes);
        goto exit;
    }
    for (int c = 0; c < r.classes; c++) {
        snprintf(fallback[c], sizeof fallback[c], "class %d", c);
        names[c] = r.n_class_names == r.classes ? r.class_names[c]
                 : d.n_class_names == r.classes ? d.class_names[c] : fallback[c];
    }
    if (r.label) {
        if (!(confusion = calloc((size_t)r.classes * (size_t)r.classes, sizeof *confusion))) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for the confusion matrix", r.path);
            goto exit;
        }
        correct = 0;
        for (long i = 0; i < r.n; i++) {
            confusion[(size_t)r.label[i] * (size_t)r.classes + (size_t)r.pred[i]]++;
            correct += r.pred[i] == r.label[i];
        }
    }

    /* Choose the rows: per class (true class, or predicted without labels) in file order,
     * then the most confident right and wrong predictions. */
    n_grids = r.classes + (r.label ? 2 : 0);
    for (int k = 0; k < n_grids + 1; k++) {
        grids[k].n_cols = 3;
        snprintf(grids[k].heads[0], sizeof grids[k].heads[0], "original");
        snprintf(grids[k].heads[1], sizeof grids[k].heads[1], "heatmap");
        snprintf(grids[k].heads[2], sizeof grids[k].heads[2], "overlay");
    }
    for (int k = 0; k < n_grids; k++)
        if (!(grids[k].rows = calloc((size_t)opt->per_class, sizeof *grids[k].rows))) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", r.path);
            goto exit;
        }
    for (int c = 0; c < r.classes; c++) {
        report_grid *g = &grids[c];
        snprintf(g->title, sizeof g->title, "%s %s", r.label ? "Class" : "Predicted as", names[c]);
        snprintf(g->file, sizeof g->file, "class_%02d.png", c);
        for (long i = 0; i < r.n && g->n < opt->per_class; i++)
            if ((r.label ? r.label[i] : r.pred[i]) == c) g->rows[g->n++] = i;
    }
    if (r.label) {
        snprintf(grids[r.classes].title, sizeof grids[r.classes].title, "Most confident correct predictions");
        snprintf(grids[r.classes].file, sizeof grids[r.classes].file, "confident_correct.png");
        select_confident(&r, 1, opt->per_class, tmp, &grids[r.classes]);
        snprintf(grids[r.classes + 1].title, sizeof grids[r.classes + 1].title, "Most confident wrong predictions");
        snprintf(grids[r.classes + 1].file, sizeof grids[r.classes + 1].file, "confident_wrong.png");
        select_confident(&r, 0, opt->per_class, tmp, &grids[r.classes + 1]);
    }
    for (int k = 0; k < n_grids; k++) {
        if (grids[k].n == 0) {
            grids[k].file[0] = '\0';
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", opt->out_dir, grids[k].file);
        TRY(grid_write(path, &r, &d, &grids[k], opt->scale, err));
    }

    /* Several methods: one more grid first, every method's overlay side by side, on the rows
     * of the most confident wrong predictions (or the first rows without labels). */
    if (r.n_methods > 1 && r.n_methods < REPORT_MAX_COLS) {
        report_grid *g = &grids[n_grids];
        const report_grid *src = r.label ? &grids[r.classes + 1] : &grids[0];
        if (!(readers = calloc((size_t)r.n_methods, sizeof *readers))) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", r.path);
            goto exit;
        }
        for (; n_readers < r.n_methods; n_readers++)
            TRY(results_reader_open(&readers[n_readers], opt->results_path, r.methods[n_readers], err));
        if (!(g->rows = calloc((size_t)opt->per_class, sizeof *g->rows))) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", r.path);
            goto exit;
        }
        snprintf(g->title, sizeof g->title, "Methods side by side%s", r.label ? " (most confident wrong predictions)" : "");
        snprintf(g->file, sizeof g->file, "methods.png");
        g->n_cols = 1 + r.n_methods;
        for (int m = 0; m < r.n_methods; m++) snprintf(g->heads[m + 1], sizeof g->heads[m + 1], "%s", r.methods[m]);
        for (g->n = 0; g->n < src->n; g->n++) g->rows[g->n] = src->rows[g->n];
        if (g->n > 0) {
            snprintf(path, sizeof path, "%s/%s", opt->out_dir, g->file);
            TRY(methods_grid_write(path, readers, r.n_methods, &d, g, opt->scale, err));
        } else {
            g->file[0] = '\0';
        }
        /* shown first: rotate it to the front */
        report_grid moved = *g;
        memmove(grids + 1, grids, sizeof *grids * (size_t)n_grids);
        grids[0] = moved;
        n_grids++;
    }
    if (!(metrics = malloc(sizeof *metrics))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", r.path);
        goto exit;
    }
    TRY(results_metrics_read(opt->results_path, r.methods, r.n_methods, metrics, err));
    page = (report_page){&r, opt->results_path, data_path, names, grids, n_grids,
                         r.cam_w * opt->scale, r.cam_h * opt->scale, REPORT_GAP, correct, confusion,
                         metrics};
    snprintf(path, sizeof path, "%s/index.html", opt->out_dir);
    TRY(report_html_write(path, &page, err));
exit:
    for (int k = 0; grids && k < r_classes + 3; k++) free(grids[k].rows); /* all allocated */
    for (int m = 0; m < n_readers; m++) results_reader_close(&readers[m]);
    free(readers);
    free(metrics);
    free(grids), free(names), free(fallback), free(tmp), free(confusion);
    if (have_d) dataset_close(&d);
    if (have_r) results_reader_close(&r);
    return st;
}
