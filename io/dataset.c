#include "dataset.h"

#include <stdio.h>
#include <string.h>

#include "h5util.h"

/* HDF5's default chunk cache is 1 MiB: a compressed chunk larger than that (the import's
 * 1,000-image chunks are 3 MB) is decompressed again for every batch that reads part of it.
 * Reopens the images with a cache of two chunks, so each chunk is decompressed once. */
static clcam_status images_chunk_cache(dataset_reader *d, const char *name, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t dcpl = H5I_INVALID_HID, dapl = H5I_INVALID_HID;
    hsize_t chunk[4];
    if ((dcpl = H5Dget_create_plist(d->images)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_create_plist failed for %s", d->path, name);
        goto exit;
    }
    if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, 4, chunk) != 4) goto exit;
    size_t bytes = (size_t)(chunk[0] * chunk[1] * chunk[2] * chunk[3]);
    if (bytes <= ((size_t)1 << 20) / 2 || bytes > ((size_t)256 << 20)) goto exit; /* default is fine / too big */
    H5Dclose(d->images);
    if ((dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0 ||
        H5Pset_chunk_cache(dapl, 521, 2 * bytes, 1.0) < 0 ||
        (d->images = H5Dopen2(d->file, name, dapl)) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Pset_chunk_cache/H5Dopen2 failed for %s", d->path, name);
exit:
    if (dapl >= 0) H5Pclose(dapl);
    if (dcpl >= 0) H5Pclose(dcpl);
    return st;
}

clcam_status dataset_open(dataset_reader *d, const char *path, const char *split, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t type = H5I_INVALID_HID;
    hsize_t dims[H5_MAX_RANK];
    int rank = 0;
    char name[128], shape[128];
    memset(d, 0, sizeof *d);
    d->file = d->images = d->labels = H5I_INVALID_HID;
    snprintf(d->path, sizeof d->path, "%s", path);
    snprintf(d->split, sizeof d->split, "%s", split);
    TRY(h5_open_read(path, "dataset", &d->file, err));
    snprintf(name, sizeof name, "/%s/images", split);
    TRY(h5_dataset_open(d->file, path, name, &d->images, &rank, dims, err));
    if ((type = H5Dget_type(d->images)) < 0 || H5Tget_class(type) != H5T_INTEGER ||
        H5Tget_size(type) != 1 || H5Tget_sign(type) != H5T_SGN_NONE) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %s must be uint8 pixels", path, name);
        goto exit;
    }
    if (rank != 4 || dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || dims[3] != 3) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %s has shape %s, expected [N, H, W, 3] (NHWC, RGB, N >= 1)",
                     path, name, h5_dims_str(rank, dims, shape, sizeof shape));
        goto exit;
    }
    d->n = (long)dims[0];
    d->h = (int)dims[1];
    d->w = (int)dims[2];
    d->c = (int)dims[3];
    TRY(images_chunk_cache(d, name, err));
    H5Tclose(type);
    type = H5I_INVALID_HID;
    snprintf(name, sizeof name, "/%s/labels", split);
    if (H5Lexists(d->file, name, H5P_DEFAULT) > 0) {
        TRY(h5_dataset_open(d->file, path, name, &d->labels, &rank, dims, err));
        if ((type = H5Dget_type(d->labels)) < 0 || H5Tget_class(type) != H5T_INTEGER) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: %s must hold integers", path, name);
            goto exit;
        }
        if (rank != 1 || (long)dims[0] != d->n) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: %s has shape %s, expected [%ld] (one per image)",
                         path, name, h5_dims_str(rank, dims, shape, sizeof shape), d->n);
            goto exit;
        }
    }
    TRY(h5_attr_read_strings(d->file, path, "class_names", &d->class_names, &d->n_class_names, err));
exit:
    if (type >= 0) H5Tclose(type);
    if (st != CLCAM_OK) dataset_close(d);
    return st;
}

static clcam_status read_rows(hid_t ds, hid_t mem_type, const char *fname, const char *what,
                              long start, int count, int rank, const hsize_t *row_dims, void *buf,
                              clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    hsize_t off[4] = {(hsize_t)start, 0, 0, 0}, cnt[4] = {(hsize_t)count, 0, 0, 0};
    for (int i = 1; i < rank; i++) cnt[i] = row_dims[i];
    if ((fspace = H5Dget_space(ds)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0 ||
        (mspace = H5Screate_simple(rank, cnt, NULL)) < 0 ||
        H5Dread(ds, mem_type, mspace, fspace, H5P_DEFAULT, buf) < 0)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: reading %s rows %ld..%ld failed (H5Dread; corrupt file?)",
                     fname, what, start, start + count - 1);
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    return st;
}

clcam_status dataset_read(dataset_reader *d, long start, int count, uint8_t *images,
                          int32_t *labels, int n_classes, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hsize_t row[4] = {0, (hsize_t)d->h, (hsize_t)d->w, (hsize_t)d->c};
    char what[96];
    if (start < 0 || count < 0 || start + count > d->n) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: rows %ld..%ld are past the end of split %s (%ld images)",
                     d->path, start, start + count - 1, d->split, d->n);
        goto exit;
    }
    snprintf(what, sizeof what, "/%s/images", d->split);
    TRY(read_rows(d->images, H5T_NATIVE_UINT8, d->path, what, start, count, 4, row, images, err));
    if (labels && d->labels >= 0) {
        snprintf(what, sizeof what, "/%s/labels", d->split);
        TRY(read_rows(d->labels, H5T_NATIVE_INT32, d->path, what, start, count, 1, row, labels, err));
        for (int i = 0; i < count; i++) {
            if (labels[i] < 0 || labels[i] >= n_classes) {
                st = err_set(err, CLCAM_ERR_INPUT, "%s: /%s/labels[%ld] = %d is outside 0..%d (the model's classes)",
                             d->path, d->split, start + i, (int)labels[i], n_classes - 1);
                goto exit;
            }
        }
    }
exit:
    return st;
}

void dataset_close(dataset_reader *d)
{
    if (d->labels >= 0) H5Dclose(d->labels);
    if (d->images >= 0) H5Dclose(d->images);
    if (d->file >= 0) H5Fclose(d->file);
    h5_strings_free(d->class_names, d->n_class_names);
    d->class_names = NULL;
    d->n_class_names = 0;
    d->file = d->images = d->labels = H5I_INVALID_HID;
}
