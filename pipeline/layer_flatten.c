/* Flatten: NCHW memory is already PyTorch's (channel, row, column) order, so the output
 * aliases the input and only the shape changes. */
#include "layer.h"

#include <string.h>

static clcam_status flatten_output_shape(layer *l, clcam_err *err)
{
    (void)err;
    l->out = (layer_shape){layer_shape_size(l->in), 1, 1};
    return CLCAM_OK;
}

static clcam_status flatten_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    (void)ctx, (void)l, (void)in, (void)batch, (void)err;
    return CLCAM_OK;
}

static clcam_status flatten_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                     int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t bytes = sizeof(float) * (size_t)batch * layer_shape_size(l->out);
    (void)in;
    CL_TRY(clEnqueueCopyBuffer(ctx->queue, dout, din, 0, 0, bytes, 0, NULL, NULL));
    TRY(cl_ctx_after_enqueue(ctx, "flatten backward copy", err));
exit:
    return st;
}

static void flatten_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    (void)aux;
    memmove(out, in, sizeof(float) * (size_t)batch * layer_shape_size(l->out));
}

static void flatten_ref_backward(const layer *l, const float *in, const float *out,
                                 const int *aux, const float *dout, float *din, int batch)
{
    (void)in, (void)out, (void)aux;
    memmove(din, dout, sizeof(float) * (size_t)batch * layer_shape_size(l->out));
}

const layer_ops layer_flatten_ops = {
    .kind_name = "flatten",
    .aliases_input = 1,
    .output_shape = flatten_output_shape,
    .forward = flatten_forward,
    .backward = flatten_backward,
    .ref_forward = flatten_ref_forward,
    .ref_backward = flatten_ref_backward,
};
