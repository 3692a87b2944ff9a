/* Reads a split of a dataset file: uint8 NHWC images, integer labels, class names. */
#ifndef CLCAM_DATASET_H
#define CLCAM_DATASET_H

#include <hdf5.h>
#include <stdint.h>

#include "../base/error.h"

typedef struct {
    hid_t file, images, labels;   /* labels is H5I_INVALID_HID when the split has none */
    char path[1024], split[64];
    long n;                       /* images in the split */
    int h, w, c;
    char **class_names;           /* root attribute, may be absent (n_class_names = 0) */
    int n_class_names;
} dataset_reader;

clcam_status dataset_open(dataset_reader *d, const char *path, const char *split, clcam_err *err);
/* Rows [start, start + count): images as uint8 NHWC, labels as int32 (if labels != NULL
 * and the split has them). Labels outside [0, n_classes) are an error naming the row. */
clcam_status dataset_read(dataset_reader *d, long start, int count, uint8_t *images,
                          int32_t *labels, int n_classes, clcam_err *err);
void dataset_close(dataset_reader *d);

#endif
