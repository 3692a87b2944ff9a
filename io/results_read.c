#include "results_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5util.h"

/* Reads the whole dataset `name` as mem_type into a malloc'd *out. Its first dimension must be
 * r->n (unless n_expected < 0, then it sets r->n); rank must be `rank`; dims_out gets the shape. */
static clcam_status read_array(results_reader *r, const char *name, hid_t mem_type, int rank,
                               long n_expected, hsize_t dims_out[H5_MAX_RANK], void **out,
                               clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t ds = H5I_INVALID_HID, type = H5I_INVALID_HID;
    hsize_t *dims = dims_out;
    int got_rank = 0;
    size_t count = 1;
    char shape[128];
    *out = NULL;
    TRY(h5_dataset_open(r->file, r->path, name, &ds, &got_rank, dims, err));
    if (got_rank != rank || dims[0] == 0 || (n_expected >= 0 && (long)dims[0] != n_expected)) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %s has shape %s, expected rank %d with %ld rows",
                     r->path, name, h5_dims_str(got_rank, dims, shape, sizeof shape), rank,
                     n_expected >= 0 ? n_expected : (long)dims[0]);
        goto exit;
    }
    if ((type = H5Dget_type(ds)) < 0 || H5Tget_class(type) != H5Tget_class(mem_type)) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %s should hold %s", r->path, name,
                     H5Tget_class(mem_type) == H5T_FLOAT ? "floats" : "integers");
        goto exit;
    }
    for (int i = 0; i < rank; i++) count *= (size_t)dims[i];
    if (!(*out = malloc(count * H5Tget_size(mem_type)))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory reading %s", r->path, name);
        goto exit;
    }
    if (H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: reading %s failed (H5Dread; corrupt file?)", r->path, name);
        goto exit;
    }
exit:
    if (st != CLCAM_OK) {
        free(*out);
        *out = NULL;
    }
    if (type >= 0) H5Tclose(type);
    if (ds >= 0) H5Dclose(ds);
    return st;
}

/* A scalar (or first element of a list) string attribute as a malloc'd string; "" if absent. */
static clcam_status read_attr_string(results_reader *r, const char *name, char **out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char **list = NULL;
    int n = 0;
    TRY(h5_attr_read_strings(r->file, r->path, name, &list, &n, err));
    if (!(*out = strdup(n > 0 ? list[0] : "")))
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory reading attribute %s", r->path, name);
exit:
    h5_strings_free(list, n);
    return st;
}

static clcam_status read_attr_int(results_reader *r, const char *name, int *value, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t attr = H5I_INVALID_HID;
    htri_t exists = H5Aexists(r->file, name);
    *value = -1;
    if (exists == 0) goto exit;
    if (exists < 0 || (attr = H5Aopen(r->file, name, H5P_DEFAULT)) < 0 ||
        H5Aread(attr, H5T_NATIVE_INT, value) < 0)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the integer attribute %s", r->path, name);
exit:
    if (attr >= 0) H5Aclose(attr);
    return st;
}

/* cam_scale: the maps are stored values times it (float16 and float32: 1, uint8: 1/255). */
static clcam_status read_cam_scale(results_reader *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t attr = H5I_INVALID_HID;
    htri_t exists = H5Aexists(r->file, "cam_scale");
    r->cam_scale = 1.0f;
    if (exists == 0) goto exit;
    if (exists < 0 || (attr = H5Aopen(r->file, "cam_scale", H5P_DEFAULT)) < 0 ||
        H5Aread(attr, H5T_NATIVE_FLOAT, &r->cam_scale) < 0 || !(r->cam_scale > 0.0f && r->cam_scale <= 1.0f))
        st = err_set(err, CLCAM_ERR_INPUT, "%s: the attribute cam_scale is unreadable or outside (0, 1]", r->path);
exit:
    if (attr >= 0) H5Aclose(attr);
    return st;
}

static clcam_status open_cam(results_reader *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hsize_t dims[H5_MAX_RANK];
    int rank = 0;
    char name[96], shape[128], listed[256] = "";
    snprintf(name, sizeof name, "/%s/cam", r->method);
    if (H5Lexists(r->file, r->method, H5P_DEFAULT) <= 0 || H5Lexists(r->file, name, H5P_DEFAULT) <= 0) {
        for (int i = 0; i < r->n_methods; i++)
            snprintf(listed + strlen(listed), sizeof listed - strlen(listed), "%s%s", i ? ", " : "", r->methods[i]);
        st = err_set(err, CLCAM_ERR_INPUT, "%s: no dataset %s (methods in the file: %s)", r->path, name,
                     listed[0] ? listed : "none listed");
        goto exit;
    }
    TRY(h5_dataset_open(r->file, r->path, name, &r->cam, &rank, dims, err));
    if ((rank != 3 && rank != 4) || (long)dims[0] != r->n || dims[1] == 0 || dims[2] == 0 ||
        (rank == 4 && dims[3] == 0)) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %s has shape %s, expected [%ld, H, W] or [%ld, K, H, W]", r->path,
                     name, h5_dims_str(rank, dims, shape, sizeof shape), r->n, r->n);
        goto exit;
    }
    r->topk = rank == 4 ? (int)dims[1] : 0;
    r->cam_h = (int)dims[rank - 2];
    r->cam_w = (int)dims[rank - 1];
