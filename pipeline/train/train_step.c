#include "train_step.h"

#include <stdlib.h>
#include <string.h>

#include "../../cl/ops.h"
#include "../../cl/ops_train.h"

static int has_params(const layer *l)
{
    return LAYER_OPS[l->kind]->backward_params != NULL;
}

/* PyTorch's model.train() (batch statistics) or model.eval() (running ones) for batchnorm. */
static void set_bn_eval(model *m, int eval)
{
    for (int i = 0; i < m->n_layers; i++) m->layers[i].bn_eval = eval;
}

clcam_status trainer_init(cl_ctx *ctx, trainer *t, model *m, int max_batch, float scale,
                          const float mean[3], const float std[3], float *const *mom_w, float *const *mom_b,
                          clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t b = (size_t)max_batch, px = (size_t)layer_shape_size(m->input), C = (size_t)m->classes;
    float mean_std[6];
    memset(t, 0, sizeof *t);
    t->m = m;
    t->max_batch = max_batch;
    t->scale = scale;
    memcpy(mean_std, mean, 3 * sizeof *mean);
    memcpy(mean_std + 3, std, 3 * sizeof *std);
    TRY(cl_ctx_alloc(ctx, b * px, &t->d_raw, "images", err));
    TRY(cl_ctx_alloc(ctx, b * px, &t->d_aug, "augmented images", err));
    TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * b, &t->d_index, "image rows", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * px, &t->d_input, "network input", err));
    TRY(cl_ctx_alloc(ctx, sizeof mean_std, &t->d_mean_std, "mean/std", err));
    TRY(cl_ctx_upload(ctx, t->d_mean_std, mean_std, sizeof mean_std, err));
    TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * b, &t->d_labels, "labels", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b * C, &t->d_dlogits, "dlogits", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * b, &t->d_loss, "loss", err));
    TRY(cl_ctx_alloc(ctx, sizeof(int32_t) * b, &t->d_correct, "correct", err));
    if (!(t->loss = malloc(sizeof(float) * b)) || !(t->correct = malloc(sizeof(int32_t) * b))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "out of memory for a batch of %d", max_batch);
        goto exit;
    }
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        char what[96];
        if (!has_params(l)) continue;
        snprintf(what, sizeof what, "%s gradients", l->name);
        TRY(cl_ctx_alloc(ctx, sizeof(float) * l->n_weight, &t->d_dw[i], what, err));
        TRY(cl_ctx_alloc(ctx, sizeof(float) * l->n_bias, &t->d_db[i], what, err));
        snprintf(what, sizeof what, "%s momentum", l->name);
        TRY(cl_ctx_alloc(ctx, sizeof(float) * l->n_weight, &t->d_mw[i], what, err));
        TRY(cl_ctx_alloc(ctx, sizeof(float) * l->n_bias, &t->d_mb[i], what, err));
        TRY(cl_ctx_upload(ctx, t->d_mw[i], mom_w[i], sizeof(float) * l->n_weight, err));
        TRY(cl_ctx_upload(ctx, t->d_mb[i], mom_b[i], sizeof(float) * l->n_bias, err));
    }
exit:
    if (st != CLCAM_OK) trainer_free(t);
    return st;
}

void trainer_free(trainer *t)
{
    cl_mem *bufs[] = {&t->d_raw, &t->d_aug, &t->d_index, &t->d_input, &t->d_mean_std,
                      &t->d_labels, &t->d_dlogits, &t->d_loss, &t->d_correct};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        if (*bufs[i]) clReleaseMemObject(*bufs[i]);
        *bufs[i] = NULL;
    }
    for (int i = 0; i < MODEL_MAX_LAYERS; i++) {
        cl_mem *p[] = {&t->d_dw[i], &t->d_db[i], &t->d_mw[i], &t->d_mb[i]};
        for (int j = 0; j < 4; j++) {
            if (*p[j]) clReleaseMemObject(*p[j]);
            *p[j] = NULL;
        }
    }
    free(t->loss);
    free(t->correct);
    t->loss = NULL;
    t->correct = NULL;
}

/* Uploads a batch, optionally augments it, and preprocesses it into d_input. */
static clcam_status trainer_input(cl_ctx *ctx, trainer *t, const uint8_t *images,
                                  const int32_t *labels, const int32_t *index, int batch,
                                  const train_step_params *p, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    layer_shape in = t->m->input;
    size_t px = (size_t)layer_shape_size(in);
    cl_mem src = t->d_raw;
    ctx->stage = "upload";
    TRY(cl_ctx_upload(ctx, t->d_raw, images, px * (size_t)batch, err));
    TRY(cl_ctx_upload(ctx, t->d_labels, labels, sizeof(int32_t) * (size_t)batch, err));
    if (p && (p->crop_pad > 0 || p->flip)) {
        TRY(cl_ctx_upload(ctx, t->d_index, index, sizeof(int32_t) * (size_t)batch, err));
        ctx->stage = "augment";
        TRY(op_augment(ctx, t->d_raw, t->d_aug, t->d_index, p->seed, p->epoch, batch, in.h, in.w,
                       in.c, p->crop_pad, p->flip, err));
        src = t->d_aug;
    }
    ctx->stage = "preprocess";
    TRY(op_preprocess(ctx, src, t->d_input, t->d_mean_std, t->scale, batch, in.c,
                      in.h * in.w, err));
exit:
    return st;
}

