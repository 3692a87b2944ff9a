/* Progress on stderr: a bar on a terminal, plain periodic lines otherwise, nothing if quiet. */
#ifndef CLCAM_PROGRESS_H
#define CLCAM_PROGRESS_H

typedef struct {
    long total, done;
    double t_start, t_last_print;
    int tty, quiet;
    const char *what;
} progress;

double progress_now(void);
void progress_init(progress *p, const char *what, long total, int quiet);
void progress_update(progress *p, long done);
/* Clears the bar line so the next message starts on a clean line. */
void progress_end(progress *p);

#endif