exit:
    return st;
}

clcam_status results_reader_open(results_reader *r, const char *path, const char *method,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hsize_t dims[H5_MAX_RANK];
    void *buf = NULL;
    memset(r, 0, sizeof *r);
    r->file = r->cam = H5I_INVALID_HID;
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->method, sizeof r->method, "%s", method);
    TRY(h5_open_read(path, "results", &r->file, err));
    TRY(read_attr_string(r, "created", &r->created, err));
    TRY(read_attr_string(r, "device", &r->device, err));
    TRY(read_attr_string(r, "platform", &r->platform, err));
    TRY(read_attr_string(r, "driver_version", &r->driver_version, err));
    TRY(read_attr_string(r, "dataset_file", &r->dataset_file, err));
    TRY(read_attr_string(r, "split", &r->split, err));
    TRY(read_attr_string(r, "weights_file", &r->weights_file, err));
    TRY(read_attr_string(r, "layer", &r->layer, err));
    TRY(read_attr_string(r, "clcam_version", &r->clcam_version, err));
    TRY(h5_attr_read_strings(r->file, path, "methods", &r->methods, &r->n_methods, err));
    TRY(h5_attr_read_strings(r->file, path, "class_names", &r->class_names, &r->n_class_names, err));
    TRY(read_attr_int(r, "complete", &r->complete, err));

    TRY(read_array(r, "/index", H5T_NATIVE_INT64, 1, -1, dims, &buf, err));
    r->index = buf;
    r->n = (long)dims[0];
    TRY(read_array(r, "/probs", H5T_NATIVE_FLOAT, 2, r->n, dims, &buf, err));
    r->probs = buf;
    r->classes = (int)dims[1];
    TRY(read_array(r, "/pred", H5T_NATIVE_INT32, 1, r->n, dims, &buf, err));
    r->pred = buf;
    if (H5Lexists(r->file, "/label", H5P_DEFAULT) > 0) {
        TRY(read_array(r, "/label", H5T_NATIVE_INT32, 1, r->n, dims, &buf, err));
        r->label = buf;
    }
    for (long i = 0; i < r->n; i++) {
        if (r->pred[i] < 0 || r->pred[i] >= r->classes || (r->label && (r->label[i] < 0 || r->label[i] >= r->classes))) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: row %ld has pred %d, label %d: outside 0..%d (the /probs classes)",
                         path, i, (int)r->pred[i], r->label ? (int)r->label[i] : -1, r->classes - 1);
            goto exit;
        }
    }
    TRY(read_cam_scale(r, err));
    TRY(open_cam(r, err));
exit:
    if (st != CLCAM_OK) results_reader_close(r);
    return st;
}

clcam_status results_reader_cam(results_reader *r, long row, float *cam, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    int rank = r->topk ? 4 : 3;
    hsize_t off[4] = {(hsize_t)row, 0, 0, 0}, cnt[4] = {1, 1, 1, 1};
    cnt[rank - 2] = (hsize_t)r->cam_h;
    cnt[rank - 1] = (hsize_t)r->cam_w;
    if (row < 0 || row >= r->n) {
        st = err_set(err, CLCAM_ERR_USAGE, "%s: CAM row %ld is outside 0..%ld", r->path, row, r->n - 1);
        goto exit;
    }
    if ((fspace = H5Dget_space(r->cam)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0 ||
        (mspace = H5Screate_simple(rank, cnt, NULL)) < 0 ||
        H5Dread(r->cam, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, cam) < 0)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: reading /%s/cam row %ld failed (H5Dread; corrupt file?)",
                     r->path, r->method, row);
    else if (r->cam_scale != 1.0f) /* HDF5 converted the stored type (uint8, float16) to float */
        for (long i = 0; i < (long)r->cam_h * r->cam_w; i++) cam[i] *= r->cam_scale;
exit:
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    return st;
}

void results_reader_close(results_reader *r)
{
    if (r->cam >= 0) H5Dclose(r->cam);
    if (r->file >= 0) H5Fclose(r->file);
    r->cam = r->file = H5I_INVALID_HID;
    free(r->index), free(r->label), free(r->pred), free(r->probs);
    r->index = NULL, r->label = r->pred = NULL, r->probs = NULL;
    free(r->created), free(r->device), free(r->platform), free(r->driver_version);
    free(r->dataset_file), free(r->split), free(r->weights_file), free(r->layer), free(r->clcam_version);
    r->created = r->device = r->platform = r->driver_version = NULL;
    r->dataset_file = r->split = r->weights_file = r->layer = r->clcam_version = NULL;
    h5_strings_free(r->methods, r->n_methods);
    h5_strings_free(r->class_names, r->n_class_names);
    r->methods = r->class_names = NULL;
    r->n_methods = r->n_class_names = 0;
}
