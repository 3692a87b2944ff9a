#include "layer.h"

#include <stdlib.h>
#include <string.h>

const layer_ops *const LAYER_OPS[] = {
    [LAYER_CONV] = &layer_conv_ops,
    [LAYER_RELU] = &layer_relu_ops,
    [LAYER_MAXPOOL] = &layer_maxpool_ops,
    [LAYER_FLATTEN] = &layer_flatten_ops,
    [LAYER_LINEAR] = &layer_linear_ops,
    [LAYER_AVGPOOL] = &layer_avgpool_ops,
    [LAYER_BATCHNORM] = &layer_batchnorm_ops,
    [LAYER_DROPOUT] = &layer_dropout_ops,
    [LAYER_CLIP] = &layer_clip_ops,
    [LAYER_PAD] = &layer_pad_ops,
    [LAYER_ADD] = &layer_add_ops,
    [LAYER_CONCAT] = &layer_concat_ops,
    [LAYER_IDENTITY] = &layer_identity_ops,
};
_Static_assert(sizeof LAYER_OPS / sizeof *LAYER_OPS == LAYER_KIND_COUNT, "layer table");

clcam_status layer_alias_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    (void)ctx, (void)l, (void)in, (void)batch, (void)err;
    return CLCAM_OK;
}

clcam_status layer_alias_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                  int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t bytes = sizeof(float) * (size_t)batch * layer_shape_size(l->out);
    (void)in;
    CL_TRY(clEnqueueCopyBuffer(ctx->queue, dout, din, 0, 0, bytes, 0, NULL, NULL));
    TRY(cl_ctx_after_enqueue(ctx, "identity layer backward copy", err));
exit:
    return st;
}

void layer_alias_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    (void)aux;
    memmove(out, in, sizeof(float) * (size_t)batch * layer_shape_size(l->out));
}

void layer_alias_ref_backward(const layer *l, const float *in, const float *out, const int *aux,
                              const float *dout, float *din, int batch)
{
    (void)in, (void)out, (void)aux;
    memmove(din, dout, sizeof(float) * (size_t)batch * layer_shape_size(l->out));
}

int layer_output_aliases_input(const layer *l)
{
    /* a fused ReLU writes nothing: its output is its input, which the max-pool reads; a
     * folded pad's conv pads as it reads; a batchnorm folded into its conv is that conv's
     * output (one in training or on its own writes its own); an add done in its conv's stores
     * is that conv's output */
    return (LAYER_OPS[l->kind]->aliases_input && !l->bn_train && !l->bn_unfolded) ||
           (l->kind == LAYER_RELU && (l->fuse_relu || l->relu_in_source)) ||
           (l->kind == LAYER_PAD && l->pad_folded) || (l->kind == LAYER_ADD && l->add_in_conv);
}

int layer_alias_source(const layer *l)
{
    return l->inputs[l->kind == LAYER_ADD && l->add_in_conv ? l->alias_input : 0];
}

clcam_status layer_upload(cl_ctx *ctx, layer *l, int max_batch, cl_mem prev_out, clcam_err *err)
{
    return layer_upload_into(ctx, l, max_batch, prev_out, NULL, err);
}

clcam_status layer_upload_into(cl_ctx *ctx, layer *l, int max_batch, cl_mem prev_out,
                               cl_mem out_buf, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const layer_ops *ops = LAYER_OPS[l->kind];
    size_t n_out = (size_t)max_batch * layer_shape_size(l->out);
    char what[96];
    if (l->weight) {
        snprintf(what, sizeof what, "%s.weight", l->name);
        TRY(cl_ctx_alloc(ctx, sizeof(float) * l->n_weight, &l->d_weight, what, err));
        TRY(cl_ctx_upload(ctx, l->d_weight, l->weight, sizeof(float) * l->n_weight, err));
    }
    if (l->bias) {
        snprintf(what, sizeof what, "%s.bias", l->name);
        TRY(cl_ctx_alloc(ctx, sizeof(float) * l->n_bias, &l->d_bias, what, err));
        TRY(cl_ctx_upload(ctx, l->d_bias, l->bias, sizeof(float) * l->n_bias, err));
    }
    snprintf(what, sizeof what, "%s output", l->name);
    if (l->bn_train || l->bn_unfolded) {
        const float *init[2] = {l->running_mean, l->running_var};
        for (int i = 0; i < 6; i++) {
            snprintf(what, sizeof what, "%s batchnorm state", l->name);
            TRY(cl_ctx_alloc(ctx, sizeof(float) * l->n_weight, &l->d_bn[i], what, err));
            if (i < 2) TRY(cl_ctx_upload(ctx, l->d_bn[i], init[i], sizeof(float) * l->n_weight, err));
        }
    }
    if (layer_output_aliases_input(l)) {
        CL_TRY(clRetainMemObject(prev_out));
        l->d_out = prev_out;
    } else if (out_buf) {
        CL_TRY(clRetainMemObject(out_buf));
        l->d_out = out_buf;
    } else {
        TRY(cl_ctx_alloc(ctx, sizeof(float) * n_out, &l->d_out, what, err));
    }
    if (ops->keeps_argmax) {
        snprintf(what, sizeof what, "%s argmax", l->name);
        TRY(cl_ctx_alloc(ctx, sizeof(int) * n_out, &l->d_aux, what, err));
    }
    if (ops->prepare) TRY(ops->prepare(ctx, l, err));
exit:
    return st;
}

void layer_release_device(layer *l)
{
    if (l->d_weight) clReleaseMemObject(l->d_weight);
    if (l->d_bias) clReleaseMemObject(l->d_bias);
    if (l->d_out) clReleaseMemObject(l->d_out);
    if (l->d_aux) clReleaseMemObject(l->d_aux);
    if (l->d_wpacked) clReleaseMemObject(l->d_wpacked);
    l->d_weight = l->d_bias = l->d_out = l->d_aux = l->d_wpacked = NULL;
    for (int i = 0; i < 6; i++) {
        if (l->d_bn[i]) clReleaseMemObject(l->d_bn[i]);
        l->d_bn[i] = NULL;
    }
}

void layer_free(layer *l)
{
    layer_release_device(l);
    free(l->weight);
    free(l->bias);
    free(l->running_mean);
    free(l->running_var);
    l->weight = l->bias = l->running_mean = l->running_var = NULL;
}
