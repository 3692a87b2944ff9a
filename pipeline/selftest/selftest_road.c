/* The selftest's ROAD case: op_metric_road (masks, CG imputation, noise) against
 * ref_metric_road's double SOR solve, in two chunks so `first` is exercised: the first by the
 * CPU devices' solver (vector lanes), the second by work-groups (CLCAM_ROAD_WG's size), so
 * both run on any device, the simulator's included. */
#include <stdlib.h>
#include <string.h>

#include "../../cl/ops_metrics.h"
#include "../metrics/reference_road.h"
#include "selftest_case.h"

typedef struct {
    float v;
    int i;
} road_ranked;

static int road_ranked_desc(const void *pa, const void *pb)
{
    const road_ranked *a = pa, *b = pb;
    if (a->v != b->v) return a->v > b->v ? -1 : 1;
    return a->i - b->i;
}

clcam_status case_road(cl_ctx *ctx, scratch *s, int v, selftest_result *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    SIZES(v);
    enum { T = 2, RANK = 1, NPCT = 3 };
    int HW = H * W, S = 2 * NPCT, copies = B * S, chunk = (copies + 1) / 2;
    const int pct[NPCT] = {0, 30, 80}; /* 0: every pixel removed, no kept neighbour: all 0 */
    operand *in = NULL, *maps = NULL, *sorted = NULL, *dpct = NULL, *index = NULL, *out = NULL,
            *work = NULL, *got = NULL, *want = NULL;
    road_ranked *rk = malloc((size_t)HW * sizeof *rk);
    char *solver = NULL; /* CLCAM_ROAD_SOLVER as it was, restored at the end */
    if (!rk) {
        st = err_set(err, CLCAM_ERR_NOMEM, "selftest: out of memory");
        goto exit;
    }
    TRY(scratch_add(ctx, s, (size_t)B * C * HW, sizeof(float), 1, &in, err));
    TRY(scratch_add(ctx, s, (size_t)B * T * HW, sizeof(float), 0, &maps, err));
    TRY(scratch_add(ctx, s, (size_t)B * HW, sizeof(float), 0, &sorted, err));
    TRY(scratch_add(ctx, s, NPCT, sizeof(int), 0, &dpct, err));
    TRY(scratch_add(ctx, s, (size_t)B, sizeof(int), 0, &index, err));
    TRY(scratch_add(ctx, s, (size_t)chunk * C * HW, sizeof(float), 0, &out, err));
    TRY(scratch_add(ctx, s, op_metric_road_scratch_bytes(chunk, C, H, W) / sizeof(float),
                    sizeof(float), 0, &work, err));
    TRY(scratch_add(ctx, s, (size_t)copies * C * HW, sizeof(float), 0, &got, err));
    TRY(scratch_add(ctx, s, (size_t)copies * C * HW, sizeof(float), 0, &want, err));
    float *m = maps->host, *srt = sorted->host;
    for (int b = 0; b < B; b++) { /* odd images: four distinct values, many ties */
        ((int *)index->host)[b] = 40 + 3 * b;
        for (int p = 0; p < T * HW; p++) {
            float u = rnd(s, 0.0f, 1.0f);
            m[(size_t)b * T * HW + p] = b % 2 ? (float)(int)(u * 4.0f) / 4.0f : u;
        }
        for (int p = 0; p < HW; p++) rk[p] = (road_ranked){m[(size_t)(b * T + RANK) * HW + p], p};
        qsort(rk, (size_t)HW, sizeof *rk, road_ranked_desc);
        for (int p = 0; p < HW; p++) srt[(size_t)b * HW + p] = rk[p].v;
    }
    for (int i = 0; i < NPCT; i++) ((int *)dpct->host)[i] = pct[i];
    TRY(cl_ctx_upload(ctx, maps->dev, m, maps->n * sizeof(float), err));
    TRY(cl_ctx_upload(ctx, sorted->dev, srt, sorted->n * sizeof(float), err));
    TRY(cl_ctx_upload(ctx, dpct->dev, dpct->host, NPCT * sizeof(int), err));
    TRY(cl_ctx_upload(ctx, index->dev, index->host, (size_t)B * sizeof(int), err));
    const char *env = getenv("CLCAM_ROAD_SOLVER");
    if (env && !(solver = strdup(env))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "selftest: out of memory");
        goto exit;
    }
    for (int first = 0; first < copies; first += chunk) {
        int count = copies - first < chunk ? copies - first : chunk;
        setenv("CLCAM_ROAD_SOLVER", first == 0 ? "lanes" : "groups", 1);
        TRY(op_metric_road(ctx, in->dev, maps->dev, T, RANK, sorted->dev, dpct->dev, NPCT, 0.01f,
                           9u, index->dev, out->dev, work->dev, C, H, W, first, count, err));
        TRY(cl_ctx_download(ctx, out->dev, (float *)got->host + (size_t)first * C * HW,
                            (size_t)count * C * HW * sizeof(float), err));
    }
    ref_metric_road(in->host, m, T, RANK, srt, pct, NPCT, 0.01f, 9u, index->host, want->host, C,
                    H, W, 0, copies);
    compare(r, got->host, want->host, (size_t)copies * C * HW, 1e-5, 1e-5);
    snprintf(r->sizes, sizeof r->sizes, "%dx%dx%dx%d, %d copies", B, C, H, W, copies);
exit:
    if (solver) setenv("CLCAM_ROAD_SOLVER", solver, 1);
    else unsetenv("CLCAM_ROAD_SOLVER");
    free(solver);
    free(rk);
    return st;
}
