#include "report_html.h"
#include "report_metrics.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CONFUSION_MAX_CLASSES 20   /* a bigger matrix is unreadable: the most confused pairs */
#define CONFUSED_PAIRS 25          /* rows of that table */

static const char *STYLE =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}\n"
    "h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\n"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}\n"
    "th{background:#f3f3f3}td.name,th.name{text-align:left}\n"
    "table.facts td{text-align:left}\n"
    "table.confusion td.diag{font-weight:bold;outline:2px solid #2a7}\n"
    ".warning{background:#fde2e1;border:2px solid #c33;color:#900;padding:.6em 1em;font-weight:bold}\n"
    ".big{font-size:1.4em}\n"
    ".grid{display:flex;gap:1em;align-items:flex-start}\n"
    ".grid ol{list-style:none;margin:0;padding:0;font-size:.9em}\n"
    ".grid li{display:flex;align-items:center;box-sizing:border-box;overflow:hidden}\n"
    ".heads{display:flex;font-size:.8em;color:#555;text-align:center}\n"
    ".heads span{flex:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\n"
    ".ok{color:#176b3a}.bad{color:#b3261e}\n"
    "table.sortable th{cursor:pointer}\n"
    "table.metrics td.best{font-weight:bold;background:#e6f4ea}\n";

/* Page-side check used by the tests (and handy to a reader): counts the images that loaded. */
static const char *SCRIPT =
    "<script>\nwindow.addEventListener('load', function () {\n"
    "  var imgs = document.images, ok = 0;\n"
    "  for (var i = 0; i < imgs.length; i++) if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;\n"
    "  document.body.dataset.imagesLoaded = ok;\n"
    "  document.body.dataset.imagesTotal = imgs.length;\n"
    "});\n"
    /* a click on a heading of a sortable table sorts by that column (data-v: the number) */
    "document.addEventListener('click', function (e) {\n"
    "  var th = e.target.closest('table.sortable th'); if (!th) return;\n"
    "  var t = th.closest('table'), col = th.cellIndex, rows = Array.prototype.slice.call(t.rows, 1);\n"
    "  var up = th.dataset.dir !== 'up'; th.dataset.dir = up ? 'up' : 'down';\n"
    "  rows.sort(function (a, b) {\n"
    "    var x = a.cells[col], y = b.cells[col], p = x.dataset.v, q = y.dataset.v;\n"
    "    var d = p !== undefined ? parseFloat(p) - parseFloat(q) : x.textContent.localeCompare(y.textContent);\n"
    "    return up ? d : -d;\n"
    "  });\n"
    "  rows.forEach(function (r) { t.tBodies[0].appendChild(r); });\n"
    "});\n</script>\n";

void report_put_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void put_fact(FILE *f, const char *key, const char *value)
{
    fprintf(f, "<tr><th class=\"name\">%s</th><td>", key);
    report_put_escaped(f, value && value[0] ? value : "(not recorded)");
    fputs("</td></tr>\n", f);
}

static void put_facts(FILE *f, const report_page *p)
{
    const results_reader *r = p->r;
    char buf[64];
    fputs("<h2>Run</h2>\n<table class=\"facts\">\n", f);
    put_fact(f, "results file", p->results_path);
    put_fact(f, "model weights", r->weights_file);
    put_fact(f, "layer", r->layer);
    put_fact(f, "method", r->method);
    put_fact(f, "device", r->device);
    put_fact(f, "platform", r->platform);
    put_fact(f, "driver", r->driver_version);
    put_fact(f, "dataset file", p->dataset_path);
    put_fact(f, "split", r->split);
    snprintf(buf, sizeof buf, "%ld", r->n);
    put_fact(f, "images", buf);
    put_fact(f, "created", r->created);
    put_fact(f, "clcam version", r->clcam_version);
    put_fact(f, "complete", r->complete == 1 ? "yes" : r->complete == 0 ? "no: incomplete run" : "unknown");
    fputs("</table>\n", f);
}

/* With many classes: the CONFUSED_PAIRS (true, predicted) pairs of distinct classes with the
 * most images, most first (ties: by true class, then predicted class). */
