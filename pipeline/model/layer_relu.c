/* ReLU; its backward pass masks with the forward output (the input when fused, layer.h). */
#include "layer.h"

#include "../../cl/ops.h"
#include "reference.h"

static clcam_status relu_output_shape(layer *l, clcam_err *err)
{
    (void)err;
    l->out = l->in;
    return CLCAM_OK;
}

static clcam_status relu_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    /* the max-pool after it or the conv or add before it applies it (layer.h) */
    if (l->fuse_relu || l->relu_in_source) return CLCAM_OK;
    return op_relu_forward(ctx, in, l->d_out, batch * layer_shape_size(l->out), err);
}

static clcam_status relu_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                  int batch, clcam_err *err)
{
    /* Fused into a max-pool, the output was never written: mask with in > 0, the same mask as
     * out > 0 (relu_forward maps NaN to 0, and NaN > 0 is false). Fused into its source, in
     * is the output. */
    cl_mem mask = l->fuse_relu || l->relu_in_source ? in : l->d_out;
    return op_relu_backward(ctx, mask, dout, din, batch * layer_shape_size(l->out), err);
}

static void relu_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    (void)aux;
    ref_relu_forward(in, out, batch * layer_shape_size(l->out));
}

static void relu_ref_backward(const layer *l, const float *in, const float *out, const int *aux,
                              const float *dout, float *din, int batch)
{
    (void)in;
    (void)aux;
    ref_relu_backward(out, dout, din, batch * layer_shape_size(l->out));
}

const layer_ops layer_relu_ops = {
    .kind_name = "relu",
    .bwd_no_in = 1,
    .output_shape = relu_output_shape,
    .forward = relu_forward,
    .backward = relu_backward,
    .ref_forward = relu_ref_forward,
    .ref_backward = relu_ref_backward,
};