/* Loss head, then per-image loss and correct flags downloaded and summed in image order. */
static clcam_status trainer_head(cl_ctx *ctx, trainer *t, int batch, double *loss_sum,
                                 long *correct, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    model *m = t->m;
    ctx->stage = "loss";
    TRY(op_softmax_xent(ctx, m->layers[m->n_layers - 1].d_out, t->d_labels, t->d_dlogits,
                        t->d_loss, t->d_correct, batch, m->classes, err));
    ctx->stage = "download";
    TRY(cl_ctx_download(ctx, t->d_loss, t->loss, sizeof(float) * (size_t)batch, err));
    TRY(cl_ctx_download(ctx, t->d_correct, t->correct, sizeof(int32_t) * (size_t)batch, err));
    for (int i = 0; i < batch; i++) {
        if (loss_sum) *loss_sum += t->loss[i];
        *correct += t->correct[i];
    }
exit:
    return st;
}

clcam_status trainer_step(cl_ctx *ctx, trainer *t, const uint8_t *images, const int32_t *labels,
                          const int32_t *index, int batch, const train_step_params *p,
                          double *loss_sum, long *correct, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    model *m = t->m;
    cl_mem dout;
    int g = 0;
    TRY(trainer_input(ctx, t, images, labels, index, batch, p, err));
    set_bn_eval(m, 0);
    ctx->stage = "forward";
    TRY(model_forward(ctx, m, t->d_input, batch, err));
    TRY(trainer_head(ctx, t, batch, loss_sum, correct, err));
    /* Backward from the mean loss: parameter gradients at each layer, then the gradient of its
     * input (not needed for the first layer). */
    dout = t->d_dlogits;
    for (int i = m->n_layers - 1; i >= 0; i--) {
        layer *l = &m->layers[i];
        const layer_ops *ops = LAYER_OPS[l->kind];
        cl_mem in = i ? m->layers[i - 1].d_out : t->d_input;
        ctx->stage = "weight-grad";
        if (ops->backward_params)
            TRY(ops->backward_params(ctx, l, in, dout, t->d_dw[i], t->d_db[i], batch, err));
        if (i == 0) break;
        ctx->stage = "backward";
        TRY(ops->backward(ctx, l, in, dout, m->d_grad[g], batch, err));
        dout = m->d_grad[g];
        g ^= 1;
    }
    ctx->stage = "sgd";
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        if (!has_params(l)) continue;
        TRY(op_sgd_step(ctx, l->d_weight, t->d_dw[i], t->d_mw[i], p->lr, p->momentum,
                        p->weight_decay, p->nesterov, l->n_weight, err));
        if (!l->no_bias)
            TRY(op_sgd_step(ctx, l->d_bias, t->d_db[i], t->d_mb[i], p->lr, p->momentum,
                            p->weight_decay, p->nesterov, l->n_bias, err));
    }
exit:
    ctx->stage = NULL;
    return st;
}

clcam_status trainer_eval(cl_ctx *ctx, trainer *t, const uint8_t *images, const int32_t *labels,
                          int batch, long *correct, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(trainer_input(ctx, t, images, labels, NULL, batch, NULL, err));
    ctx->stage = "eval";
    set_bn_eval(t->m, 1);
    st = model_forward(ctx, t->m, t->d_input, batch, err);
    set_bn_eval(t->m, 0);
    if (st != CLCAM_OK) goto exit;
    TRY(trainer_head(ctx, t, batch, NULL, correct, err));
exit:
    ctx->stage = NULL;
    return st;
}

clcam_status trainer_download(cl_ctx *ctx, trainer *t, float **mom_w, float **mom_b,
                              clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    model *m = t->m;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        if (!has_params(l)) continue;
        TRY(cl_ctx_download(ctx, l->d_weight, l->weight, sizeof(float) * l->n_weight, err));
        TRY(cl_ctx_download(ctx, l->d_bias, l->bias, sizeof(float) * l->n_bias, err));
        TRY(cl_ctx_download(ctx, t->d_mw[i], mom_w[i], sizeof(float) * l->n_weight, err));
        TRY(cl_ctx_download(ctx, t->d_mb[i], mom_b[i], sizeof(float) * l->n_bias, err));
        if (l->bn_train) {
            TRY(cl_ctx_download(ctx, l->d_bn[0], l->running_mean, sizeof(float) * l->n_weight, err));
            TRY(cl_ctx_download(ctx, l->d_bn[1], l->running_var, sizeof(float) * l->n_weight, err));
        }
    }
exit:
    return st;
}
