/* The HDF5 side of import-images: the output file, a split's datasets, class names. */
#ifndef CLCAM_IMAGE_H5OUT_H
#define CLCAM_IMAGE_H5OUT_H

#include <hdf5.h>
#include <stdint.h>

#include "../base/error.h"
#include "image_import.h"
#include "image_list.h"

struct image_pool;

typedef struct {
    const char *name; /* the temporary file, for messages */
    hid_t file, group, images, labels, paths;
    long rows;        /* written */
    int w, h, chunk_rows;
    struct image_pool *p; /* its chunks carry the images to compression and the file */
    long submitted, written; /* chunks handed to compression, chunks stored */
    uint8_t *block;   /* the chunk being filled: chunk_rows images */
    int32_t *block_labels;
    const char **block_paths;
    int in_block;
    char **skipped;
    long n_skipped;
} out_state;

/* OUT.tmp: a copy of OUT (other splits kept; an existing split refused unless --overwrite)
 * or a new file, with an empty group /<split>. */
clcam_status image_out_open(out_state *s, const image_import_opts *o, const char *split,
                            clcam_err *err);
/* class_names: written when absent; the same list again is fine; another is an error (the
 * splits of one file share their classes) unless --overwrite. */
clcam_status image_out_class_names(out_state *s, const image_import_opts *o,
                                   const image_list *l, clcam_err *err);
/* A chunked dataset in /<split> growing along its first axis; deflate level 0 = none. */
clcam_status image_out_create_ds(out_state *s, const char *name, hid_t type, int rank,
                                 const hsize_t *dims, const hsize_t *chunk, int deflate, hid_t *out,
                                 clcam_err *err);
/* n rows from row s->rows of a 1-D dataset (labels, paths). */
clcam_status image_out_rows(out_state *s, hid_t ds, const char *what, hid_t mtype, int rank,
                            const void *buf, long n, clcam_err *err);
/* A 1-D string dataset /<split>/name of n entries. */
clcam_status image_out_strings(out_state *s, const char *name, char **v, long n, clcam_err *err);
/* Shrinks images, labels and paths to the rows written. */
clcam_status image_out_finish(out_state *s, clcam_err *err);
/* Closes every handle; the first failure is the error. */
clcam_status image_out_close(out_state *s, clcam_err *err);
/* Variable-length UTF-8 string type, or H5I_INVALID_HID. */
hid_t image_out_vlen_str(void);

#endif
