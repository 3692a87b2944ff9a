/* The completion map /chunks_done: one uint8 per `unit` rows (the run's batch, the datasets'
 * chunk rows), set to 1 only after those rows' data is flushed. A resume, with any number of
 * ranks, runs the unmarked entries and reads only the marked ones. */
#include "results.h"

#include <stdlib.h>
#include <string.h>

#include "h5util.h"

#define DONE_NAME "chunks_done"
#define DONE_UNIT_ATTR "rows_per_entry"

static int parallel(const results_writer *w)
{
    return w->layout.par && w->layout.par->active;
}

static clcam_status map_alloc(results_writer *w, int unit, clcam_err *err)
{
    w->unit = unit > 0 ? unit : 1;
    w->n_units = (w->layout.n + w->unit - 1) / w->unit;
    if (!(w->done_map = calloc((size_t)(w->n_units ? w->n_units : 1), 1)))
        return err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for the completion map", w->path);
    return CLCAM_OK;
}

/* Contiguous and unfiltered: a few bytes per batch, written whole by every rank's share. */
static clcam_status map_create(results_writer *w, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hsize_t dims[1] = {(hsize_t)w->n_units};
    hid_t space = H5I_INVALID_HID;
    if ((space = H5Screate_simple(1, dims, NULL)) < 0 ||
        (w->done = H5Dcreate2(w->file, DONE_NAME, H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: creating dataset /%s failed (H5Dcreate2)", w->path, DONE_NAME);
        goto exit;
    }
    TRY(h5_attr_write_int(w->done, DONE_UNIT_ATTR, w->unit, err));
exit:
    if (space >= 0) H5Sclose(space);
    return st;
}

clcam_status results_done_create(results_writer *w, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(map_alloc(w, w->layout.chunk_rows, err));
    TRY(map_create(w, err));
exit:
    return st;
}

/* Writes entries [u0, u1) from done_map (a rank's share; empty for none). */
static clcam_status map_write(results_writer *w, long u0, long u1, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    hsize_t off = (hsize_t)u0, cnt = (hsize_t)(u1 - u0);
    uint8_t none = 0;
    if ((fspace = H5Dget_space(w->done)) < 0) { st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_space failed", w->path); goto exit; }
    if (u1 > u0 ? H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &off, NULL, &cnt, NULL) < 0 ||
                  (mspace = H5Screate_simple(1, &cnt, NULL)) < 0
                : H5Sselect_none(fspace) < 0 || (mspace = H5Scopy(fspace)) < 0 || H5Sselect_none(mspace) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: selecting entries of /%s failed", w->path, DONE_NAME);
        goto exit;
    }
    if (H5Dwrite(w->done, H5T_NATIVE_UINT8, mspace, fspace, w->dxpl, u1 > u0 ? w->done_map + u0 : &none) < 0)
        st = err_set(err, CLCAM_ERR_IO, "%s: writing /%s entries %ld..%ld failed (H5Dwrite; disk full?)",
                     w->path, DONE_NAME, u0, u1 - 1);
exit:
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    return st;
}

clcam_status results_done_load(results_writer *w, long rows_done, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t a = H5I_INVALID_HID, space = H5I_INVALID_HID;
    hsize_t dims[1] = {0};
    int unit = 0;
    if (H5Lexists(w->file, DONE_NAME, H5P_DEFAULT) <= 0) {
        /* a file from before the map: its rows_done rows are final, in whole units */
        TRY(map_alloc(w, w->layout.chunk_rows, err));
        TRY(map_create(w, err));
        for (long u = 0; u < w->n_units; u++)
            w->done_map[u] = (u + 1) * w->unit <= rows_done || rows_done >= w->layout.n;
        TRY(map_write(w, 0, w->n_units, err)); /* every rank the same values */
        goto exit;
    }
    if ((w->done = H5Dopen2(w->file, DONE_NAME, H5P_DEFAULT)) < 0 ||
        (a = H5Aopen(w->done, DONE_UNIT_ATTR, H5P_DEFAULT)) < 0 || H5Aread(a, H5T_NATIVE_INT, &unit) < 0 ||
        (space = H5Dget_space(w->done)) < 0 || H5Sget_simple_extent_dims(space, dims, NULL) != 1) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read /%s and its %s to resume (pass --overwrite to start again)",
                     w->path, DONE_NAME, DONE_UNIT_ATTR);
        goto exit;
    }
    TRY(map_alloc(w, unit, err));
    if (unit < 1 || (long)dims[0] != w->n_units) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: /%s has %ld entries of %d rows, not %ld rows' worth (pass --overwrite)",
                     w->path, DONE_NAME, (long)dims[0], unit, w->layout.n);
        goto exit;
    }
    if (w->n_units && H5Dread(w->done, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, w->done_map) < 0)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: reading /%s failed", w->path, DONE_NAME);
exit:
    if (space >= 0) H5Sclose(space);
    if (a >= 0) H5Aclose(a);
    return st;
}

