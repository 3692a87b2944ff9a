/* 2-D convolution (cross-correlation, square kernel) through cl/conv.c; grouped (groups > 1,
 * depthwise included) through the direct kernels of cl/kernels/conv_grouped.cl. */
#include "layer.h"

#include "../../cl/conv.h"
#include "../../cl/ops.h"
#include "../../cl/ops_layers.h"
#include "../../cl/ops_train.h"
#include "reference.h"
#include "../train/reference_train.h"

static clcam_status conv_output_shape(layer *l, clcam_err *err)
{
    int g = l->groups > 1 ? l->groups : 1;
    if (l->kernel < 1 || l->stride < 1 || l->pad < 0 || l->in.h + 2 * l->pad < l->kernel ||
        l->in.w + 2 * l->pad < l->kernel)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %dx%d convolution (stride %d, pad %d) "
                       "does not fit its %dx%d input", l->name, l->kernel, l->kernel, l->stride,
                       l->pad, l->in.h, l->in.w);
    if (l->in.c % g != 0 || l->out_features % g != 0)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: groups %d must divide its %d input and %d "
                       "output channels", l->name, g, l->in.c, l->out_features);
    l->out = (layer_shape){l->out_features, (l->in.h + 2 * l->pad - l->kernel) / l->stride + 1,
                           (l->in.w + 2 * l->pad - l->kernel) / l->stride + 1};
    return CLCAM_OK;
}

/* The layer's convolution for a batch, as cl/conv.h takes it. */
static conv_shape conv_layer_shape(const layer *l, int batch)
{
    return (conv_shape){batch, l->in.c, l->in.h, l->in.w, l->out.c, l->kernel, l->pad, l->stride,
                        l->out.h, l->out.w};
}

static clcam_status conv_forward_layer(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    conv_shape s = conv_layer_shape(l, batch);
    conv_method method;
    if (l->groups > 1) {
        TRY(op_conv_grouped_forward(ctx, in, l->d_weight, l->d_bias, l->d_out, batch, l->in.c,
                                    l->in.h, l->in.w, l->out.c, l->groups, l->kernel, l->pad,
                                    l->stride, l->out.h, l->out.w, err));
        if (l->relu_out) /* the skipped ReLU after it (layer.h) */
            TRY(op_relu_forward(ctx, l->d_out, l->d_out, batch * layer_shape_size(l->out), err));
        goto exit;
    }
    method = conv_method_for(ctx, &s);
    TRY(conv_forward_fused(ctx, method, &s, in, l->d_weight, l->d_wpacked, l->d_bias, l->d_residual,
                           l->relu_out, l->d_out, err));
exit:
    return st;
}

/* A model built for inference prepares the weights of a layer that goes direct or Winograd
 * once, at upload, so no batch pays for it (layer.h, d_wpacked). */
static clcam_status conv_prepare(cl_ctx *ctx, layer *l, clcam_err *err)
{
    conv_shape s = conv_layer_shape(l, 1);
    if (!l->weights_fixed || l->groups > 1 || !l->d_weight) return CLCAM_OK;
    return conv_prepare_weights(ctx, conv_method_for(ctx, &s), &s, l->d_weight, &l->d_wpacked, err);
}

static clcam_status conv_backward_layer(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                        int batch, clcam_err *err)
{
    conv_shape s = conv_layer_shape(l, batch);
    (void)in;
    if (l->groups > 1)
        return op_conv_grouped_backward_data(ctx, dout, l->d_weight, din, batch, l->in.c, l->in.h,
                                             l->in.w, l->out.c, l->groups, l->kernel, l->pad,
                                             l->stride, l->out.h, l->out.w, err);
    return conv_backward_data(ctx, &s, dout, l->d_weight, din, err);
}

static clcam_status conv_backward_params(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout,
                                         cl_mem dweight, cl_mem dbias, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    conv_shape s = conv_layer_shape(l, batch);
    if (l->groups > 1) {
        st = err_set(err, CLCAM_ERR_INPUT, "layer %s: training a grouped convolution (groups %d) "
                     "is not supported", l->name, l->groups);
        goto exit;
    }
    TRY(conv_backward_weight(ctx, &s, in, dout, dweight, err));
    TRY(op_bias_grad(ctx, dout, dbias, batch, l->out.c, l->out.h * l->out.w, err));
exit:
    return st;
}

static void conv_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    (void)aux;
    if (l->groups > 1) {
        ref_conv2d_grouped(in, l->weight, l->bias, out, batch, l->in.c, l->in.h, l->in.w, l->out.c,
                           l->groups, l->kernel, l->pad, l->stride);
        return;
    }
    ref_conv2d(in, l->weight, l->bias, out, batch, l->in.c, l->in.h, l->in.w, l->out.c,
               l->kernel, l->pad, l->stride);
}

static void conv_ref_backward(const layer *l, const float *in, const float *out, const int *aux,
                              const float *dout, float *din, int batch)
{
    (void)in, (void)out, (void)aux;
    if (l->groups > 1) {
        ref_conv2d_grouped_backward_data(dout, l->weight, din, batch, l->in.c, l->in.h, l->in.w,
                                         l->out.c, l->groups, l->kernel, l->pad, l->stride);
        return;
    }
    ref_conv2d_backward_data(dout, l->weight, din, batch, l->in.c, l->in.h, l->in.w, l->out.c,
                             l->kernel, l->pad, l->stride);
}

static void conv_ref_backward_params(const layer *l, const float *in, const float *dout,
                                     float *dweight, float *dbias, int batch)
{
    ref_conv2d_backward_weight(in, dout, dweight, batch, l->in.c, l->in.h, l->in.w, l->out.c,
                               l->kernel, l->pad, l->stride);
    ref_bias_grad(dout, dbias, batch, l->out.c, l->out.h * l->out.w);
}

const layer_ops layer_conv_ops = {
    .kind_name = "conv",
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .output_shape = conv_output_shape,
    .prepare = conv_prepare,
    .forward = conv_forward_layer,
    .backward = conv_backward_layer,
    .ref_forward = conv_ref_forward,
    .ref_backward = conv_ref_backward,
    .backward_params = conv_backward_params,
    .ref_backward_params = conv_ref_backward_params,
};
