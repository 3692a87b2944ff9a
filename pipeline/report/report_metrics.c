#include "report_metrics.h"

#include "report_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* +1: higher is more faithful; -1: lower is. */
static int direction(const char *metric)
{
    static const char *const lower[] = {"confidence_drop", "deletion", "road_morf"};
    for (size_t i = 0; i < sizeof lower / sizeof *lower; i++)
        if (strcmp(metric, lower[i]) == 0) return -1;
    return 1;
}

static const char *describe(const char *metric)
{
    static const struct { const char *name, *what; } d[] = {
        {"confidence_drop", "Average Drop %: max(0, Y - O) / Y x 100, O the probability on the input times the map"},
        {"confidence_increase", "% Increase in Confidence: images with O > Y"},
        {"deletion", "area under the probability as the most relevant pixels are deleted"},
        {"insertion", "area under the probability as the most relevant pixels are inserted into a blurred copy"},
        {"road_morf", "ROAD, most relevant first: probability change after imputing them"},
        {"road_lerf", "ROAD, least relevant first"},
        {"road_combined", "ROAD combined: mean (LeRF - MoRF) / 2"},
    };
    for (size_t i = 0; i < sizeof d / sizeof *d; i++)
        if (strcmp(metric, d[i].name) == 0) return d[i].what;
    return "";
}

/* Percent for the two confidence metrics, as the Grad-CAM++ paper reports them. */
static double shown(const char *metric, double v)
{
    return strncmp(metric, "confidence_", 11) == 0 ? 100.0 * v : v;
}

static const metrics_summary *sort_s;
static int sort_k;

static int by_first_metric(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b, dir = direction(sort_s->metrics[sort_k]);
    double p = sort_s->mean[x][sort_k], q = sort_s->mean[y][sort_k];
    if (p != q) return (dir > 0 ? p > q : p < q) ? -1 : 1;
    return x - y;
}

static void put_table(FILE *f, const metrics_summary *s)
{
    int order[METRICS_READ_MAX_METHODS] = {0}, best[METRICS_READ_MAX_METRICS] = {0};
    for (int m = 0; m < s->n_methods; m++) order[m] = m;
    sort_s = s;
    sort_k = 0;
    qsort(order, (size_t)s->n_methods, sizeof *order, by_first_metric);
    for (int k = 0; k < s->n_metrics; k++) {
        best[k] = 0;
        for (int m = 1; m < s->n_methods; m++) {
            double v = s->mean[m][k], b = s->mean[best[k]][k];
            if (direction(s->metrics[k]) > 0 ? v > b : v < b) best[k] = m;
        }
    }
    fputs("<table class=\"sortable metrics\" id=\"metrics-table\">\n<thead><tr><th class=\"name\">method</th>", f);
    for (int k = 0; k < s->n_metrics; k++)
        fprintf(f, "<th title=\"%s\">%s %s</th>", describe(s->metrics[k]), s->metrics[k],
                direction(s->metrics[k]) > 0 ? "&uarr;" : "&darr;");
    fputs("</tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < s->n_methods; i++) {
        int m = order[i];
        fputs("<tr><td class=\"name\">", f);
        report_put_escaped(f, s->methods[m]);
        fputs("</td>", f);
        for (int k = 0; k < s->n_metrics; k++) {
            double v = shown(s->metrics[k], s->mean[m][k]);
            double half = shown(s->metrics[k], (s->ci95[m][k][1] - s->ci95[m][k][0]) / 2);
            int pct = strncmp(s->metrics[k], "confidence_", 11) == 0;
            fprintf(f, pct ? "<td data-v=\"%.9g\"%s>%.2f <small>&plusmn;%.2f</small>%s</td>"
                           : "<td data-v=\"%.9g\"%s>%.4f <small>&plusmn;%.4f</small>%s</td>",
                    v, best[k] == m ? " class=\"best\"" : "", v, isfinite(half) ? half : 0.0,
                    best[k] == m ? " &#9733;" : "");
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* One panel of the plot: curve c of every method, x and y in [0, 1]. */
static void put_panel(FILE *f, const metrics_summary *s, int c, int x0)
{
    static const char *const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    const int w = 300, h = 200, top = 30, left = x0 + 40;
    fprintf(f, "<text x=\"%d\" y=\"18\" font-weight=\"bold\">%s</text>\n", left, c ? "insertion" : "deletion");
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n", left, top, w, h);
    for (int t = 0; t <= 4; t++) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%.2f</text>\n", left - 4,
                top + h - t * h / 4 + 3, t / 4.0);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.2f</text>\n",
                left + t * w / 4, top + h + 14, t / 4.0);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">share of pixels %s</text>\n",
            left + w / 2, top + h + 30, c ? "inserted" : "deleted");
    for (int m = 0; m < s->n_methods; m++) {
        fputs("<polyline class=\"curve\" data-method=\"", f);
        report_put_escaped(f, s->methods[m]);
        fprintf(f, "\" fill=\"none\" stroke-width=\"2\" stroke=\"%s\" points=\"", colours[m % 10]);
        for (int p = 0; p < s->points; p++) {
            double v = s->curve[m][c][p];
            if (!isfinite(v)) v = 0;
            fprintf(f, "%.1f,%.1f ", left + (double)w * p / (s->points - 1), top + h - h * v);
        }
        fputs("\"/>\n", f);
    }
}

void report_metrics_html(FILE *f, const metrics_summary *s)
{
    static const char *const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    if (s->n_metrics == 0) return;
    fputs("<h2 id=\"faithfulness\">Faithfulness</h2>\n<p>Mean over the images with a 95% interval of the "
          "mean; &uarr; higher is more faithful, &darr; lower; &#9733; the best method of each column. "
          "The two confidence metrics are in percent. A method that does not beat the <code>random</code> "
          "and <code>sobel</code> baselines is not explaining the model. Click a heading to sort.</p>\n", f);
    put_table(f, s);
    if (s->points < 2 || (!s->has_curve[0] && !s->has_curve[1])) return;
    fputs("<h3>Mean deletion and insertion curves</h3>\n<p>The target's softmax probability as the "
          "map's most relevant pixels are deleted (lower is better) or inserted into a blurred copy "
          "(higher is better).</p>\n", f);
    fprintf(f, "<svg id=\"metrics-curves\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n", 760, 296 + 16 * ((s->n_methods + 3) / 4));
    for (int c = 0; c < 2; c++)
        if (s->has_curve[c]) put_panel(f, s, c, c * 380);
    for (int m = 0; m < s->n_methods; m++) {
        int x = 40 + (m % 4) * 180, y = 294 + 16 * (m / 4); /* below the axes' labels */
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>"
                   "<text x=\"%d\" y=\"%d\">", x, y - 4, x + 20, y - 4, colours[m % 10], x + 26, y);
        report_put_escaped(f, s->methods[m]);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}
