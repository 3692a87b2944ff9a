#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "../cl/ops.h"
#include "../cl/profile.h"

clcam_status explain_out_alloc(explain_out *o, int batch, const explainer *e, clcam_err *err)
{
    const cam_stage *c = &e->cam;
    size_t b = (size_t)batch, T = (size_t)c->T, classes = (size_t)e->m->classes;
    int ok = 1;
    memset(o, 0, sizeof *o);
    o->logits = malloc(sizeof(float) * b * classes);
    o->probs = malloc(sizeof(float) * b * classes);
    o->pred = malloc(sizeof(int32_t) * b);
    o->target = malloc(sizeof(int32_t) * b * T);
    for (int m = 0; m < c->n_methods; m++) {
        o->cam_raw[m] = malloc(sizeof(float) * b * T * c->raw_h[m] * c->raw_w[m]);
        o->cam[m] = malloc(sizeof(float) * b * T * c->H * c->W);
        ok &= o->cam_raw[m] && o->cam[m];
    }
    if (e->metrics.enabled) {
        o->metric_scores = malloc(sizeof(float) * metric_stage_scores(&e->metrics, batch));
        ok &= o->metric_scores != NULL;
    }
    if (!ok || !o->logits || !o->probs || !o->pred || !o->target)
        return err_set(err, CLCAM_ERR_NOMEM, "out of memory for the results of a batch of %d images", batch);
    return CLCAM_OK;
}

void explain_out_free(explain_out *o)
{
    free(o->logits);
    free(o->probs);
    free(o->pred);
    free(o->target);
    free(o->metric_scores);
    for (int m = 0; m < CAM_STAGE_MAX_METHODS; m++) {
        free(o->cam_raw[m]);
        free(o->cam[m]);
    }
    memset(o, 0, sizeof *o);
}

clcam_status explainer_init(cl_ctx *ctx, explainer *e, model *m, int cam_layer,
                            const explain_params *p, int max_batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t b = (size_t)max_batch, px = (size_t)layer_shape_size(m->input);
    float mean_std[6];
    memset(e, 0, sizeof *e);
    if (m->layers[cam_layer].kind == LAYER_RELU && m->layers[cam_layer].fuse_relu)
        return err_set(err, CLCAM_ERR_LIMIT, "explainer: layer %s is fused and has no output of its "
                       "own (model_check_cam_layer must run before model_upload)", m->layers[cam_layer].name);
    e->m = m;
    e->cam_layer = cam_layer;
    e->p = *p;
    e->max_batch = max_batch;
    memcpy(mean_std, p->mean, sizeof p->mean);
    memcpy(mean_std + 3, p->std, sizeof p->std);
    TRY(cl_ctx_alloc(ctx, b * px, &e->d_images, "images", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * px, &e->d_input, "network input", err));
    TRY(cl_ctx_alloc(ctx, sizeof mean_std, &e->d_mean_std, "mean/std", err));
    TRY(cl_ctx_upload(ctx, e->d_mean_std, mean_std, sizeof mean_std, err));
    TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * b, &e->d_labels, "labels", err));
    TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * b, &e->d_index, "dataset rows", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * m->classes, &e->d_probs, "probs", err));
    TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * b, &e->d_pred, "pred", err));
    TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * b * p->T, &e->d_targets, "targets", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * m->classes, &e->d_dlogits, "one-hot", err));
    TRY(cam_stage_init(ctx, &e->cam, p->methods, p->n_methods, p->T, m->layers[cam_layer].out,
                       m->input.h, m->input.w, max_batch, err));
    TRY(metric_stage_init(ctx, &e->metrics, &p->metrics, m, p->n_methods, p->T, max_batch, err));
exit:
    if (st != CLCAM_OK) explainer_free(e);
    return st;
}

/* Non-blocking read into dst; *ev becomes its event (the previous one is released). */
static clcam_status read_async(cl_ctx *ctx, cl_mem src, void *dst, size_t bytes, cl_event *ev,
                               clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (*ev) clReleaseEvent(*ev);
    *ev = NULL;
    CL_TRY(clEnqueueReadBuffer(ctx->queue, src, CL_FALSE, 0, bytes, dst, 0, NULL, ev));
    cl_event *slot = cl_profile_slot(ctx, "read results");
    if (slot && clRetainEvent(*ev) == CL_SUCCESS) *slot = *ev;
exit:
    return st;
}