static void put_confused_pairs(FILE *f, const report_page *p)
{
    const int k = p->r->classes;
    int shown = 0;
    fprintf(f, "<h3>Most confused pairs</h3>\n<p>%d classes: instead of the confusion matrix, the "
               "pairs of classes most often mistaken, most first.</p>\n<table id=\"confused\">\n"
               "<tr><th class=\"name\">true class</th><th class=\"name\">predicted as</th>"
               "<th>images</th><th>share of the true class</th></tr>\n", k);
    /* one pass per row shown: k*k per pass, CONFUSED_PAIRS passes, no allocation */
    for (long last_v = -1, last_i = -1; shown < CONFUSED_PAIRS; shown++) {
        long best_v = 0, best_i = -1;
        for (long i = 0; i < (long)k * k; i++) {
            long v = p->confusion[i];
            if (i / k == i % k || v <= 0) continue;
            /* after (last_v, last_i) in the order: count down, index up */
            if (last_i >= 0 && (v > last_v || (v == last_v && i <= last_i))) continue;
            if (v > best_v) best_v = v, best_i = i;
        }
        if (best_i < 0) break;
        long total = 0;
        int t = (int)(best_i / k), c = (int)(best_i % k);
        for (int j = 0; j < k; j++) total += p->confusion[(size_t)t * (size_t)k + (size_t)j];
        fputs("<tr><td class=\"name\">", f);
        report_put_escaped(f, p->names[t]);
        fputs("</td><td class=\"name\">", f);
        report_put_escaped(f, p->names[c]);
        fprintf(f, "</td><td>%ld</td><td>%.1f%%</td></tr>\n", best_v, 100.0 * (double)best_v / (double)total);
        last_v = best_v, last_i = best_i;
    }
    fputs("</table>\n", f);
    if (shown == 0) fputs("<p>No image was mistaken for another class.</p>\n", f);
}

