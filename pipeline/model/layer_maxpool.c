/* Max-pooling (floor mode) that keeps its argmax for the backward pass; with padding (pad > 0,
 * padded positions -inf, as PyTorch) through the maxpool_pad kernels. */
#include "layer.h"

#include "../../cl/ops.h"
#include "../../cl/ops_layers.h"
#include "reference.h"

static clcam_status maxpool_output_shape(layer *l, clcam_err *err)
{
    if (l->pad < 0 || 2 * l->pad > l->kernel)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %dx%d max-pool takes padding 0..%d, got %d "
                       "(as PyTorch: at most half the kernel)", l->name, l->kernel, l->kernel,
                       l->kernel / 2, l->pad);
    if (l->kernel < 1 || l->stride < 1 || l->in.h + 2 * l->pad < l->kernel ||
        l->in.w + 2 * l->pad < l->kernel)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %dx%d max-pool (stride %d, padding %d) "
                       "does not fit its %dx%d input", l->name, l->kernel, l->kernel, l->stride,
                       l->pad, l->in.h, l->in.w);
    l->out = (layer_shape){l->in.c, pool_out_size_pad(l->in.h, l->kernel, l->stride, l->pad),
                           pool_out_size_pad(l->in.w, l->kernel, l->stride, l->pad)};
    return CLCAM_OK;
}

static clcam_status maxpool_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    if (l->pad > 0) /* model.c fuses no ReLU into a padded max-pool */
        return op_maxpool_pad_forward(ctx, in, l->d_out, l->d_aux, batch * l->in.c, l->in.h,
                                      l->in.w, l->kernel, l->stride, l->pad, err);
    if (l->fuse_relu) /* in is the skipped ReLU's input (layer.h) */
        return op_maxpool_relu_forward(ctx, in, l->d_out, l->d_aux, batch * l->in.c, l->in.h,
                                       l->in.w, l->kernel, l->stride, err);
    return op_maxpool_forward(ctx, in, l->d_out, l->d_aux, batch * l->in.c, l->in.h, l->in.w,
                              l->kernel, l->stride, err);
}

static clcam_status maxpool_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                     int batch, clcam_err *err)
{
    (void)in;
    if (l->pad > 0)
        return op_maxpool_pad_backward(ctx, dout, l->d_aux, din, batch * l->in.c, l->in.h,
                                       l->in.w, l->kernel, l->stride, l->pad, err);
    return op_maxpool_backward(ctx, dout, l->d_aux, din, batch * l->in.c, l->in.h, l->in.w,
                               l->kernel, l->stride, err);
}

static void maxpool_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    if (l->pad > 0) {
        ref_maxpool_pad_forward(in, out, aux, batch * l->in.c, l->in.h, l->in.w, l->kernel,
                                l->stride, l->pad);
        return;
    }
    ref_maxpool_forward(in, out, aux, batch * l->in.c, l->in.h, l->in.w, l->kernel, l->stride);
}

static void maxpool_ref_backward(const layer *l, const float *in, const float *out,
                                 const int *aux, const float *dout, float *din, int batch)
{
    (void)in;
    (void)out;
    if (l->pad > 0) {
        ref_maxpool_pad_backward(dout, aux, din, batch * l->in.c, l->in.h, l->in.w, l->kernel,
                                 l->stride, l->pad);
        return;
    }
    ref_maxpool_backward(dout, aux, din, batch * l->in.c, l->in.h, l->in.w, l->kernel, l->stride);
}

const layer_ops layer_maxpool_ops = {
    .kind_name = "maxpool",
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .keeps_argmax = 1,
    .output_shape = maxpool_output_shape,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
    .ref_forward = maxpool_ref_forward,
    .ref_backward = maxpool_ref_backward,
};
