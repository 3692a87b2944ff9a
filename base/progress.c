#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_init(progress *p, const char *what, long total, int quiet)
{
    p->total = total;
    p->done = 0;
    p->t_start = p->t_last_print = progress_now();
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
    p->what = what;
}

void progress_update(progress *p, long done)
{
    double now = progress_now(), el = now - p->t_start;
    double rate = el > 0 ? done / el : 0, eta = rate > 0 ? (p->total - done) / rate : 0;
    int final = done >= p->total;
    p->done = done;
    if (p->quiet) return;
    if (p->tty) {
        if (!final && now - p->t_last_print < 0.1) return;
        int width = 30, fill = p->total ? (int)(width * done / p->total) : width;
        fprintf(stderr, "\r%s [", p->what);
        for (int i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
        fprintf(stderr, "] %ld/%ld images  %.0f img/s  ETA %.0f s  ", done, p->total, rate, eta);
    } else {
        /* Logs: a line every 10 s, and the last one. */
        if (!final && now - p->t_last_print < 10.0) return;
        fprintf(stderr, "%s: %ld/%ld images (%.1f%%), %.0f img/s, ETA %.0f s\n", p->what, done,
                p->total, p->total ? 100.0 * done / p->total : 100.0, rate, eta);
    }
    fflush(stderr);
    p->t_last_print = now;
}

void progress_end(progress *p)
{
    if (!p->quiet && p->tty) fputc('\n', stderr);
}
