/* Element-wise sum of two or more inputs of one shape (a residual connection). The sum runs
 * left to right, ((in0 + in1) + in2) ..., on the device and in the reference alike; each
 * input's gradient is the output's. */
#include "layer.h"

#include <string.h>

#include "../../cl/ops.h"
#include "reference.h"

static clcam_status add_output_shape(layer *l, clcam_err *err)
{
    for (int k = 1; k < l->n_inputs; k++) {
        layer_shape a = l->in_shapes[0], b = l->in_shapes[k];
        if (a.c != b.c || a.h != b.h || a.w != b.w)
            return err_set(err, CLCAM_ERR_INPUT, "layer %s: an add needs inputs of one shape, but "
                           "input 1 is %dx%dx%d and input %d is %dx%dx%d", l->name, a.c, a.h, a.w,
                           k + 1, b.c, b.h, b.w);
    }
    l->out = l->in_shapes[0];
    return CLCAM_OK;
}

static clcam_status add_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int n = batch * layer_shape_size(l->out);
    if (l->add_in_conv) return CLCAM_OK; /* its conv stored the sum (layer.h) */
    if (l->n_inputs < 2) {
        CL_TRY(clEnqueueCopyBuffer(ctx->queue, in, l->d_out, 0, 0, sizeof(float) * (size_t)n, 0,
                                   NULL, NULL));
        TRY(cl_ctx_after_enqueue(ctx, "add layer copy", err));
    }
    /* out = in0 + in1 in one pass, then += the others; the last sum ReLU'd where the ReLU
     * after the add was skipped (layer.h) */
    for (int k = 1; k < l->n_inputs; k++) {
        int relu = l->relu_out && k == l->n_inputs - 1;
        if (k == 1)
            TRY(op_add_pair(ctx, in, l->in_bufs[1], l->d_out, relu, n, err));
        else
            TRY(op_add_inplace_relu(ctx, l->d_out, l->in_bufs[k], relu, n, err));
    }
exit:
    return st;
}

static void add_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    int n = batch * layer_shape_size(l->out);
    (void)aux;
    memmove(out, in, sizeof(float) * (size_t)n);
    for (int k = 1; k < l->n_inputs; k++) ref_add_inplace(out, l->ref_in[k], n);
}

const layer_ops layer_add_ops = {
    .kind_name = "add",
    .multi_input = 1,
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .output_shape = add_output_shape,
    .forward = add_forward,
    .backward = layer_alias_backward, /* every input's gradient is dout */
    .ref_forward = add_ref_forward,
    .ref_backward = layer_alias_ref_backward,
};
