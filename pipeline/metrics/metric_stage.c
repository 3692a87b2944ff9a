#include "metric_stage.h"

#include <math.h>
#include <string.h>

#include "../../cl/ops_metrics.h"

/* On a CPU device the copies go through the network in parts of METRIC_PART images rather
 * than the model's whole batch, so a part's activations stay in the caches from one layer to
 * the next (SimpleCNN's conv1 output for 256 images is 33 MB; for 32, 4 MB). Each image's
 * pass is its own, so the scores do not depend on the part. GPUs keep whole batches. */
#define METRIC_PART 32

clcam_status metric_stage_init(cl_ctx *ctx, metric_stage *s, const metric_params *p, model *m,
                               int n_methods, int T, int max_batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    layer_shape x = m->input;
    size_t b = (size_t)max_batch, hw = (size_t)x.h * x.w, px = (size_t)layer_shape_size(x);
    memset(s, 0, sizeof *s);
    s->p = *p;
    metric_layout_make(p, &s->l);
    s->enabled = s->l.record > 0;
    if (!s->enabled) return CLCAM_OK;
    s->max_batch = max_batch;
    s->n_methods = n_methods;
    s->T = T;
    s->C = x.c;
    s->H = x.h;
    s->W = x.w;
    /* RISE blurs 224x224 inputs with sigma 5: the same share of the image at other sizes. */
    s->sigma = 5.0f * (float)(x.h < x.w ? x.h : x.w) / 224.0f;
    if (s->l.on[FAMILY_MULT] && p->space == 1 && x.c != 3) {
        st = err_set(err, CLCAM_ERR_INPUT, "cam.confidence_space: image needs 3 channels, the "
                     "model takes %d", x.c);
        goto exit;
    }
    if (s->l.on[FAMILY_DELETION] || s->l.on[FAMILY_INSERTION] || s->l.on[FAMILY_ROAD]) {
        size_t scratch = op_metric_order_scratch_bytes(max_batch, (int)hw);
        TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * b * hw, &s->d_rank, "metrics: pixel ranks", err));
        TRY(cl_ctx_alloc(ctx, sizeof(float) * b * hw, &s->d_sorted, "metrics: sorted maps", err));
        if (scratch)
            TRY(cl_ctx_alloc(ctx, scratch, &s->d_order_scratch, "metrics: sort scratch", err));
    }
    if (s->l.on[FAMILY_INSERTION]) {
        TRY(cl_ctx_alloc(ctx, sizeof(float) * b * px, &s->d_blurred, "metrics: blurred inputs", err));
        TRY(cl_ctx_alloc(ctx, sizeof(float) * b * px, &s->d_blur_scratch, "metrics: blur scratch", err));
    }
    TRY(cl_ctx_alloc(ctx, sizeof(float) * (size_t)m->max_batch * px, &s->d_chunk,
                     "metrics: perturbed inputs", err));
    s->part = m->max_batch;
    if ((ctx->type & CL_DEVICE_TYPE_CPU) && m->max_batch > METRIC_PART) {
        s->part = METRIC_PART;
        TRY(cl_ctx_alloc(ctx, sizeof(float) * (size_t)s->part * px, &s->d_part,
                         "metrics: perturbed inputs, one pass", err));
    }
    if (s->l.on[FAMILY_ROAD]) {
        size_t scratch = op_metric_road_scratch_bytes(m->max_batch, x.c, x.h, x.w);
        if (scratch)
            TRY(cl_ctx_alloc(ctx, scratch, &s->d_road_scratch, "metrics: ROAD solver", err));
        TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * (size_t)p->n_pct, &s->d_pct, "metrics: percentiles", err));
        TRY(cl_ctx_upload(ctx, s->d_pct, p->pct, sizeof(int32_t) * (size_t)p->n_pct, err));
    }
    for (int f = 0; f < FAMILY_COUNT; f++)
        if (s->l.on[f])
            TRY(cl_ctx_alloc(ctx, sizeof(float) * b * (size_t)s->l.copies[f], &s->d_family[f],
                             "metrics: scores", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * metric_stage_scores(s, max_batch), &s->d_scores,
                     "metrics: all scores", err));
exit:
    if (st != CLCAM_OK) metric_stage_free(s);
    return st;
}

size_t metric_stage_scores(const metric_stage *s, int batch)
{
    return (size_t)s->n_methods * (size_t)s->T * (size_t)batch * (size_t)s->l.record;
}

