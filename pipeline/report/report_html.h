/* The HTML page of `clcam report` (internal to pipeline/report/report.c). */
#ifndef CLCAM_REPORT_HTML_H
#define CLCAM_REPORT_HTML_H

#include <stdio.h>

#include "../../io/results_metrics_read.h"
#include "../../io/results_read.h"
#include "../../base/error.h"

#define REPORT_MAX_COLS 17      /* the original and up to 16 methods */

typedef struct {
    char title[256];            /* plain text, escaped when written */
    int n_cols;                 /* tiles per row */
    char heads[REPORT_MAX_COLS][32]; /* column headings */
    char file[64];              /* picture name in the output folder; "" when no rows */
    long *rows;                 /* result rows shown, top to bottom */
    int n;
} report_grid;

typedef struct {
    const results_reader *r;
    const char *results_path, *dataset_path;
    const char *const *names;   /* r->classes class names */
    const report_grid *grids;
    int n_grids;
    int tile_w, tile_h, gap;    /* picture geometry, so captions line up with rows */
    long correct;               /* -1 without labels */
    const long *confusion;      /* [classes][classes], rows true; NULL without labels */
    const metrics_summary *metrics; /* n_metrics 0: the file has none */
} report_page;

/* s HTML-escaped (& < > " '), for text and attribute values alike. */
void report_put_escaped(FILE *f, const char *s);

/* Writes path (through path.tmp and a rename). Every string from the file is HTML-escaped. */
clcam_status report_html_write(const char *path, const report_page *p, clcam_err *err);

#endif