void results_done_close(results_writer *w)
{
    if (w->done >= 0) H5Dclose(w->done);
    w->done = H5I_INVALID_HID;
    free(w->done_map);
    w->done_map = NULL;
}

int results_unit_done(const results_writer *w, long u)
{
    return u >= 0 && u < w->n_units && w->done_map[u];
}

long results_rows_marked(const results_writer *w)
{
    long rows = 0;
    for (long u = 0; u < w->n_units; u++)
        if (w->done_map[u]) rows += (u + 1) * w->unit < w->layout.n ? w->unit : w->layout.n - u * w->unit;
    return rows;
}

static clcam_status flush(results_writer *w, clcam_err *err)
{
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        return err_set(err, CLCAM_ERR_IO, "%s: H5Fflush failed (disk full?)", w->path);
    return CLCAM_OK;
}

clcam_status results_mark_done(results_writer *w, long first, int count, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    long end = first + count, u0 = first / w->unit, u1 = end >= w->layout.n ? w->n_units : end / w->unit;
    if (count == 0) u0 = u1 = 0;
    TRY(flush(w, err));
    for (long u = u0; u < u1; u++) w->done_map[u] = 1;
    TRY(map_write(w, u0, u1 > u0 ? u1 : u0, err));
    if (!parallel(w)) { /* the rows final from row 0, as files before the map said it */
        long u = 0;
        while (u < w->n_units && w->done_map[u]) u++;
        long rows = u * w->unit < w->layout.n ? u * w->unit : w->layout.n;
        TRY(h5_attr_write_int(w->file, "rows_done", (int)rows, err));
    }
    TRY(flush(w, err)); /* the marks: two flushes a batch, as before the map */
exit:
    return st;
}

clcam_status results_count_correct(results_writer *w, long first, long count, long *correct,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int32_t *pred = NULL, *label = NULL;
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    *correct = 0;
    if (count <= 0 || w->label < 0) goto exit;
    pred = malloc(sizeof *pred * (size_t)w->unit);
    label = malloc(sizeof *label * (size_t)w->unit);
    if (!pred || !label) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
    if ((fspace = H5Dget_space(w->pred)) < 0) { st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_space failed", w->path); goto exit; }
    for (long u = first / w->unit; u * w->unit < first + count; u++) {
        if (!results_unit_done(w, u)) continue;
        hsize_t off = (hsize_t)(u * w->unit), cnt = (hsize_t)((u + 1) * w->unit < w->layout.n ? w->unit : w->layout.n - u * w->unit);
        if (mspace >= 0) H5Sclose(mspace);
        if ((mspace = H5Screate_simple(1, &cnt, NULL)) < 0 ||
            H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &off, NULL, &cnt, NULL) < 0 ||
            H5Dread(w->pred, H5T_NATIVE_INT32, mspace, fspace, H5P_DEFAULT, pred) < 0 ||
            H5Dread(w->label, H5T_NATIVE_INT32, mspace, fspace, H5P_DEFAULT, label) < 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the finished rows of /pred and /label", w->path);
            goto exit;
        }
        for (hsize_t i = 0; i < cnt; i++) *correct += pred[i] == label[i];
    }
exit:
    if (fspace >= 0) H5Sclose(fspace);
    if (mspace >= 0) H5Sclose(mspace);
    free(pred), free(label);
    return st;
}

clcam_status results_done_merged(hid_t part, hid_t out, const char *path, long rows, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t ds = H5I_INVALID_HID, a = H5I_INVALID_HID, space = H5I_INVALID_HID;
    uint8_t *ones = NULL;
    int unit = 0;
    if (H5Lexists(part, DONE_NAME, H5P_DEFAULT) <= 0) goto exit; /* parts from before the map */
    if ((ds = H5Dopen2(part, DONE_NAME, H5P_DEFAULT)) < 0 || (a = H5Aopen(ds, DONE_UNIT_ATTR, H5P_DEFAULT)) < 0 ||
        H5Aread(a, H5T_NATIVE_INT, &unit) < 0 || unit < 1) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: a part's /%s has no readable %s", path, DONE_NAME, DONE_UNIT_ATTR);
        goto exit;
    }
    H5Aclose(a);
    H5Dclose(ds);
    a = ds = H5I_INVALID_HID;
    hsize_t n = (hsize_t)((rows + unit - 1) / unit);
    if (!(ones = malloc(n ? n : 1))) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
    memset(ones, 1, n ? n : 1);
    if ((space = H5Screate_simple(1, &n, NULL)) < 0 ||
        (ds = H5Dcreate2(out, DONE_NAME, H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        (n && H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, ones) < 0)) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: writing /%s failed", path, DONE_NAME);
        goto exit;
    }
    TRY(h5_attr_write_int(ds, DONE_UNIT_ATTR, unit, err));
exit:
    free(ones);
    if (space >= 0) H5Sclose(space);
    if (a >= 0) H5Aclose(a);
    if (ds >= 0) H5Dclose(ds);
    return st;
}