static void put_accuracy(FILE *f, const report_page *p)
{
    const results_reader *r = p->r;
    const int k = r->classes;
    fputs("<h2>Accuracy</h2>\n", f);
    if (!p->confusion) {
        fputs("<p>Not available: the results file has no /label.</p>\n", f);
        return;
    }
    fprintf(f, "<p class=\"big\">Overall accuracy: <span id=\"accuracy\">%.2f%%</span> (%ld of %ld correct)</p>\n",
            100.0 * (double)p->correct / (double)r->n, p->correct, r->n);
    fputs("<h3>Per class</h3>\n<p>Click a heading to sort.</p>\n<table id=\"per-class\" class=\"sortable\">\n"
          "<tr><th class=\"name\">class</th><th>images</th><th>correct</th><th>accuracy</th>"
          "<th>predicted as this class</th></tr>\n", f);
    for (int c = 0; c < k; c++) {
        long total = 0, predicted = 0, hit = p->confusion[(size_t)c * (size_t)k + (size_t)c];
        for (int j = 0; j < k; j++) {
            total += p->confusion[(size_t)c * (size_t)k + (size_t)j];
            predicted += p->confusion[(size_t)j * (size_t)k + (size_t)c];
        }
        fputs("<tr><td class=\"name\">", f);
        report_put_escaped(f, p->names[c]);
        fprintf(f, "</td><td data-v=\"%ld\">%ld</td><td data-v=\"%ld\">%ld</td>", total, total, hit, hit);
        if (total) fprintf(f, "<td data-v=\"%.6f\">%.2f%%</td>", (double)hit / (double)total, 100.0 * (double)hit / (double)total);
        else fputs("<td data-v=\"-1\">&ndash;</td>", f);
        fprintf(f, "<td data-v=\"%ld\">%ld</td></tr>\n", predicted, predicted);
    }
    fputs("</table>\n", f);
    if (k > CONFUSION_MAX_CLASSES) {
        put_confused_pairs(f, p);
        return;
    }
    fputs("<h3>Confusion matrix</h3>\n", f);
    fputs("<p>Rows: true class. Columns: predicted class.</p>\n<table class=\"confusion\" id=\"confusion\">\n"
          "<tr><th class=\"name\">true \\ predicted</th>", f);
    for (int j = 0; j < k; j++) {
        fputs("<th>", f);
        report_put_escaped(f, p->names[j]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int c = 0; c < k; c++) {
        long total = 0;
        for (int j = 0; j < k; j++) total += p->confusion[(size_t)c * (size_t)k + (size_t)j];
        fputs("<tr><th class=\"name\">", f);
        report_put_escaped(f, p->names[c]);
        fputs("</th>", f);
        for (int j = 0; j < k; j++) {
            long v = p->confusion[(size_t)c * (size_t)k + (size_t)j];
            /* Shade by the share of the true class's images: white to blue. */
            int shade = total ? (int)(200.0 * (double)v / (double)total) : 0;
            fprintf(f, "<td%s style=\"background:rgb(%d,%d,255)\">%ld</td>", c == j ? " class=\"diag\"" : "",
                    255 - shade, 255 - shade / 2, v);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void put_grid(FILE *f, const report_page *p, const report_grid *g)
{
    const results_reader *r = p->r;
    fputs("<section class=\"grid-section\">\n<h3>", f);
    report_put_escaped(f, g->title);
    fputs("</h3>\n", f);
    if (g->n == 0) {
        fputs("<p>No images.</p>\n</section>\n", f);
        return;
    }
    fputs("<div class=\"heads\">", f);
    for (int c = 0; c < g->n_cols; c++) {
        fprintf(f, "<span style=\"width:%dpx;margin-right:%dpx\">", p->tile_w, c + 1 < g->n_cols ? p->gap : 0);
        report_put_escaped(f, g->heads[c]);
        fputs("</span>", f);
    }
    fputs("</div>\n<div class=\"grid\">\n<img src=\"", f);
    report_put_escaped(f, g->file);
    fputs("\" alt=\"", f);
    report_put_escaped(f, g->title);
    fprintf(f, "\" width=\"%d\" height=\"%d\">\n<ol>\n", g->n_cols * p->tile_w + (g->n_cols - 1) * p->gap,
            g->n * p->tile_h + (g->n - 1) * p->gap);
    for (int i = 0; i < g->n; i++) {
        long row = g->rows[i];
        int pred = r->pred[row];
        float prob = r->probs[(size_t)row * (size_t)r->classes + (size_t)pred];
        int ok = r->label && r->label[row] == pred;
        fprintf(f, "<li style=\"height:%dpx;margin-bottom:%dpx\"><span>", p->tile_h, i + 1 < g->n ? p->gap : 0);
        fputs("true <b>", f);
        report_put_escaped(f, r->label ? p->names[r->label[row]] : "unknown");
        fprintf(f, "</b>, predicted <b class=\"%s\">", r->label ? (ok ? "ok" : "bad") : "");
        report_put_escaped(f, p->names[pred]);
        fprintf(f, "</b>, p&nbsp;=&nbsp;%.3f<br><small>result row %ld, dataset row %lld</small></span></li>\n",
                (double)prob, row, (long long)r->index[row]);
    }
    fputs("</ol>\n</div>\n</section>\n", f);
}

clcam_status report_html_write(const char *path, const report_page *p, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const results_reader *r = p->r;
    char tmp[1200];
    FILE *f = NULL;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot create the page: %s", tmp, strerror(errno));
        goto exit;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>clcam report: ", f);
    report_put_escaped(f, p->results_path);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>clcam report: ", STYLE);
    report_put_escaped(f, r->method);
    fputs("</h1>\n<p>", f);
    report_put_escaped(f, p->results_path);
    fputs("</p>\n", f);
    if (r->complete == 0)
        fprintf(f, "<p class=\"warning\" id=\"incomplete\">Incomplete run: the results file is marked complete = 0 "
                   "(the run was interrupted or is still writing). Rows not yet written read as zeros and count in every figure below; "
                   "all %ld rows are shown as stored.</p>\n", r->n);
    put_facts(f, p);
    put_accuracy(f, p);
    if (p->metrics) report_metrics_html(f, p->metrics);
    fputs("<h2>Pictures</h2>\n<p>Each row: the original image, the CAM as matplotlib's jet colour map, and the "
          "overlay (0.4 heatmap + 0.6 image). Per-class grids show the first images of each class in file order; "
          "the confidence grids are ranked by the probability of the predicted class. With several methods, "
          "the first grid shows every method's overlay side by side.</p>\n", f);
    if (r->topk)
        fprintf(f, "<p>The run explained the top %d classes of each image; the pictures show the map of the "
                   "most probable class.</p>\n", r->topk);
    for (int k = 0; k < p->n_grids; k++) put_grid(f, p, &p->grids[k]);
    fprintf(f, "%s</body>\n</html>\n", SCRIPT);
    /* Write errors stick to the stream: one check covers every fputs/fprintf above. */
    if (ferror(f)) {
        st = err_set(err, CLCAM_ERR_IO, "%s: writing the page failed: %s", tmp, strerror(errno));
        goto exit;
    }
exit:
    if (f && fclose(f) != 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_IO, "%s: closing the page failed: %s", tmp, strerror(errno));
    if (f && st == CLCAM_OK && rename(tmp, path) != 0)
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
    if (f && st != CLCAM_OK) remove(tmp);
    return st;
}
