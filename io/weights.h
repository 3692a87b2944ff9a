/* Reads one tensor of a weights file (PyTorch state_dict layout, dots as groups). */
#ifndef CLCAM_WEIGHTS_H
#define CLCAM_WEIGHTS_H

#include <hdf5.h>

#include "../base/error.h"

/* Reads dataset `name` (e.g. "conv1/weight") as float32. expect[i] < 0 accepts any size in
 * dimension i; dims receives the shape. Rejects missing datasets, non-float types, wrong
 * ranks or sizes, and NaN or Inf values, naming the file and dataset. */
clcam_status weights_read(hid_t file, const char *fname, const char *name, int rank,
                          const long *expect, long *dims, float **data, clcam_err *err);

#endif
