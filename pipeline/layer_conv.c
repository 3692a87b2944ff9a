/* 2-D convolution (cross-correlation, square kernel) as a CLBlast convgemm plus a bias kernel. */
#include "layer.h"

#include "../cl/blas.h"
#include "../cl/ops.h"
#include "reference.h"

static clcam_status conv_output_shape(layer *l, clcam_err *err)
{
    int oh = (l->in.h + 2 * l->pad - l->kernel) / l->stride + 1;
    int ow = (l->in.w + 2 * l->pad - l->kernel) / l->stride + 1;
    if (l->kernel < 1 || l->stride < 1 || l->pad < 0 || l->in.h + 2 * l->pad < l->kernel ||
        l->in.w + 2 * l->pad < l->kernel)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %dx%d convolution (stride %d, pad %d) "
                       "does not fit its %dx%d input", l->name, l->kernel, l->kernel, l->stride,
                       l->pad, l->in.h, l->in.w);
    l->out = (layer_shape){l->out_features, oh, ow};
    return CLCAM_OK;
}

static clcam_status conv_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(blas_conv2d(ctx, (size_t)batch, l->in.c, l->in.h, l->in.w, l->out.c, l->kernel, l->pad,
                    l->stride, in, l->d_weight, l->d_out, err));
    TRY(op_bias_add(ctx, l->d_out, l->d_bias, batch, l->out.c, l->out.h * l->out.w, err));
exit:
    return st;
}

static void conv_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    (void)aux;
    ref_conv2d(in, l->weight, l->bias, out, batch, l->in.c, l->in.h, l->in.w, l->out.c,
               l->kernel, l->pad, l->stride);
}

const layer_ops layer_conv_ops = {
    .kind_name = "conv",
    .output_shape = conv_output_shape,
    .forward = conv_forward,
    .backward = NULL, /* backward-data through a convolution: GEMM + col2im, not yet */
    .ref_forward = conv_ref_forward,
    .ref_backward = NULL,
};
