#include "layer.h"

#include <stdlib.h>

const layer_ops *const LAYER_OPS[] = {
    [LAYER_CONV] = &layer_conv_ops,
    [LAYER_RELU] = &layer_relu_ops,
    [LAYER_MAXPOOL] = &layer_maxpool_ops,
    [LAYER_FLATTEN] = &layer_flatten_ops,
    [LAYER_LINEAR] = &layer_linear_ops,
};
_Static_assert(sizeof LAYER_OPS / sizeof *LAYER_OPS == LAYER_KIND_COUNT, "layer table");

clcam_status layer_upload(cl_ctx *ctx, layer *l, int max_batch, cl_mem prev_out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    const layer_ops *ops = LAYER_OPS[l->kind];
    size_t n_out = (size_t)max_batch * layer_shape_size(l->out);
    char what[64];
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
    if (ops->aliases_input) {
        CL_TRY(clRetainMemObject(prev_out));
        l->d_out = prev_out;
    } else {
        TRY(cl_ctx_alloc(ctx, sizeof(float) * n_out, &l->d_out, what, err));
    }
    if (ops->keeps_argmax) {
        snprintf(what, sizeof what, "%s argmax", l->name);
        TRY(cl_ctx_alloc(ctx, sizeof(int) * n_out, &l->d_aux, what, err));
    }
exit:
    return st;
}

void layer_free(layer *l)
{
    if (l->d_weight) clReleaseMemObject(l->d_weight);
    if (l->d_bias) clReleaseMemObject(l->d_bias);
    if (l->d_out) clReleaseMemObject(l->d_out);
    if (l->d_aux) clReleaseMemObject(l->d_aux);
    free(l->weight);
    free(l->bias);
    l->d_weight = l->d_bias = l->d_out = l->d_aux = NULL;
    l->weight = l->bias = NULL;
}
