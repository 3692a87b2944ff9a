/* Small checked helpers over the HDF5 C API shared by the readers and writers. */
#ifndef CLCAM_H5UTIL_H
#define CLCAM_H5UTIL_H

#include <hdf5.h>

#include "../base/error.h"

#define H5_MAX_RANK 8

/* Silences HDF5's automatic error printing (--verbose turns it back on). */
void h5_quiet(int verbose);
/* HDF5 keeps that setting per thread (thread-safe builds): a thread that calls HDF5 calls
 * this first. */
void h5_thread_init(void);

/* Opens an existing file read-only; the error names it and says what was wrong. */
clcam_status h5_open_read(const char *path, const char *what, hid_t *out, clcam_err *err);

/* Opens dataset `name` and reads its shape; the error names the file and dataset. */
clcam_status h5_dataset_open(hid_t file, const char *fname, const char *name, hid_t *ds,
                             int *rank, hsize_t dims[H5_MAX_RANK], clcam_err *err);

/* "[a, b, c]" into buf. */
const char *h5_dims_str(int rank, const hsize_t *dims, char *buf, size_t size);

/* A 1-D string attribute (variable or fixed length) as a malloc'd list; absent: n = 0. */
clcam_status h5_attr_read_strings(hid_t obj, const char *fname, const char *name, char ***list,
                                  int *n, clcam_err *err);
void h5_strings_free(char **list, int n);

/* Attribute writers: a scalar variable-length UTF-8 string, a string list, a scalar int. */
clcam_status h5_attr_write_string(hid_t obj, const char *name, const char *value, clcam_err *err);
clcam_status h5_attr_write_strings(hid_t obj, const char *name, const char *const *values, int n,
                                   clcam_err *err);
clcam_status h5_attr_write_int(hid_t obj, const char *name, int value, clcam_err *err);

#endif
