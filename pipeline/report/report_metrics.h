/* The report's faithfulness section: a method x metric table, rows sorted by the first metric
 * (best first), the best value of each column marked; and one plot of every method's mean
 * deletion and insertion curves (inline SVG). */
#ifndef CLCAM_REPORT_METRICS_H
#define CLCAM_REPORT_METRICS_H

#include <stdio.h>

#include "../../io/results_metrics_read.h"

void report_metrics_html(FILE *f, const metrics_summary *s);

#endif
