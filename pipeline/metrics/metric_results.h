/* What the results file holds of the metrics: the datasets of each /<method>/metrics group
 * and, as its attributes, the settings every implementation chooses differently. */
#ifndef CLCAM_METRIC_RESULTS_H
#define CLCAM_METRIC_RESULTS_H

#include "../../io/results.h"
#include "metric_stage.h"

#define METRIC_ATTR_MAX 96

/* Fills L's metrics fields from s (nothing when s asks for no metric); values[] holds the
 * attributes' text and must outlive L. */
void metric_results_layout(const metric_stage *s, results_layout *L,
                           char values[RESULTS_MAX_METRIC_ATTRS][METRIC_ATTR_MAX]);

#endif
