/* `clcam report`: pictures and a static HTML page of a results file.
 * Writes into out_dir: class_NN.png (per true class), confident_correct.png,
 * confident_wrong.png and index.html. Each picture is a grid with one row per image:
 * original | jet heatmap | overlay, every tile upscaled by `scale`, REPORT_GAP white pixels
 * between tiles. Only the images shown are read from the dataset, one at a time. */
#ifndef CLCAM_REPORT_H
#define CLCAM_REPORT_H

#include "../../base/error.h"

#define REPORT_GAP 4            /* white pixels between tiles */
#define REPORT_MAX_PER_CLASS 100
#define REPORT_MAX_SCALE 32

typedef struct {
    const char *results_path;
    const char *out_dir;
    const char *data_path;      /* NULL: the results file's dataset_file attribute */
    const char *method;         /* reads /<method>/cam */
    int scale;                  /* 1..REPORT_MAX_SCALE */
    int per_class;              /* images per grid, 1..REPORT_MAX_PER_CLASS */
} report_options;

/* method "gradcam", scale 4, per_class 8, no data override. */
void report_options_default(report_options *opt);
clcam_status report_write(const report_options *opt, clcam_err *err);

#endif
