#include "results.h"
#include "results_chunks.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "h5util.h"

clcam_status make_parent_dirs(const char *path, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            st = err_set(err, CLCAM_ERR_IO, "%s: cannot create folder %s: %s", path, buf, strerror(errno));
            goto exit;
        }
        *p = '/';
    }
exit:
    return st;
}

static void invalidate(results_writer *w)
{
    w->file = w->index = w->label = w->logits = w->probs = w->pred = w->target = H5I_INVALID_HID;
    for (int m = 0; m < RESULTS_MAX_METHODS; m++) w->cam[m] = w->cam_raw[m] = H5I_INVALID_HID;
    results_metrics_invalidate(w);
    w->cam_buf = NULL; /* freed by results_close first */
    w->cam_buf_size = 0;
    w->chunks = NULL; /* freed by results_close first */
    w->dxpl = H5I_INVALID_HID;
    w->done = H5I_INVALID_HID;
    w->done_map = NULL; /* freed by results_close first */
    w->n_units = 0;
    w->unit = 0;
}

static int parallel(const results_writer *w)
{
    return w->layout.par && w->layout.par->active;
}

/* The file's access list: MPI-IO over the ranks' communicator, else HDF5's default (sec2). */
static clcam_status file_access(const results_writer *w, hid_t *fapl, clcam_err *err)
{
    *fapl = H5P_DEFAULT;
    if (!parallel(w)) return CLCAM_OK;
    if ((*fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0 ||
        H5Pset_fapl_mpio(*fapl, w->layout.par->comm, MPI_INFO_NULL) < 0) {
        if (*fapl >= 0) H5Pclose(*fapl);
        *fapl = H5I_INVALID_HID;
        return err_set(err, CLCAM_ERR_HDF5, "%s: H5Pset_fapl_mpio failed", w->path);
    }
    return CLCAM_OK;
}

/* Collective data writes under MPI: HDF5 1.10 writes compressed datasets only so. */
static clcam_status transfer_init(results_writer *w, clcam_err *err)
{
    w->dxpl = H5P_DEFAULT;
    if (!parallel(w)) return CLCAM_OK;
    if ((w->dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0 || H5Pset_dxpl_mpio(w->dxpl, H5FD_MPIO_COLLECTIVE) < 0)
        return err_set(err, CLCAM_ERR_HDF5, "%s: H5Pset_dxpl_mpio failed", w->path);
    return CLCAM_OK;
}

/* Rows per chunk: the batch, but a row of 32 KiB or more (a 96x96 float32 map, a 224x224 one
 * in any dtype) is a chunk of its own, so reading one image's map reads one chunk and
 * decompresses nothing else; smaller rows fill chunks of up to 1 MiB. */
static hsize_t chunk_rows(const results_writer *w, int rank, const hsize_t *dims, hid_t type)
{
    size_t row = H5Tget_size(type);
    hsize_t rows = (hsize_t)w->layout.chunk_rows;
    for (int i = 1; i < rank; i++) row *= (size_t)dims[i];
    if (row >= ((size_t)32 << 10)) return 1;
    if (row > 0 && rows > ((size_t)1 << 20) / row) rows = ((size_t)1 << 20) / row;
    return rows;
}

clcam_status results_create_dataset(results_writer *w, hid_t where, const char *name, hid_t type,
                                   int rank, const int *d, hid_t *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hsize_t dims[4] = {(hsize_t)w->layout.n, 0, 0, 0}, chunk[4];
    for (int i = 1; i < rank; i++) dims[i] = (hsize_t)d[i - 1];
    memcpy(chunk, dims, sizeof dims);
    chunk[0] = chunk_rows(w, rank, dims, type);
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    if (chunk[0] > dims[0]) chunk[0] = dims[0];
    if (chunk[0] == 0) chunk[0] = 1;
    if ((space = H5Screate_simple(rank, dims, NULL)) < 0 || (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
        H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        (w->layout.compression > 0 && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)w->layout.compression) < 0)) ||
        (*out = H5Dcreate2(where, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: creating dataset %s failed (H5Dcreate2)", w->path, name);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return st;
}

/* A float32 scalar attribute (cam_scale: what one stored unit of /<method>/cam is worth). */
static clcam_status write_float_attr(results_writer *w, const char *name, float value, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t space = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (space < 0 || (a = H5Acreate2(w->file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, H5T_NATIVE_FLOAT, &value) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: writing attribute %s failed (H5Awrite)", w->path, name);
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    return st;
}

/* An int64 scalar attribute (row numbers of a shard, which may pass 2^31). */
static clcam_status write_long_attr(results_writer *w, const char *name, long value, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int64_t v = value;
    hid_t space = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (space < 0 || (a = H5Acreate2(w->file, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, H5T_NATIVE_INT64, &v) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: writing attribute %s failed (H5Awrite)", w->path, name);
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    return st;
}

static clcam_status write_attributes(results_writer *w, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const results_layout *L = &w->layout;
    char created[64] = "";
    /* SOURCE_DATE_EPOCH (reproducible builds' convention) pins it: two runs' files compare
     * equal in every attribute. Rank 0's clock for all ranks: an attribute must have one value. */
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    time_t now = epoch && *epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    par_bcast(L->par, created, sizeof created);
    TRY(h5_attr_write_string(w->file, "clcam_version", CLCAM_VERSION, err));
    TRY(h5_attr_write_string(w->file, "created", created, err));
    TRY(h5_attr_write_string(w->file, "config", L->config_yaml ? L->config_yaml : "", err));
    TRY(h5_attr_write_string(w->file, "device", L->device ? L->device : "", err));
    TRY(h5_attr_write_string(w->file, "platform", L->platform ? L->platform : "", err));
    TRY(h5_attr_write_string(w->file, "driver_version", L->driver_version ? L->driver_version : "", err));
    TRY(h5_attr_write_string(w->file, "dataset_file", L->dataset_file ? L->dataset_file : "", err));
    TRY(h5_attr_write_string(w->file, "split", L->split ? L->split : "", err));
    TRY(h5_attr_write_string(w->file, "weights_file", L->weights_file ? L->weights_file : "", err));
    TRY(h5_attr_write_string(w->file, "layer", L->layer ? L->layer : "", err));
    TRY(h5_attr_write_int(w->file, "topk", L->topk, err));
    TRY(h5_attr_write_strings(w->file, "methods", L->methods, L->n_methods, err));
    if (L->n_class_names > 0) {
        TRY(h5_attr_write_strings(w->file, "class_names", L->class_names, L->n_class_names, err));
    } else { /* the dataset names none: "0", "1", ... so readers always find the attribute */
        char numbers[RESULTS_MAX_CLASS_NAMES][12];
        const char *names[RESULTS_MAX_CLASS_NAMES];
        int n = L->classes < RESULTS_MAX_CLASS_NAMES ? L->classes : RESULTS_MAX_CLASS_NAMES;
        for (int i = 0; i < n; i++) {
            snprintf(numbers[i], sizeof numbers[i], "%d", i);
            names[i] = numbers[i];
        }
        TRY(h5_attr_write_strings(w->file, "class_names", names, n, err));
    }
    TRY(h5_attr_write_string(w->file, "cam_dtype", cam_dtype_name(L->cam_dtype), err));
    TRY(write_float_attr(w, "cam_scale", cam_dtype_scale(L->cam_dtype), err));
    TRY(h5_attr_write_int(w->file, "complete", 0, err));
    TRY(h5_attr_write_int(w->file, "rows_done", 0, err));
    if (L->shards > 0) {
        TRY(h5_attr_write_int(w->file, "shard", L->shard, err));
        TRY(h5_attr_write_int(w->file, "shards", L->shards, err));
        TRY(write_long_attr(w, "rows_first", L->rows_first, err));
        TRY(write_long_attr(w, "rows_total", L->rows_total, err));
        TRY(h5_attr_write_string(w->file, "run_config", L->run_config ? L->run_config : "", err));
    }
exit:
    return st;
}

/* Method m's raw maps: h x w, its own size where it has one (else the layer's). */
static void raw_size(const results_layout *L, int m, int *h, int *w)
{
    *h = L->method_raw_h[m] ? L->method_raw_h[m] : L->raw_h;
    *w = L->method_raw_w[m] ? L->method_raw_w[m] : L->raw_w;
}

clcam_status results_create(results_writer *w, const char *path, const results_layout *layout,
                            clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t group = H5I_INVALID_HID, cam_type = H5I_INVALID_HID, fapl = H5I_INVALID_HID;
    const results_layout *L = layout;
    invalidate(w);
    w->layout = *layout;
    snprintf(w->path, sizeof w->path, "%s", path);
    TRY(make_parent_dirs(path, err));
    TRY(file_access(w, &fapl, err));
    TRY(transfer_init(w, err));
    if ((w->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)) < 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot create the results file (H5Fcreate failed: "
                     "folder not writable, or the file is open elsewhere)", path);
        goto exit;
    }
    TRY(write_attributes(w, err));
    /* With top-k every per-target array gains a K axis after N. */
    int k = L->topk, r = k ? 1 : 0;
    int d_classes[1] = {L->classes}, d_target[1] = {k};
    int d_cam[3] = {k, L->cam_h, L->cam_w}, d_raw[3] = {k, L->raw_h, L->raw_w};
    TRY(results_create_dataset(w, w->file, "index", H5T_STD_I64LE, 1, NULL, &w->index, err));
    if (L->has_label) TRY(results_create_dataset(w, w->file, "label", H5T_STD_I32LE, 1, NULL, &w->label, err));
    TRY(results_create_dataset(w, w->file, "logits", H5T_IEEE_F32LE, 2, d_classes, &w->logits, err));
    TRY(results_create_dataset(w, w->file, "probs", H5T_IEEE_F32LE, 2, d_classes, &w->probs, err));
    TRY(results_create_dataset(w, w->file, "pred", H5T_STD_I32LE, 1, NULL, &w->pred, err));
    TRY(results_create_dataset(w, w->file, "target", H5T_STD_I32LE, 1 + r, d_target, &w->target, err));
    if ((cam_type = cam_store_h5type(L->cam_dtype)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: cannot make the HDF5 type for cam_dtype %s", path,
                     cam_dtype_name(L->cam_dtype));
        goto exit;
    }
    for (int m = 0; m < L->n_methods; m++) {
        if ((group = H5Gcreate2(w->file, L->methods[m], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
            st = err_set(err, CLCAM_ERR_HDF5, "%s: creating group /%s failed (H5Gcreate2)", path, L->methods[m]);
            goto exit;
        }
        TRY(results_create_dataset(w, group, "cam", cam_type, 3 + r, d_cam + 1 - r, &w->cam[m], err));
        raw_size(L, m, &d_raw[1], &d_raw[2]);
        TRY(results_create_dataset(w, group, "cam_raw", H5T_IEEE_F32LE, 3 + r, d_raw + 1 - r, &w->cam_raw[m], err));
        TRY(results_metrics_create(w, group, m, err));
        H5Gclose(group);
        group = H5I_INVALID_HID;
    }
    TRY(results_done_create(w, err));
    /* On disk now, so a run killed before its first batch leaves a file it can resume. */
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        st = err_set(err, CLCAM_ERR_IO, "%s: H5Fflush failed (disk full?)", path);
exit:
    if (fapl > 0) H5Pclose(fapl);
    if (cam_type >= 0) H5Tclose(cam_type);
    if (group >= 0) H5Gclose(group);
    if (st != CLCAM_OK) results_close(w);
    return st;
}

clcam_status results_write_rows(results_writer *w, hid_t ds, hid_t mem_type, long offset,
                               int count, const void *buf, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    hsize_t off[4] = {(hsize_t)offset, 0, 0, 0}, cnt[4];
    int rank, none = 0;
    char name[64] = "?";
    if ((fspace = H5Dget_space(ds)) < 0 || (rank = H5Sget_simple_extent_dims(fspace, cnt, NULL)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_space failed", w->path);
        goto exit;
    }
    cnt[0] = (hsize_t)count;
    if (count == 0) { /* a rank's empty share of a collective write */
        if (H5Sselect_none(fspace) < 0 || (mspace = H5Scopy(fspace)) < 0 || H5Sselect_none(mspace) < 0 ||
            H5Dwrite(ds, mem_type, mspace, fspace, w->dxpl, buf ? buf : &none) < 0) {
            H5Iget_name(ds, name, sizeof name);
            st = err_set(err, CLCAM_ERR_IO, "%s: the empty collective write of %s failed (H5Dwrite)", w->path, name);
        }
        goto exit;
    }
    if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0 ||
        (mspace = H5Screate_simple(rank, cnt, NULL)) < 0 ||
        H5Dwrite(ds, mem_type, mspace, fspace, w->dxpl, buf) < 0) {
        H5Iget_name(ds, name, sizeof name);
        st = err_set(err, CLCAM_ERR_IO, "%s: writing %s rows %ld..%ld failed (H5Dwrite; disk full?)",
                     w->path, name, offset, offset + count - 1);
    }
exit:
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    return st;
}

clcam_status results_write(results_writer *w, long offset, int count, const results_batch *b,
                           clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(results_write_rows(w, w->index, H5T_NATIVE_INT64, offset, count, b->index, err));
    if (w->label >= 0 && (b->label || count == 0)) TRY(results_write_rows(w, w->label, H5T_NATIVE_INT32, offset, count, b->label, err));
    TRY(results_write_rows(w, w->logits, H5T_NATIVE_FLOAT, offset, count, b->logits, err));
    TRY(results_write_rows(w, w->probs, H5T_NATIVE_FLOAT, offset, count, b->probs, err));
    TRY(results_write_rows(w, w->pred, H5T_NATIVE_INT32, offset, count, b->pred, err));
    TRY(results_write_rows(w, w->target, H5T_NATIVE_INT32, offset, count, b->target, err));
    const results_layout *L = &w->layout;
    size_t n = (size_t)count * (size_t)(L->topk ? L->topk : 1) * (size_t)L->cam_h * (size_t)L->cam_w;
    if (L->cam_dtype != CAM_DTYPE_FLOAT32 && n * cam_dtype_size(L->cam_dtype) > w->cam_buf_size) {
        void *grown = realloc(w->cam_buf, n * cam_dtype_size(L->cam_dtype));
        if (!grown) { st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory converting the maps", w->path); goto exit; }
        w->cam_buf = grown;
        w->cam_buf_size = n * cam_dtype_size(L->cam_dtype);
    }
    for (int m = 0; m < L->n_methods; m++) {
        size_t elem = cam_dtype_size(L->cam_dtype), row = n / (count > 0 ? (size_t)count : 1) * elem;
        if (results_chunks_apply(w, w->cam[m], elem, offset, count)) { /* compressed here, faster */
            const void *src = b->cam[m];
            if (L->cam_dtype != CAM_DTYPE_FLOAT32) {
                cam_store_convert(L->cam_dtype, b->cam[m], n, w->cam_buf);
                src = w->cam_buf;
            }
            TRY(results_write_chunks(w, w->cam[m], offset, count, src, row, elem, err));
        } else if (L->cam_dtype == CAM_DTYPE_FLOAT32) {
            TRY(results_write_rows(w, w->cam[m], H5T_NATIVE_FLOAT, offset, count, b->cam[m], err));
        } else { /* the file's own type: HDF5 copies the converted bytes as they are */
            hid_t t = H5Dget_type(w->cam[m]);
            if (t < 0) { st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_type failed", w->path); goto exit; }
            cam_store_convert(L->cam_dtype, b->cam[m], n, w->cam_buf);
            st = results_write_rows(w, w->cam[m], t, offset, count, w->cam_buf, err);
            H5Tclose(t);
            if (st != CLCAM_OK) goto exit;
        }
        int raw_h, raw_w;
        raw_size(L, m, &raw_h, &raw_w);
        size_t raw_row = sizeof(float) * (size_t)(L->topk ? L->topk : 1) * (size_t)raw_h * (size_t)raw_w;
        if (results_chunks_apply(w, w->cam_raw[m], sizeof(float), offset, count))
            TRY(results_write_chunks(w, w->cam_raw[m], offset, count, b->cam_raw[m], raw_row, sizeof(float), err));
        else
            TRY(results_write_rows(w, w->cam_raw[m], H5T_NATIVE_FLOAT, offset, count, b->cam_raw[m], err));
    }
    TRY(results_metrics_write(w, offset, count, b, err));
exit:
    return st;
}

clcam_status results_finish(results_writer *w, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(results_metrics_summarise(w, err));
    /* under MPI no rank knows the others' progress until here */
    TRY(h5_attr_write_int(w->file, "rows_done", (int)w->layout.n, err));
    /* Data first, then the flag: a crash between the two leaves complete = 0. */
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: H5Fflush failed (disk full?)", w->path);
        goto exit;
    }
    TRY(h5_attr_write_int(w->file, "complete", 1, err));
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: H5Fflush failed (disk full?)", w->path);
        goto exit;
    }
exit:
    results_close(w);
    return st;
}

void results_close(results_writer *w)
{
    hid_t *ids[] = {&w->index, &w->label, &w->logits, &w->probs, &w->pred, &w->target};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        if (*ids[i] >= 0) H5Dclose(*ids[i]);
    for (int m = 0; m < RESULTS_MAX_METHODS; m++) {
        if (w->cam[m] >= 0) H5Dclose(w->cam[m]);
        if (w->cam_raw[m] >= 0) H5Dclose(w->cam_raw[m]);
    }
    results_metrics_close(w);
    results_done_close(w);
    if (w->dxpl > 0) H5Pclose(w->dxpl);
    if (w->file >= 0) H5Fclose(w->file);
    free(w->cam_buf);
    results_chunks_free(w);
    invalidate(w);
}

static clcam_status read_int_attr(hid_t obj, const char *path, const char *name, int *out,
                                  clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t a = H5I_INVALID_HID;
    if (H5Aexists(obj, name) <= 0 || (a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 ||
        H5Aread(a, H5T_NATIVE_INT, out) < 0)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: no readable attribute %s: not a clcam results file, or "
                     "damaged (pass --overwrite to start it again)", path, name);
    if (a >= 0) H5Aclose(a);
    return st;
}

/* Reopens an unfinished file's datasets; the layout must match what the file holds. */
static clcam_status reopen_datasets(results_writer *w, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const results_layout *L = &w->layout;
    char name[128];
    struct { const char *name; hid_t *id; int want; } ds[] = {
        {"index", &w->index, 1}, {"label", &w->label, L->has_label}, {"logits", &w->logits, 1},
        {"probs", &w->probs, 1}, {"pred", &w->pred, 1}, {"target", &w->target, 1},
    };
    for (size_t i = 0; i < sizeof ds / sizeof *ds; i++)
        if (ds[i].want && (*ds[i].id = H5Dopen2(w->file, ds[i].name, H5P_DEFAULT)) < 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot reopen /%s to resume (pass --overwrite to start again)",
                         w->path, ds[i].name);
            goto exit;
        }
    for (int m = 0; m < L->n_methods; m++) {
        snprintf(name, sizeof name, "%s/cam", L->methods[m]);
        if ((w->cam[m] = H5Dopen2(w->file, name, H5P_DEFAULT)) < 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot reopen /%s to resume (pass --overwrite to start again)", w->path, name);
            goto exit;
        }
        snprintf(name, sizeof name, "%s/cam_raw", L->methods[m]);
        if ((w->cam_raw[m] = H5Dopen2(w->file, name, H5P_DEFAULT)) < 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot reopen /%s to resume (pass --overwrite to start again)", w->path, name);
            goto exit;
        }
        TRY(results_metrics_reopen(w, m, err));
    }
exit:
    return st;
}

clcam_status results_open(results_writer *w, const char *path, const results_layout *layout,
                          int overwrite, results_open_kind *kind, long *rows_done,
                          clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char **cfg = NULL;
    int n_cfg = 0, complete = 0, rows = 0;
    hid_t attr = H5I_INVALID_HID, fapl = H5I_INVALID_HID;
    invalidate(w);
    *rows_done = 0;
    *kind = RESULTS_NEW;
    /* rank 0 decides: another rank could otherwise see the file rank 0 is creating */
    int absent = access(path, F_OK) != 0;
    par_bcast(layout->par, &absent, sizeof absent);
    if (overwrite || absent) {
        TRY(results_create(w, path, layout, err));
        goto exit;
    }
    w->layout = *layout;
    snprintf(w->path, sizeof w->path, "%s", path);
    TRY(file_access(w, &fapl, err));
    TRY(transfer_init(w, err));
    if (H5Fis_hdf5(path) <= 0 || (w->file = H5Fopen(path, H5F_ACC_RDWR, fapl)) < 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: exists but cannot be opened as a results file (damaged, or "
                     "another run is writing it); pass --overwrite to replace it", path);
        goto exit;
    }
    /* The config attribute is a scalar string: read it as a one-element list. */
    TRY(h5_attr_read_strings(w->file, path, "config", &cfg, &n_cfg, err));
    if (n_cfg != 1 || !layout->config_yaml || strcmp(cfg[0], layout->config_yaml) != 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: exists and was written with a different config; refusing "
                     "to mix the two (choose another output.file, or pass --overwrite)", path);
        goto exit;
    }
    /* the config leaves out --shard: a part of another shard into the same file is refused */
    {
        int shard = -1, shards = 0, has = H5Aexists(w->file, "shards") > 0;
        if (has) {
            TRY(read_int_attr(w->file, path, "shard", &shard, err));
            TRY(read_int_attr(w->file, path, "shards", &shards, err));
        }
        if (has != (layout->shards > 0) || (has && (shard != layout->shard || shards != layout->shards))) {
            char mine[48] = "the whole run", this_run[48] = "the whole run";
            if (has) snprintf(mine, sizeof mine, "shard %d/%d", shard, shards);
            if (layout->shards) snprintf(this_run, sizeof this_run, "shard %d/%d", layout->shard, layout->shards);
            st = err_set(err, CLCAM_ERR_INPUT, "%s: exists and holds %s, not this run's %s; refusing to mix "
                         "the two (choose another output.file, or pass --overwrite)", path, mine, this_run);
            goto exit;
        }
    }
    TRY(read_int_attr(w->file, path, "complete", &complete, err));
    if (complete == 1) {
        *kind = RESULTS_COMPLETE;
        results_close(w);
        goto exit;
    }
    TRY(read_int_attr(w->file, path, "rows_done", &rows, err));
    if (rows < 0 || rows > layout->n) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: rows_done = %d is outside 0..%ld (pass --overwrite)", path, rows, layout->n);
        goto exit;
    }
    TRY(reopen_datasets(w, err));
    TRY(results_done_load(w, rows, err));
    *rows_done = rows;
    *kind = RESULTS_RESUMED;
exit:
    if (fapl > 0) H5Pclose(fapl);
    if (attr >= 0) H5Aclose(attr);
    h5_strings_free(cfg, n_cfg);
    if (st != CLCAM_OK) results_close(w);
    return st;
}
