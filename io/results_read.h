/* Reads a results file (the contract's layout) for the report: root attributes, the per-image
 * arrays (index, label, pred, probs; N values each, read whole) and one method's CAMs, which
 * stay on disk and are read one image at a time. */
#ifndef CLCAM_RESULTS_READ_H
#define CLCAM_RESULTS_READ_H

#include <hdf5.h>
#include <stdint.h>

#include "../base/error.h"

typedef struct {
    char path[1024], method[64];
    hid_t file, cam;           /* cam: /<method>/cam, open */
    long n;                    /* images */
    int classes;
    int cam_h, cam_w;
    int topk;                  /* 0, or K when the cams are [N, K, H, W] (rank 0 is read) */
    float cam_scale;           /* attribute cam_scale (1/255 for uint8 maps); 1 when absent */
    int64_t *index;            /* [n] rows in the dataset split */
    int32_t *label;            /* [n], NULL when the file has no /label */
    int32_t *pred;             /* [n], checked to be in 0..classes-1 */
    float *probs;              /* [n, classes] */
    int complete;              /* root attribute; -1 when absent */
    /* Root string attributes; "" when absent. */
    char *created, *device, *platform, *driver_version, *dataset_file, *split, *weights_file,
        *layer, *clcam_version;
    char **methods, **class_names;
    int n_methods, n_class_names;
} results_reader;

/* Opens path and reads everything but the CAMs; method names the /<method>/cam to read. */
clcam_status results_reader_open(results_reader *r, const char *path, const char *method,
                                 clcam_err *err);
/* The CAM of result row `row` into cam[cam_h * cam_w] (with top-k: the top-1 map). */
clcam_status results_reader_cam(results_reader *r, long row, float *cam, clcam_err *err);
void results_reader_close(results_reader *r);

#endif
