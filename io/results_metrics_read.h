/* Reads the faithfulness metrics of a results file (/<method>/metrics) for the report: per
 * method and metric the mean and a normal 95% interval over the rows, and the mean deletion and
 * insertion curves, computed from the stored values (so an unfinished file reads too). */
#ifndef CLCAM_RESULTS_METRICS_READ_H
#define CLCAM_RESULTS_METRICS_READ_H

#include "../base/error.h"

#define METRICS_READ_MAX_METHODS 16
#define METRICS_READ_MAX_METRICS 8
#define METRICS_READ_MAX_POINTS 257

typedef struct {
    int n_methods, n_metrics;
    char methods[METRICS_READ_MAX_METHODS][64];
    char metrics[METRICS_READ_MAX_METRICS][32]; /* in the order of the first method's group */
    double mean[METRICS_READ_MAX_METHODS][METRICS_READ_MAX_METRICS];
    double ci95[METRICS_READ_MAX_METHODS][METRICS_READ_MAX_METRICS][2];
    int points;                                   /* K + 1; 0 without curves */
    int has_curve[2];                             /* deletion, insertion */
    double curve[METRICS_READ_MAX_METHODS][2][METRICS_READ_MAX_POINTS];
} metrics_summary;

/* s->n_metrics = 0 when the file has no metrics; methods: the file's method names. */
clcam_status results_metrics_read(const char *path, char *const *methods, int n_methods,
                                  metrics_summary *s, clcam_err *err);

#endif
