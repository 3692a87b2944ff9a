#include "weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "h5util.h"

static const char *expect_str(int rank, const long *expect, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && used < size; i++) {
        if (expect[i] < 0) used += (size_t)snprintf(buf + used, size - used, "%s*", i ? ", " : "");
        else used += (size_t)snprintf(buf + used, size - used, "%s%ld", i ? ", " : "", expect[i]);
    }
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

clcam_status weights_read(hid_t file, const char *fname, const char *name, int rank,
                          const long *expect, long *dims, float **data, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t ds = H5I_INVALID_HID, type = H5I_INVALID_HID;
    hsize_t hd[H5_MAX_RANK];
    int r = 0;
    size_t count = 1;
    float *buf = NULL;
    char path[256], got[128], want[128];
    *data = NULL;
    snprintf(path, sizeof path, "/%s", name);
    TRY(h5_dataset_open(file, fname, path, &ds, &r, hd, err));
    if ((type = H5Dget_type(ds)) < 0 || H5Tget_class(type) != H5T_FLOAT) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %s must be floating point (float32 as PyTorch saves it)", fname, path);
        goto exit;
    }
    if (r != rank) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %s has shape %s, expected %s", fname, path,
                     h5_dims_str(r, hd, got, sizeof got), expect_str(rank, expect, want, sizeof want));
        goto exit;
    }
    for (int i = 0; i < rank; i++) {
        if ((expect[i] >= 0 && (long)hd[i] != expect[i]) || hd[i] == 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: %s has shape %s, expected %s", fname, path,
                         h5_dims_str(r, hd, got, sizeof got), expect_str(rank, expect, want, sizeof want));
            goto exit;
        }
        dims[i] = (long)hd[i];
        count *= hd[i];
    }
    if (!(buf = malloc(count * sizeof *buf))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory reading %s", fname, path);
        goto exit;
    }
    if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: H5Dread of %s failed (corrupt file?)", fname, path);
        goto exit;
    }
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(buf[i])) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: %s holds a non-finite value (%g at flat index %zu)",
                         fname, path, (double)buf[i], i);
            goto exit;
        }
    }
    *data = buf;
    buf = NULL;
exit:
    free(buf);
    if (type >= 0) H5Tclose(type);
    if (ds >= 0) H5Dclose(ds);
    return st;
}