clcam_status explainer_enqueue(cl_ctx *ctx, explainer *e, const uint8_t *images,
                               const int32_t *labels, const int32_t *rows, int batch,
                               const explain_out *out, cl_event *done, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    model *m = e->m;
    cam_stage *c = &e->cam;
    layer_shape in = m->input, a = m->layers[e->cam_layer].out;
    size_t b = (size_t)batch, C = (size_t)m->classes, T = (size_t)e->p.T;
    size_t HW = (size_t)c->H * c->W;
    cl_mem logits = m->layers[m->n_layers - 1].d_out, grad = NULL;
    cl_event ev = NULL;
    *done = NULL;
    if (batch < 1 || batch > e->max_batch) {
        st = err_set(err, CLCAM_ERR_LIMIT, "explainer: batch %d outside 1..%d", batch, e->max_batch);
        goto exit;
    }
    ctx->stage = "upload";
    CL_TRY(clEnqueueWriteBuffer(ctx->queue, e->d_images, CL_FALSE, 0, b * layer_shape_size(in), images, 0,
                                NULL, cl_profile_slot(ctx, "write images")));
    if (labels && e->p.target_mode == 1)
        CL_TRY(clEnqueueWriteBuffer(ctx->queue, e->d_labels, CL_FALSE, 0, sizeof(int32_t) * b, labels, 0,
                                    NULL, cl_profile_slot(ctx, "write labels")));
    CL_TRY(clEnqueueWriteBuffer(ctx->queue, e->d_index, CL_FALSE, 0, sizeof(int32_t) * b, rows, 0,
                                NULL, cl_profile_slot(ctx, "write rows")));
    ctx->stage = "forward";
    TRY(op_preprocess(ctx, e->d_images, e->d_input, e->d_mean_std, e->p.scale, batch, in.c, in.h * in.w, err));
    TRY(model_forward(ctx, m, e->d_input, batch, err));
    TRY(op_softmax(ctx, logits, e->d_probs, batch, m->classes, err));
    TRY(op_select_targets(ctx, logits, e->d_labels, e->d_pred, e->d_targets, batch, m->classes,
                          e->p.target_mode, e->p.target_class, e->p.T, err));
    /* The results of the forward pass come back first: Score-CAM reruns the network. The
     * queue is in order, so the last read's event is the batch's. */
    ctx->stage = "download";
    TRY(read_async(ctx, logits, out->logits, sizeof(float) * b * C, &ev, err));
    TRY(read_async(ctx, e->d_probs, out->probs, sizeof(float) * b * C, &ev, err));
    TRY(read_async(ctx, e->d_pred, out->pred, sizeof(int32_t) * b, &ev, err));
    TRY(read_async(ctx, e->d_targets, out->target, sizeof(int32_t) * b * T, &ev, err));
    for (int rank = 0; rank < e->p.T; rank++) {
        cam_inputs ci = {.A = m->layers[e->cam_layer].d_out, .targets = e->d_targets, .T = e->p.T,
                         .rank = rank, .batch = batch, .K = a.c, .h = a.h, .w = a.w,
                         .m = m, .input = e->d_input, .images = e->d_images,
                         .index = e->d_index, .seed = e->p.seed, .C = in.c, .H = in.h, .W = in.w};
        if (c->needs_grad) {
            ctx->stage = "backward";
            TRY(op_onehot_rank(ctx, e->d_targets, e->d_dlogits, batch, m->classes, e->p.T, rank, err));
            TRY(model_backward_to(ctx, m, e->cam_layer, e->d_dlogits, batch, &grad, err));
            ci.G = grad;
        }
        ctx->stage = "cam";
        TRY(cam_stage_run(ctx, c, &ci, 0, err));
    }
    /* Methods that rerun the forward pass last, ranks in order; no backward after them. */
    for (int rank = 0; c->reruns_forward && rank < e->p.T; rank++) {
        cam_inputs ci = {.A = m->layers[e->cam_layer].d_out, .targets = e->d_targets, .T = e->p.T,
                         .rank = rank, .batch = batch, .K = a.c, .h = a.h, .w = a.w,
                         .m = m, .input = e->d_input, .images = e->d_images,
                         .index = e->d_index, .seed = e->p.seed, .C = in.c, .H = in.h, .W = in.w};
        ctx->stage = "scorecam";
        TRY(cam_stage_run(ctx, c, &ci, 1, err));
    }
    if (e->metrics.enabled) {
        metric_inputs mi = {.m = m, .input = e->d_input, .targets = e->d_targets, .index = e->d_index,
                            .mean_std = e->d_mean_std, .batch = batch};
        ctx->stage = "metrics";
        TRY(metric_stage_run(ctx, &e->metrics, c, &mi, err));
        ctx->stage = "download";
        TRY(read_async(ctx, e->metrics.d_scores, out->metric_scores,
                       sizeof(float) * metric_stage_scores(&e->metrics, batch), &ev, err));
    }
    ctx->stage = "download";
    for (int i = 0; i < c->n_methods; i++) {
        size_t raw = (size_t)c->raw_h[i] * c->raw_w[i];
        TRY(read_async(ctx, c->d_raw[i], out->cam_raw[i], sizeof(float) * b * T * raw, &ev, err));
        TRY(read_async(ctx, c->d_cam[i], out->cam[i], sizeof(float) * b * T * HW, &ev, err));
    }
    ctx->stage = NULL;
    CL_TRY(clFlush(ctx->queue));
    *done = ev;
    ev = NULL;
exit:
    if (ev) clReleaseEvent(ev);
    return st;
}

void explainer_free(explainer *e)
{
    cl_mem *bufs[] = {&e->d_images, &e->d_input, &e->d_mean_std, &e->d_labels, &e->d_probs,
                      &e->d_pred, &e->d_targets, &e->d_dlogits, &e->d_index};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        if (*bufs[i]) clReleaseMemObject(*bufs[i]);
        *bufs[i] = NULL;
    }
    cam_stage_free(&e->cam);
    metric_stage_free(&e->metrics);
}
