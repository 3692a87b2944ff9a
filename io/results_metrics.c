/* /<method>/metrics of the results file: per-image values of each faithfulness metric, the
 * deletion and insertion curves, the settings they were computed with, and at the end summary
 * attributes over all rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "results.h"

static const char *const CURVE_NAMES[2] = {"deletion_curve", "insertion_curve"};

void results_metrics_invalidate(results_writer *w)
{
    for (int m = 0; m < RESULTS_MAX_METHODS; m++) {
        for (int k = 0; k < RESULTS_MAX_METRICS; k++) w->metric[m][k] = H5I_INVALID_HID;
        w->curve[m][0] = w->curve[m][1] = H5I_INVALID_HID;
    }
}

static int curve_wanted(const results_layout *L, int c)
{
    return c == 0 ? L->deletion_curve : L->insertion_curve;
}

clcam_status results_metrics_create(results_writer *w, hid_t method_group, int m, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const results_layout *L = &w->layout;
    int k = L->topk, r = k ? 1 : 0, d_curve[2] = {k, L->curve_points}, d_value[1] = {k};
    hid_t g = H5I_INVALID_HID;
    if (L->n_metrics == 0) return CLCAM_OK;
    if ((g = H5Gcreate2(method_group, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: creating group /%s/metrics failed (H5Gcreate2)", w->path,
                     L->methods[m]);
        goto exit;
    }
    for (int a = 0; a < L->n_metric_attrs; a++)
        TRY(h5_attr_write_string(g, L->metric_attr_name[a], L->metric_attr_value[a], err));
    for (int i = 0; i < L->n_metrics; i++)
        TRY(results_create_dataset(w, g, L->metrics[i], H5T_IEEE_F32LE, 1 + r, d_value,
                                   &w->metric[m][i], err));
    for (int c = 0; c < 2; c++)
        if (curve_wanted(L, c))
            TRY(results_create_dataset(w, g, CURVE_NAMES[c], H5T_IEEE_F32LE, 2 + r, d_curve + 1 - r,
                                       &w->curve[m][c], err));
exit:
    if (g >= 0) H5Gclose(g);
    return st;
}

static clcam_status reopen(results_writer *w, int m, const char *name, hid_t *out, clcam_err *err)
{
    char path[192];
    snprintf(path, sizeof path, "%s/metrics/%s", w->layout.methods[m], name);
    if ((*out = H5Dopen2(w->file, path, H5P_DEFAULT)) < 0)
        return err_set(err, CLCAM_ERR_INPUT, "%s: cannot reopen /%s to resume (pass --overwrite to "
                       "start again)", w->path, path);
    return CLCAM_OK;
}

clcam_status results_metrics_reopen(results_writer *w, int m, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const results_layout *L = &w->layout;
    for (int i = 0; i < L->n_metrics; i++) TRY(reopen(w, m, L->metrics[i], &w->metric[m][i], err));
    for (int c = 0; c < 2; c++)
        if (curve_wanted(L, c)) TRY(reopen(w, m, CURVE_NAMES[c], &w->curve[m][c], err));
exit:
    return st;
}

clcam_status results_metrics_write(results_writer *w, long offset, int count, const results_batch *b,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const results_layout *L = &w->layout;
    for (int m = 0; m < L->n_methods && L->n_metrics; m++) {
        for (int i = 0; i < L->n_metrics; i++)
            TRY(results_write_rows(w, w->metric[m][i], H5T_NATIVE_FLOAT, offset, count, b->metric[m][i], err));
        if (L->deletion_curve)
            TRY(results_write_rows(w, w->curve[m][0], H5T_NATIVE_FLOAT, offset, count, b->deletion_curve[m], err));
        if (L->insertion_curve)
            TRY(results_write_rows(w, w->curve[m][1], H5T_NATIVE_FLOAT, offset, count, b->insertion_curve[m], err));
    }
exit:
    return st;
}

static clcam_status write_doubles(results_writer *w, hid_t obj, const char *name, const double *v,
                                  int n, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hsize_t dim = (hsize_t)n;
    hid_t space = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL), a = H5I_INVALID_HID;
    /* a resumed run that failed in here before may have left it */
    if (space < 0 || (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0) || (a = H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, H5T_NATIVE_DOUBLE, v) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: writing attribute %s failed (H5Awrite)", w->path, name);
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    return st;
}

