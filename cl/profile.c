#include "profile.h"

#include <stdlib.h>
#include <string.h>

enum { PENDING = 256, ENTRIES = 96 };

struct cl_profile {
    cl_event ev[PENDING];
    int entry_of[PENDING];
    int n_pending;
    struct { char stage[16]; char name[48]; double s; long calls; } e[ENTRIES];
    int n;
};

cl_profile *cl_profile_new(void) { return calloc(1, sizeof(cl_profile)); }

static int entry(cl_profile *p, const char *stage, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->e[i].stage, stage) == 0 && strcmp(p->e[i].name, name) == 0) return i;
    if (p->n == ENTRIES) return ENTRIES - 1; /* the last row gathers the overflow */
    snprintf(p->e[p->n].stage, sizeof p->e[p->n].stage, "%s", stage);
    snprintf(p->e[p->n].name, sizeof p->e[p->n].name, "%s", p->n == ENTRIES - 1 ? "(others)" : name);
    return p->n++;
}

static void fold(cl_profile *p)
{
    if (p->n_pending) clWaitForEvents((cl_uint)p->n_pending, p->ev);
    for (int i = 0; i < p->n_pending; i++) {
        cl_ulong t0 = 0, t1 = 0;
        if (clGetEventProfilingInfo(p->ev[i], CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) == CL_SUCCESS &&
            clGetEventProfilingInfo(p->ev[i], CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) == CL_SUCCESS &&
            t1 >= t0) {
            p->e[p->entry_of[i]].s += (double)(t1 - t0) * 1e-9;
            p->e[p->entry_of[i]].calls++;
        }
        clReleaseEvent(p->ev[i]);
    }
    p->n_pending = 0;
}

cl_event *cl_profile_slot(cl_ctx *ctx, const char *name)
{
    cl_profile *p = ctx->prof;
    if (!p) return NULL;
    if (p->n_pending == PENDING) fold(p);
    p->entry_of[p->n_pending] = entry(p, ctx->stage ? ctx->stage : "other", name);
    p->ev[p->n_pending] = NULL;
    return &p->ev[p->n_pending++];
}

/* After an enqueue that failed, its slot holds no event: drop it. */
static void drop_empty(cl_profile *p)
{
    int j = 0;
    for (int i = 0; i < p->n_pending; i++)
        if (p->ev[i]) p->ev[j] = p->ev[i], p->entry_of[j++] = p->entry_of[i];
    p->n_pending = j;
}

double cl_profile_seconds(cl_ctx *ctx, const char *stage)
{
    cl_profile *p = ctx->prof;
    double s = 0;
    if (!p) return 0;
    drop_empty(p);
    fold(p);
    for (int i = 0; i < p->n; i++)
        if (!stage || strcmp(p->e[i].stage, stage) == 0) s += p->e[i].s;
    return s;
}

static int by_time(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

void cl_profile_report(cl_ctx *ctx, FILE *out)
{
    cl_profile *p = ctx->prof;
    double total = cl_profile_seconds(ctx, NULL), rows[ENTRIES][2];
    if (!p || total <= 0) return;
    fprintf(out, "device time %.3f s by stage:", total);
    /* Stages in the order they first ran (run: upload, forward, ...; train: augment, ...). */
    for (int i = 0; i < p->n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = strcmp(p->e[j].stage, p->e[i].stage) == 0;
        if (seen) continue;
        double t = cl_profile_seconds(ctx, p->e[i].stage);
        if (t > 0) fprintf(out, " %s %.3f s (%.0f%%)", p->e[i].stage, t, 100 * t / total);
    }
    fprintf(out, "\nslowest kernels and copies:\n");
    for (int i = 0; i < p->n; i++) rows[i][0] = p->e[i].s, rows[i][1] = i;
    qsort(rows, (size_t)p->n, sizeof rows[0], by_time);
    for (int r = 0; r < p->n && r < 12; r++) {
        int i = (int)rows[r][1];
        fprintf(out, "  %-11s %-28s %9.3f s %5.1f%% %8ld calls\n", p->e[i].stage, p->e[i].name, p->e[i].s,
                100 * p->e[i].s / total, p->e[i].calls);
    }
}

void cl_profile_free(cl_ctx *ctx)
{
    if (!ctx->prof) return;
    drop_empty(ctx->prof);
    fold(ctx->prof);
    free(ctx->prof);
    ctx->prof = NULL;
}
