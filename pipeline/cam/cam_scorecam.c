/* Score-CAM (Wang et al. 2020, as pytorch-grad-cam's ScoreCAM): each channel A_k upsampled
 * to the input size (bilinear, align_corners=True), scaled to [0, 1] by its min and max
 * ((x - min) / (max - min + 1e-8)), multiplies the preprocessed input; the network runs on the
 * K masked copies of every image; w_k = softmax over k of the target's logit;
 * raw = ReLU(sum_k w_k A_k).
 *
 * The masked forward passes overwrite every activation of the model, A included, so the
 * stage runs this method after all others (reruns_forward) and ranks in order: rank 0 copies
 * A, runs the batch * K masked images through model_forward in chunks of the model's
 * max_batch and keeps all their logits; every rank then only picks its target's logits.
 * Masked image q is image q / K times mask q % K. */
#include <stdlib.h>

#include "../../cl/ops.h"
#include "cam_method.h"
#include "../model/reference.h"

typedef struct {
    int max_batch, K, hw;
    cl_mem A;       /* [max_batch, K, hw] copy of the activations */
    cl_mem mm;      /* [max_batch * K, 2] min and max of each upsampled channel */
    cl_mem weights; /* [max_batch, K] */
    cl_mem masked;  /* [model max_batch, C, H, W], allocated on first use */
    cl_mem logits;  /* [max_batch * K, classes], allocated on first use */
} scorecam_state;

static void scorecam_free(void *state)
{
    scorecam_state *s = state;
    if (!s) return;
    if (s->A) clReleaseMemObject(s->A);
    if (s->mm) clReleaseMemObject(s->mm);
    if (s->weights) clReleaseMemObject(s->weights);
    if (s->masked) clReleaseMemObject(s->masked);
    if (s->logits) clReleaseMemObject(s->logits);
    free(s);
}

static clcam_status scorecam_init(cl_ctx *ctx, void **state, int max_batch, int K, int h, int w,
                                  clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t b = (size_t)max_batch, k = (size_t)K;
    scorecam_state *s = calloc(1, sizeof *s);
    if (!s) return err_set(err, CLCAM_ERR_NOMEM, "out of memory");
    *state = s;
    s->max_batch = max_batch;
    s->K = K;
    s->hw = h * w;
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * k * h * w, &s->A, "scorecam activations", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * k * 2, &s->mm, "scorecam min/max", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * k, &s->weights, "scorecam weights", err));
exit:
    return st;
}

/* The masked forward passes for the whole batch: logits of every masked image. */
static clcam_status scorecam_scores(cl_ctx *ctx, scorecam_state *s, const cam_inputs *in,
                                    clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    model *m = in->m;
    layer_shape x = m->input;
    cl_mem out = m->layers[m->n_layers - 1].d_out;
    size_t px = (size_t)layer_shape_size(x), row = sizeof(float) * m->classes;
    int total = in->batch * in->K;
    if (!s->masked)
        TRY(cl_ctx_alloc(ctx, sizeof(float) * m->max_batch * px, &s->masked, "scorecam masked input", err));
    if (!s->logits)
        TRY(cl_ctx_alloc(ctx, row * s->max_batch * s->K, &s->logits, "scorecam logits", err));
    CL_TRY(clEnqueueCopyBuffer(ctx->queue, in->A, s->A, 0, 0, sizeof(float) * (size_t)total * s->hw, 0, NULL, NULL));
    TRY(op_scorecam_minmax(ctx, s->A, s->mm, in->batch, in->K, in->h, in->w, x.h, x.w, err));
    for (int first = 0; first < total; first += m->max_batch) {
        int count = total - first < m->max_batch ? total - first : m->max_batch;
        TRY(op_scorecam_mask_input(ctx, in->input, s->A, s->mm, s->masked, x.c, in->K, in->h, in->w,
                                   x.h, x.w, first, count, err));
        TRY(model_forward(ctx, m, s->masked, count, err));
        CL_TRY(clEnqueueCopyBuffer(ctx->queue, out, s->logits, 0, row * first, row * count, 0, NULL, NULL));
    }
exit:
    return st;
}

static clcam_status scorecam_raw(cl_ctx *ctx, void *state, const cam_inputs *in, cl_mem raw,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    scorecam_state *s = state;
    if (!in->m || !in->input) {
        st = err_set(err, CLCAM_ERR_USAGE, "scorecam: no model or input given");
        goto exit;
    }
    if (in->rank == 0) TRY(scorecam_scores(ctx, s, in, err));
    TRY(op_scorecam_weights(ctx, s->logits, in->targets, s->weights, in->batch, in->K,
                            in->m->classes, in->T, in->rank, err));
    TRY(op_cam_weighted_relu(ctx, s->A, s->weights, raw, in->batch, in->K, s->hw, err));
exit:
    return st;
}

static void scorecam_ref(const cam_ref_inputs *in, float *raw)
{
    size_t K = (size_t)in->K, px = (size_t)in->C * in->H * in->W;
    float *mm = malloc(sizeof(float) * in->batch * K * 2), *masked = malloc(sizeof(float) * K * px);
    float *logits = malloc(sizeof(float) * in->batch * K * in->classes);
    float *w = malloc(sizeof(float) * in->batch * K);
    if (!mm || !masked || !logits || !w) goto exit;
    ref_scorecam_minmax(in->A, mm, in->batch, in->K, in->h, in->w, in->H, in->W);
    for (int b = 0; b < in->batch; b++) {
        ref_scorecam_mask_input(in->input, in->A, mm, masked, in->C, in->K, in->h, in->w, in->H,
                                in->W, b * in->K, in->K);
        in->forward(in->fctx, masked, in->K, logits + (size_t)b * K * in->classes);
    }
    ref_scorecam_weights(logits, in->target, w, in->batch, in->K, in->classes, 1, 0);
    ref_cam_weighted_relu(in->A, w, raw, in->batch, in->K, in->h * in->w);
exit:
    free(mm), free(masked), free(logits), free(w);
}

const cam_method_ops cam_scorecam_ops = {
    .name = "scorecam",
    .needs_grad = 0,
    .reruns_forward = 1,
    .init = scorecam_init,
    .free = scorecam_free,
    .raw = scorecam_raw,
    .ref_raw = scorecam_ref,
};
