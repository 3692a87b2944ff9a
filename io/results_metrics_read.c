#include "results_metrics_read.h"

#include "results.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const METRIC_ORDER[] = {"confidence_drop", "confidence_increase", "deletion",
                                           "insertion", "road_morf", "road_lerf", "road_combined"};
static const char *const CURVES[2] = {"deletion_curve", "insertion_curve"};

/* All values of dataset path (rank 1 or 2: with top-k only rank 0 counts), as doubles summed
 * per column of width `cols` (1 for a metric, K + 1 for a curve). */
static clcam_status read_means(hid_t file, const char *fname, const char *path, int want_cols,
                               double *mean, double ci[2], clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT), space = H5I_INVALID_HID;
    hsize_t dims[3] = {0, 1, 1};
    float *v = NULL;
    int rank = -1;
    if (ds < 0 || (space = H5Dget_space(ds)) < 0 || (rank = H5Sget_simple_extent_dims(space, dims, NULL)) < 1 ||
        rank > 3) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: /%s is not a readable metrics dataset", fname, path);
        goto exit;
    }
    size_t n = (size_t)dims[0], row = 1;
    for (int i = 1; i < rank; i++) row *= (size_t)dims[i];
    size_t cols = (size_t)dims[rank - 1], stride = row;
    if (want_cols == 1) cols = 1; /* a metric: [N] or [N, K] (then rank 0, the first column) */
    if (want_cols > 1 && (int)cols != want_cols) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: /%s has %zu points per row, expected %d", fname, path, cols, want_cols);
        goto exit;
    }
    if (!(v = malloc(sizeof(float) * (n * row > 0 ? n * row : 1)))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory reading /%s", fname, path);
        goto exit;
    }
    if (n * row > 0 && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: reading /%s failed (H5Dread)", fname, path);
        goto exit;
    }
    for (size_t c = 0; c < cols; c++) {
        double unused[2];
        results_mean_ci(v + c, n, stride, &mean[c], ci && c == 0 ? ci : unused);
    }
exit:
    free(v);
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    return st;
}

clcam_status results_metrics_read(const char *path, char *const *methods, int n_methods,
                                  metrics_summary *s, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char name[160];
    hid_t file = H5I_INVALID_HID;
    memset(s, 0, sizeof *s);
    if ((file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot open the results file (H5Fopen)", path);
        goto exit;
    }
    if (n_methods > METRICS_READ_MAX_METHODS) n_methods = METRICS_READ_MAX_METHODS;
    snprintf(name, sizeof name, "%s/metrics", n_methods ? methods[0] : "");
    if (n_methods == 0 || H5Lexists(file, methods[0], H5P_DEFAULT) <= 0 ||
        H5Lexists(file, name, H5P_DEFAULT) <= 0)
        goto exit;
    for (size_t k = 0; k < sizeof METRIC_ORDER / sizeof *METRIC_ORDER; k++) {
        snprintf(name, sizeof name, "%s/metrics/%s", methods[0], METRIC_ORDER[k]);
        if (H5Lexists(file, name, H5P_DEFAULT) > 0)
            snprintf(s->metrics[s->n_metrics++], sizeof s->metrics[0], "%s", METRIC_ORDER[k]);
    }
    for (int c = 0; c < 2; c++) {
        hid_t ds, space;
        hsize_t dims[3];
        int rank;
        snprintf(name, sizeof name, "%s/metrics/%s", methods[0], CURVES[c]);
        if (H5Lexists(file, name, H5P_DEFAULT) <= 0) continue;
        if ((ds = H5Dopen2(file, name, H5P_DEFAULT)) < 0) continue;
        space = H5Dget_space(ds);
        rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
        if (rank >= 2 && dims[rank - 1] <= METRICS_READ_MAX_POINTS) {
            s->has_curve[c] = 1;
            s->points = (int)dims[rank - 1];
        }
        if (space >= 0) H5Sclose(space);
        H5Dclose(ds);
    }
    for (int m = 0; m < n_methods; m++) {
        snprintf(s->methods[m], sizeof s->methods[m], "%s", methods[m]);
        for (int k = 0; k < s->n_metrics; k++) {
            snprintf(name, sizeof name, "%s/metrics/%s", methods[m], s->metrics[k]);
            TRY(read_means(file, path, name, 1, &s->mean[m][k], s->ci95[m][k], err));
        }
        for (int c = 0; c < 2; c++)
            if (s->has_curve[c]) {
                snprintf(name, sizeof name, "%s/metrics/%s", methods[m], CURVES[c]);
                TRY(read_means(file, path, name, s->points, s->curve[m][c], NULL, err));
            }
    }
    s->n_methods = n_methods;
exit:
    if (file >= 0) H5Fclose(file);
    return st;
}