/* Copies first .. first + count - 1 of family f for one map into s->d_chunk. */
static clcam_status family_perturb(cl_ctx *ctx, metric_stage *s, metric_family f, cl_mem maps,
                                   int rank_t, const metric_inputs *in, int first, int count,
                                   clcam_err *err)
{
    int hw = s->H * s->W;
    switch (f) {
    case FAMILY_MULT:
        return op_metric_mult(ctx, in->input, maps, s->T, rank_t, in->mean_std, s->p.space,
                              s->d_chunk, s->C, hw, first, count, err);
    case FAMILY_DELETION:
        return op_metric_steps(ctx, in->input, NULL, s->d_rank, 0, s->p.steps, s->d_chunk, s->C, hw,
                               first, count, err);
    case FAMILY_INSERTION:
        return op_metric_steps(ctx, in->input, s->d_blurred, s->d_rank, 1, s->p.steps, s->d_chunk,
                               s->C, hw, first, count, err);
    case FAMILY_ROAD:
        return op_metric_road(ctx, in->input, maps, s->T, rank_t, s->d_sorted, s->d_pct, s->p.n_pct,
                              s->p.noise, s->p.seed, in->index, s->d_chunk, s->d_road_scratch, s->C,
                              s->H, s->W, first, count, err);
    default:
        return err_set(err, CLCAM_ERR_LIMIT, "metrics: no family %d", (int)f);
    }
}

/* Every copy of family f for one map, made in chunks of the model's batch and through the
 * network in parts of s->part; the scores go to the family's buffer, then to their place in
 * d_scores. */
static clcam_status family_run(cl_ctx *ctx, metric_stage *s, metric_family f, cl_mem maps,
                               int method, int rank_t, const metric_inputs *in, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    model *m = in->m;
    cl_mem logits = m->layers[m->n_layers - 1].d_out;
    int S = s->l.copies[f], total = in->batch * S;
    size_t base = ((size_t)method * s->T + (size_t)rank_t) * (size_t)in->batch * s->l.record +
                  (size_t)in->batch * s->l.off[f];
    for (int first = 0; first < total; first += m->max_batch) {
        int count = total - first < m->max_batch ? total - first : m->max_batch;
        TRY(family_perturb(ctx, s, f, maps, rank_t, in, first, count, err));
        for (int p0 = 0; p0 < count; p0 += s->part) {
            int n = count - p0 < s->part ? count - p0 : s->part;
            cl_mem x = s->d_chunk;
            if (s->d_part) {
                size_t img = sizeof(float) * (size_t)s->C * (size_t)s->H * (size_t)s->W;
                CL_TRY(clEnqueueCopyBuffer(ctx->queue, s->d_chunk, s->d_part, img * (size_t)p0, 0,
                                           img * (size_t)n, 0, NULL, NULL));
                x = s->d_part;
            }
            TRY(model_forward(ctx, m, x, n, err));
            TRY(op_metric_score(ctx, logits, in->targets, s->T, rank_t, m->classes, S,
                                s->d_family[f], first + p0, n, err));
        }
    }
    CL_TRY(clEnqueueCopyBuffer(ctx->queue, s->d_family[f], s->d_scores, 0, sizeof(float) * base,
                               sizeof(float) * (size_t)total, 0, NULL, NULL));
exit:
    return st;
}

clcam_status metric_stage_run(cl_ctx *ctx, metric_stage *s, const cam_stage *c,
                              const metric_inputs *in, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int hw = s->H * s->W;
    if (!s->enabled) return CLCAM_OK;
    if (in->batch < 1 || in->batch > s->max_batch) {
        st = err_set(err, CLCAM_ERR_LIMIT, "metrics: batch %d outside 1..%d", in->batch, s->max_batch);
        goto exit;
    }
    if (s->l.on[FAMILY_INSERTION])
        TRY(op_metric_blur(ctx, in->input, s->d_blurred, s->d_blur_scratch, in->batch, s->C, s->H,
                           s->W, s->sigma, err));
    for (int method = 0; method < s->n_methods; method++)
        for (int r = 0; r < s->T; r++) {
            cl_mem maps = c->d_cam[method];
            if (s->d_rank)
                TRY(op_metric_order(ctx, maps, s->T, r, s->d_rank, s->d_sorted, s->d_order_scratch,
                                    in->batch, hw, err));
            for (int f = 0; f < FAMILY_COUNT; f++)
                if (s->l.on[f]) TRY(family_run(ctx, s, (metric_family)f, maps, method, r, in, err));
        }
exit:
    return st;
}

void metric_stage_free(metric_stage *s)
{
    cl_mem *bufs[] = {&s->d_rank,  &s->d_sorted,         &s->d_order_scratch, &s->d_blurred,
                      &s->d_blur_scratch, &s->d_chunk,   &s->d_road_scratch,  &s->d_pct,
                      &s->d_scores,       &s->d_part};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        if (*bufs[i]) clReleaseMemObject(*bufs[i]);
        *bufs[i] = NULL;
    }
    for (int f = 0; f < FAMILY_COUNT; f++) {
        if (s->d_family[f]) clReleaseMemObject(s->d_family[f]);
        s->d_family[f] = NULL;
    }
    s->enabled = 0;
}