/* Every value of dataset ds, malloc'd; *n their count, *row the length of one row after N. */
static clcam_status read_all(results_writer *w, hid_t ds, float **out, size_t *n, size_t *row,
                             clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hsize_t dims[4];
    hid_t space = H5Dget_space(ds);
    int rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
    *out = NULL;
    if (rank < 1) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_space failed on a metrics dataset", w->path);
        goto exit;
    }
    *n = 1;
    for (int i = 0; i < rank; i++) *n *= (size_t)dims[i];
    *row = dims[0] ? *n / (size_t)dims[0] : 1;
    if (!(*out = malloc(sizeof(float) * (*n ? *n : 1)))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory summarising the metrics", w->path);
        goto exit;
    }
    if (*n && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: reading a metrics dataset back failed (H5Dread)", w->path);
exit:
    if (space >= 0) H5Sclose(space);
    return st;
}

void results_mean_ci(const float *v, size_t n, size_t stride, double *mean, double ci[2])
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += v[i * stride];
    *mean = n ? s / (double)n : NAN;
    for (size_t i = 0; i < n; i++) ss += (v[i * stride] - *mean) * (v[i * stride] - *mean);
    double half = n > 1 ? 1.959964 * sqrt(ss / (double)(n - 1) / (double)n) : NAN;
    ci[0] = *mean - half;
    ci[1] = *mean + half;
}

clcam_status results_metrics_summarise_dataset(hid_t ds, hid_t dst, const char *path, int is_curve,
                                               clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    results_writer w; /* read_all and write_doubles name the file from it */
    float *v = NULL;
    double *curve = NULL, mean, ci[2];
    size_t n = 0, row = 1;
    hsize_t dims[4];
    hid_t space = H5I_INVALID_HID;
    int rank;
    snprintf(w.path, sizeof w.path, "%s", path);
    TRY(read_all(&w, ds, &v, &n, &row, err));
    if (!is_curve) {
        results_mean_ci(v, n / row, row, &mean, ci);
        TRY(write_doubles(&w, dst, "mean", &mean, 1, err));
        TRY(write_doubles(&w, dst, "ci95", ci, 2, err));
        goto exit;
    }
    if ((space = H5Dget_space(ds)) < 0 || (rank = H5Sget_simple_extent_dims(space, dims, NULL)) < 2) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_space failed on a curve dataset", path);
        goto exit;
    }
    size_t P = (size_t)dims[rank - 1], rows = n / row;
    if (!(curve = malloc(sizeof(double) * (P ? P : 1)))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory summarising the curves", path);
        goto exit;
    }
    for (size_t p = 0; p < P; p++) results_mean_ci(v + p, rows, row, &curve[p], ci);
    TRY(write_doubles(&w, dst, "mean", curve, (int)P, err));
exit:
    if (space >= 0) H5Sclose(space);
    free(v);
    free(curve);
    return st;
}

clcam_status results_metrics_summarise(results_writer *w, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const results_layout *L = &w->layout;
    for (int m = 0; m < L->n_methods && L->n_metrics; m++) {
        for (int i = 0; i < L->n_metrics; i++)
            TRY(results_metrics_summarise_dataset(w->metric[m][i], w->metric[m][i], w->path, 0, err));
        for (int c = 0; c < 2; c++)
            if (curve_wanted(L, c))
                TRY(results_metrics_summarise_dataset(w->curve[m][c], w->curve[m][c], w->path, 1, err));
    }
exit:
    return st;
}

void results_metrics_close(results_writer *w)
{
    for (int m = 0; m < RESULTS_MAX_METHODS; m++) {
        for (int k = 0; k < RESULTS_MAX_METRICS; k++)
            if (w->metric[m][k] >= 0) H5Dclose(w->metric[m][k]);
        for (int c = 0; c < 2; c++)
            if (w->curve[m][c] >= 0) H5Dclose(w->curve[m][c]);
    }
    results_metrics_invalidate(w);
}
