/* `clcam merge`: the parts of a `clcam run --shard I/K` job as one results file. */
#ifndef CLCAM_RESULTS_MERGE_H
#define CLCAM_RESULTS_MERGE_H

#include "../base/error.h"

/* Checks that parts[0..n) are complete, of one run (run_config, shards, rows_total) and cover
 * rows [0, rows_total) once, then writes out (through out.tmp, renamed): every dataset of the
 * layout as a virtual dataset over the parts (their absolute paths), or with copy an ordinary
 * chunked copy with the parts' compression. A refused part: CLCAM_ERR_INPUT naming it, and no
 * out written. */
clcam_status results_merge(const char *out, const char *const *parts, int n, int copy, clcam_err *err);

#endif
