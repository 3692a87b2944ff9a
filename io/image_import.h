/* A folder of JPEG and PNG files -> a split of a dataset file (docs/file_formats.md). */
#ifndef CLCAM_IMAGE_IMPORT_H
#define CLCAM_IMAGE_IMPORT_H

#include "../base/error.h"

typedef struct {
    const char *root;     /* the images' folder; paths are stored relative to it */
    const char *out;      /* the dataset file, created or given another split */
    const char *list_csv; /* NULL, or a file of `path,label` lines (paths relative to root) */
    const char *split;    /* group name, "test" if NULL */
    int resize, crop;     /* torchvision Resize(resize) then CenterCrop(crop); 0 = not asked */
    int size;             /* Resize((size, size)); 0 = not asked */
    int skip_bad;         /* record unreadable images in /<split>/skipped and go on */
    int overwrite;        /* replace an existing split of the same name */
    int threads;          /* decoding threads; 0 = one per online core */
    int gzip;             /* images' deflate level 1..9, 0 = stored uncompressed */
    int quiet;            /* no progress on stderr */
} image_import_opts;

/* Layouts: ROOT/<class>/.../<file> as torchvision's ImageFolder finds them (class folders
 * sorted by name and numbered from 0, files found recursively and sorted within each folder,
 * names ending .jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp in any case, of which clcam
 * decodes JPEG and PNG), a ROOT without subfolders (its image files, no labels), or
 * opts->list_csv. Writes through OUT.tmp, renamed onto OUT only when complete; an existing
 * OUT is copied first and keeps its other splits. An image that cannot be read or decoded
 * stops the import with its path and the decoder's message (CLCAM_ERR_INPUT), unless
 * skip_bad. */
clcam_status image_import(const image_import_opts *opts, clcam_err *err);

#endif
