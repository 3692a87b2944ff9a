#include "h5util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int h5_verbose = 1;

void h5_quiet(int verbose)
{
    h5_verbose = verbose;
    if (!verbose) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5_thread_init(void)
{
    h5_quiet(h5_verbose);
}

clcam_status h5_open_read(const char *path, const char *what, hid_t *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    htri_t is_h5;
    *out = H5I_INVALID_HID;
    if (access(path, R_OK) != 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read %s file (missing or not readable)", path, what);
        goto exit;
    }
    is_h5 = H5Fis_hdf5(path);
    if (is_h5 <= 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: not an HDF5 file (expected the %s file)", path, what);
        goto exit;
    }
    if ((*out = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: H5Fopen failed for the %s file (corrupt or locked?)", path, what);
exit:
    return st;
}

const char *h5_dims_str(int rank, const hsize_t *dims, char *buf, size_t size)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

clcam_status h5_dataset_open(hid_t file, const char *fname, const char *name, hid_t *ds,
                             int *rank, hsize_t dims[H5_MAX_RANK], clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t space = H5I_INVALID_HID;
    htri_t exists = H5Lexists(file, name, H5P_DEFAULT);
    *ds = H5I_INVALID_HID;
    if (exists <= 0 && name[0] == '/') {
        /* H5Lexists fails on a missing intermediate group: check each level. */
        char part[256];
        const char *p = name;
        exists = 1;
        while (exists > 0 && (p = strchr(p + 1, '/')) != NULL) {
            snprintf(part, sizeof part, "%.*s", (int)(p - name), name);
            exists = H5Lexists(file, part, H5P_DEFAULT);
        }
        if (exists > 0) exists = H5Lexists(file, name, H5P_DEFAULT);
    }
    if (exists <= 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: no dataset %s", fname, name);
        goto exit;
    }
    if ((*ds = H5Dopen2(file, name, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %s is not a readable dataset (H5Dopen2 failed)", fname, name);
        goto exit;
    }
    if ((space = H5Dget_space(*ds)) < 0 || (*rank = H5Sget_simple_extent_ndims(space)) < 0 ||
        *rank > H5_MAX_RANK || H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the shape of %s (rank above %d?)", fname, name, H5_MAX_RANK);
        goto exit;
    }
exit:
    if (space >= 0) H5Sclose(space);
    if (st != CLCAM_OK && *ds >= 0) {
        H5Dclose(*ds);
        *ds = H5I_INVALID_HID;
    }
    return st;
}

void h5_strings_free(char **list, int n)
{
    for (int i = 0; list && i < n; i++) free(list[i]);
    free(list);
}

clcam_status h5_attr_read_strings(hid_t obj, const char *fname, const char *name, char ***list,
                                  int *n, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t attr = H5I_INVALID_HID, type = H5I_INVALID_HID, space = H5I_INVALID_HID, mem = H5I_INVALID_HID;
    hssize_t count = 0;
    char **out = NULL, *fixed = NULL, **vlen = NULL;
    size_t len = 0;
    htri_t is_vlen;
    *list = NULL;
    *n = 0;
    if (H5Aexists(obj, name) <= 0) goto exit;
    if ((attr = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (type = H5Aget_type(attr)) < 0 ||
        (space = H5Aget_space(attr)) < 0 || (count = H5Sget_simple_extent_npoints(space)) < 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot open attribute %s", fname, name);
        goto exit;
    }
    if (H5Tget_class(type) != H5T_STRING) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: attribute %s should hold strings", fname, name);
        goto exit;
    }
    if (!(out = calloc((size_t)count + 1, sizeof *out))) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
    is_vlen = H5Tis_variable_str(type);
    mem = H5Tcopy(H5T_C_S1);
    if (is_vlen > 0) {
        if (!(vlen = calloc((size_t)count + 1, sizeof *vlen))) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
        if (mem < 0 || H5Tset_size(mem, H5T_VARIABLE) < 0 || H5Tset_cset(mem, H5Tget_cset(type)) < 0 ||
            H5Aread(attr, mem, vlen) < 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read attribute %s", fname, name);
            goto exit;
        }
        for (hssize_t i = 0; i < count; i++) out[i] = strdup(vlen[i] ? vlen[i] : "");
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, vlen);
    } else {
        len = H5Tget_size(type);
        if (!(fixed = calloc((size_t)count, len + 1))) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
        if (mem < 0 || H5Tset_size(mem, len + 1) < 0 || H5Aread(attr, mem, fixed) < 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read attribute %s", fname, name);
            goto exit;
        }
        for (hssize_t i = 0; i < count; i++) out[i] = strdup(fixed + i * (len + 1));
    }
    for (hssize_t i = 0; i < count; i++)
        if (!out[i]) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
    *list = out;
    *n = (int)count;
    out = NULL;
exit:
    h5_strings_free(out, (int)count);
    free(fixed);
    free(vlen);
    if (mem >= 0) H5Tclose(mem);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
    return st;
}

static clcam_status attr_write(hid_t obj, const char *name, hid_t type, hid_t space,
                               const void *buf, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t attr = H5I_INVALID_HID;
    char file[512] = "?";
    H5Fget_name(obj, file, sizeof file);
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: H5Adelete(%s) failed", file, name);
        goto exit;
    }
    if ((attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(attr, type, buf) < 0)
        st = err_set(err, CLCAM_ERR_IO, "%s: writing attribute %s failed (H5Acreate2/H5Awrite; disk full?)",
                     file, name);
exit:
    if (attr >= 0) H5Aclose(attr);
    return st;
}

static hid_t vlen_utf8_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return t;
}

clcam_status h5_attr_write_string(hid_t obj, const char *name, const char *value, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t type = vlen_utf8_type(), space = H5Screate(H5S_SCALAR);
    if (type < 0 || space < 0) { st = err_set(err, CLCAM_ERR_HDF5, "H5Tcopy/H5Screate failed for attribute %s", name); goto exit; }
    TRY(attr_write(obj, name, type, space, &value, err));
exit:
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    return st;
}

clcam_status h5_attr_write_strings(hid_t obj, const char *name, const char *const *values, int n,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hsize_t dim = (hsize_t)n;
    hid_t type = vlen_utf8_type(), space = H5Screate_simple(1, &dim, NULL);
    if (type < 0 || space < 0) { st = err_set(err, CLCAM_ERR_HDF5, "H5Tcopy/H5Screate failed for attribute %s", name); goto exit; }
    TRY(attr_write(obj, name, type, space, values, err));
exit:
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    return st;
}

clcam_status h5_attr_write_int(hid_t obj, const char *name, int value, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t space = H5Screate(H5S_SCALAR);
    if (space < 0) { st = err_set(err, CLCAM_ERR_HDF5, "H5Screate failed for attribute %s", name); goto exit; }
    TRY(attr_write(obj, name, H5T_NATIVE_INT, space, &value, err));
exit:
    if (space >= 0) H5Sclose(space);
    return st;
}
