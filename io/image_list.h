/* Which files an image import reads, in torchvision ImageFolder's order, and their labels. */
#ifndef CLCAM_IMAGE_LIST_H
#define CLCAM_IMAGE_LIST_H

#include <stdint.h>

#include "../base/error.h"

typedef struct {
    char **paths;        /* relative to the root, '/'-separated */
    int32_t *labels;     /* NULL when the images have no labels */
    long n;
    char **class_names;  /* n_classes names, index order; NULL with no labels */
    int n_classes;
} image_list;

/* ROOT/<class>/... (ImageFolder), or a ROOT without subfolders (no labels). Errors name the
 * folder: an empty ROOT, a class folder without image files. */
clcam_status image_list_folder(const char *root, image_list *l, clcam_err *err);
/* `path,label` lines (split at the last comma; an optional first line `path,label`; empty
 * lines skipped), or `path` lines without labels, all alike. Labels that are all integers
 * 0.. are class indices (class names "0".."max"); otherwise they are class names, sorted and
 * numbered as ImageFolder numbers folders. */
clcam_status image_list_csv(const char *csv, image_list *l, clcam_err *err);
void image_list_free(image_list *l);

#endif
