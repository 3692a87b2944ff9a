/* Batch normalisation, y = (x - mean) * gamma / sqrt(var + eps) + beta per channel.
 * Inference (eval mode): model_build folds it into the weights and bias of the convolution
 * right before it, so at run time the layer is the identity on that convolution's (already
 * normalised) output, which it aliases; it stays in the list so cam.layer can name it.
 * Training (bn_train): a layer of its own with gamma (weight), beta (bias) and the running
 * statistics, as PyTorch's BatchNorm2d: train() normalises with the batch's mean and biased
 * variance and moves the running statistics by momentum (the unbiased variance into
 * running_var); eval() (bn_eval) normalises with the running statistics.
 * Inference with no conv to fold into (bn_unfolded: after a pool, say): eval mode as a layer of
 * its own, and its backward pass dx = dy * gamma / sqrt(running_var + eps). */
#include "layer.h"

#include "../../cl/ops_layers.h"
#include "../../cl/ops_train.h"
#include "reference.h"

static clcam_status batchnorm_output_shape(layer *l, clcam_err *err)
{
    (void)err;
    l->out = l->in;
    return CLCAM_OK;
}

static clcam_status batchnorm_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int C = l->in.c, HW = l->in.h * l->in.w;
    if (!l->bn_train && !l->bn_unfolded) return layer_alias_forward(ctx, l, in, batch, err);
    if (l->bn_eval || l->bn_unfolded)
        TRY(op_bn_running(ctx, l->d_bn[0], l->d_bn[1], l->d_bn[2], l->d_bn[3], C, l->eps, err));
    else
        TRY(op_bn_stats(ctx, in, l->d_bn[2], l->d_bn[3], l->d_bn[0], l->d_bn[1], batch, C, HW,
                        l->eps, l->momentum, 1, err));
    TRY(op_bn_forward(ctx, in, l->d_out, l->d_bn[2], l->d_bn[3], l->d_weight, l->d_bias, batch,
                      C, HW, err));
exit:
    return st;
}

/* The batch statistics of the last forward (train mode) are in d_bn[2], d_bn[3]. */
static clcam_status batchnorm_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                       int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int C = l->in.c, HW = l->in.h * l->in.w;
    if (l->bn_unfolded) /* d_bn[3] holds invstd from the running variance (forward) */
        return op_bn_eval_backward_data(ctx, dout, din, l->d_bn[3], l->d_weight, batch, C, HW, err);
    if (!l->bn_train) return layer_alias_backward(ctx, l, in, dout, din, batch, err);
    TRY(op_bn_backward_params(ctx, in, dout, l->d_bn[2], l->d_bn[3], l->d_bn[4], l->d_bn[5],
                              batch, C, HW, err));
    TRY(op_bn_backward_data(ctx, in, dout, din, l->d_bn[2], l->d_bn[3], l->d_weight, l->d_bn[4],
                            l->d_bn[5], batch, C, HW, err));
exit:
    return st;
}

static clcam_status batchnorm_backward_params(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout,
                                              cl_mem dweight, cl_mem dbias, int batch,
                                              clcam_err *err)
{
    if (!l->bn_train)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: batchnorm for inference (folded or not) has no "
                       "parameters to train", l->name);
    return op_bn_backward_params(ctx, in, dout, l->d_bn[2], l->d_bn[3], dweight, dbias, batch,
                                 l->in.c, l->in.h * l->in.w, err);
}

static void batchnorm_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    if (!l->bn_unfolded) {
        layer_alias_ref_forward(l, in, out, aux, batch);
        return;
    }
    ref_bn_eval_forward(in, out, l->weight, l->bias, l->running_mean, l->running_var, l->eps, batch,
                        l->in.c, l->in.h * l->in.w);
}

static void batchnorm_ref_backward(const layer *l, const float *in, const float *out,
                                   const int *aux, const float *dout, float *din, int batch)
{
    if (!l->bn_unfolded) {
        layer_alias_ref_backward(l, in, out, aux, dout, din, batch);
        return;
    }
    ref_bn_eval_backward(dout, din, l->weight, l->running_var, l->eps, batch, l->in.c,
                         l->in.h * l->in.w);
}

const layer_ops layer_batchnorm_ops = {
    .kind_name = "batchnorm",
    .aliases_input = 1,
    .output_shape = batchnorm_output_shape,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
    .backward_params = batchnorm_backward_params,
    .ref_forward = batchnorm_ref_forward,
    .ref_backward = batchnorm_ref_backward,
};
