/* The HDF5 side of import-images: OUT.tmp, a split's datasets, class names. */
#include "image_h5out.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5util.h"

clcam_status image_out_create_ds(out_state *s, const char *name, hid_t type, int rank,
                                 const hsize_t *dims, const hsize_t *chunk, int deflate, hid_t *out,
                                 clcam_err *err)
{
    hsize_t maxdims[4] = {H5S_UNLIMITED, dims[1], dims[2], dims[3]};
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    clcam_status st = CLCAM_OK;
    if ((space = H5Screate_simple(rank, dims, maxdims)) < 0 ||
        (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        (deflate && H5Pset_deflate(dcpl, (unsigned)deflate) < 0) ||
        (*out = H5Dcreate2(s->group, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: creating dataset %s failed (H5Dcreate2)", s->name,
                     name);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return st;
}

hid_t image_out_vlen_str(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

clcam_status image_out_rows(out_state *s, hid_t ds, const char *what, hid_t mtype, int rank,
                            const void *buf, long n, clcam_err *err)
{
    hsize_t start[4] = {(hsize_t)s->rows, 0, 0, 0};
    hsize_t count[4] = {(hsize_t)n, (hsize_t)s->h, (hsize_t)s->w, 3};
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    clcam_status st = CLCAM_OK;
    if ((fspace = H5Dget_space(ds)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        (mspace = H5Screate_simple(rank, count, NULL)) < 0 ||
        H5Dwrite(ds, mtype, mspace, fspace, H5P_DEFAULT, buf) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: writing %s rows %ld..%ld failed (H5Dwrite)",
                     s->name, what, s->rows, s->rows + n - 1);
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    return st;
}

clcam_status image_out_strings(out_state *s, const char *name, char **v, long n,
                               clcam_err *err)
{
    hsize_t dims[1] = {(hsize_t)n};
    hid_t str = image_out_vlen_str(), space = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    clcam_status st = CLCAM_OK;
    if (str < 0 || (space = H5Screate_simple(1, dims, NULL)) < 0 ||
        (ds = H5Dcreate2(s->group, name, str, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        (n > 0 && H5Dwrite(ds, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0))
        st = err_set(err, CLCAM_ERR_HDF5, "%s: writing %s failed", s->name, name);
    if (ds >= 0) H5Dclose(ds);
    if (space >= 0) H5Sclose(space);
    if (str >= 0) H5Tclose(str);
    return st;
}

/* Shrinks the datasets to the rows written (fewer than listed after --skip-bad). */
clcam_status image_out_finish(out_state *s, clcam_err *err)
{
    hsize_t dims[4] = {(hsize_t)s->rows, (hsize_t)s->h, (hsize_t)s->w, 3};
    if (H5Dset_extent(s->images, dims) < 0 ||
        (s->labels >= 0 && H5Dset_extent(s->labels, dims) < 0) ||
        H5Dset_extent(s->paths, dims) < 0)
        return err_set(err, CLCAM_ERR_HDF5, "%s: H5Dset_extent to %ld rows failed", s->name,
                       s->rows);
    return CLCAM_OK;
}

clcam_status image_out_close(out_state *s, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t *h[] = {&s->images, &s->labels, &s->paths};
    for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
        if (*h[i] >= 0 && H5Dclose(*h[i]) < 0 && st == CLCAM_OK)
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dclose failed", s->name);
        *h[i] = H5I_INVALID_HID;
    }
    if (s->group >= 0 && H5Gclose(s->group) < 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Gclose failed", s->name);
    if (s->file >= 0 && H5Fclose(s->file) < 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Fclose failed (data not flushed)", s->name);
    s->group = s->file = H5I_INVALID_HID;
    return st;
}

static clcam_status file_copy(const char *from, const char *to, clcam_err *err)
{
    FILE *in = NULL, *out = NULL;
    char buf[1 << 16];
    size_t n;
    clcam_status st = CLCAM_OK;
    if ((in = fopen(from, "rb")) == NULL) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot open: %s", from, strerror(errno));
        goto exit;
    }
    if ((out = fopen(to, "wb")) == NULL) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot create: %s", to, strerror(errno));
        goto exit;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            st = err_set(err, CLCAM_ERR_IO, "%s: write failed: %s", to, strerror(errno));
            goto exit;
        }
    if (ferror(in)) st = err_set(err, CLCAM_ERR_IO, "%s: read failed: %s", from, strerror(errno));
exit:
    if (in) fclose(in);
    if (out && fclose(out) != 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_IO, "%s: write failed: %s", to, strerror(errno));
    return st;
}

/* class_names: written when absent; the same list again is fine; another list is an error
 * (the splits of one file share their classes) unless --overwrite. */
clcam_status image_out_class_names(out_state *s, const image_import_opts *o,
                                   const image_list *l, clcam_err *err)
{
    char **have = NULL;
    int n = 0, same;
    clcam_status st = CLCAM_OK;
    if (l->n_classes == 0) goto exit;
    TRY(h5_attr_read_strings(s->file, o->out, "class_names", &have, &n, err));
    same = n == l->n_classes;
    for (int i = 0; same && i < n; i++) same = strcmp(have[i], l->class_names[i]) == 0;
    if (n > 0 && same) goto exit;
    if (n > 0 && !o->overwrite) {
        st = err_set(err, CLCAM_ERR_INPUT,
                     "%s: its class_names (%d, first \"%s\") differ from this import's (%d, first "
                     "\"%s\"); --overwrite replaces them", o->out, n, have[0], l->n_classes,
                     l->class_names[0]);
        goto exit;
    }
    if (n > 0 && H5Adelete(s->file, "class_names") < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Adelete(class_names) failed", s->name);
        goto exit;
    }
    TRY(h5_attr_write_strings(s->file, "class_names", (const char *const *)l->class_names,
                              l->n_classes, err));
exit:
    h5_strings_free(have, n);
    return st;
}

/* OUT.tmp: a copy of OUT (other splits kept) or a new file, with an empty group /<split>. */
clcam_status image_out_open(out_state *s, const image_import_opts *o, const char *split,
                            clcam_err *err)
{
    struct stat sb;
    clcam_status st = CLCAM_OK;
    if (stat(o->out, &sb) == 0) {
        hid_t f = H5I_INVALID_HID;
        htri_t has;
        TRY(h5_open_read(o->out, "dataset", &f, err));
        has = H5Lexists(f, split, H5P_DEFAULT);
        H5Fclose(f);
        if (has > 0 && !o->overwrite) {
            st = err_set(err, CLCAM_ERR_INPUT,
                         "%s: already has a split %s (--overwrite replaces it, --split NAME "
                         "adds another)", o->out, split);
            goto exit;
        }
        TRY(file_copy(o->out, s->name, err));
        if ((s->file = H5Fopen(s->name, H5F_ACC_RDWR, H5P_DEFAULT)) < 0) {
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Fopen for writing failed", s->name);
            goto exit;
        }
        if (has > 0 && H5Ldelete(s->file, split, H5P_DEFAULT) < 0) {
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Ldelete(%s) failed", s->name, split);
            goto exit;
        }
    } else if ((s->file = H5Fcreate(s->name, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: H5Fcreate failed (cannot create the output file)",
                     s->name);
        goto exit;
    }
    if ((s->group = H5Gcreate2(s->file, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Gcreate2(%s) failed", s->name, split);
        goto exit;
    }
exit:
    return st;
}
