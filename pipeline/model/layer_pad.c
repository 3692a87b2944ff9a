/* Zero padding (PyTorch's ZeroPad2d, pads top, left, bottom, right), any amounts on each side.
 * model.c folds a symmetric pad into the padding of the conv right after it (pad_folded): the
 * layer is then the identity, aliasing its input, and the conv pads as it reads. */
#include "layer.h"

#include "../../cl/ops_layers.h"
#include "reference.h"

static clcam_status pad_output_shape(layer *l, clcam_err *err)
{
    for (int i = 0; i < 4; i++)
        if (l->pads[i] < 0)
            return err_set(err, CLCAM_ERR_INPUT, "layer %s: pads must be >= 0, got %d", l->name,
                           l->pads[i]);
    l->out = l->in;
    if (!l->pad_folded) {
        l->out.h += l->pads[0] + l->pads[2];
        l->out.w += l->pads[1] + l->pads[3];
    }
    return CLCAM_OK;
}

static clcam_status pad_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    if (l->pad_folded) return layer_alias_forward(ctx, l, in, batch, err);
    return op_pad_forward(ctx, in, l->d_out, batch * l->in.c, l->in.h, l->in.w, l->out.h, l->out.w,
                          l->pads[0], l->pads[1], err);
}

static clcam_status pad_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                 int batch, clcam_err *err)
{
    if (l->pad_folded) return layer_alias_backward(ctx, l, in, dout, din, batch, err);
    return op_pad_backward(ctx, dout, din, batch * l->in.c, l->in.h, l->in.w, l->out.h, l->out.w,
                           l->pads[0], l->pads[1], err);
}

static void pad_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    if (l->pad_folded) {
        layer_alias_ref_forward(l, in, out, aux, batch);
        return;
    }
    ref_pad_forward(in, out, batch * l->in.c, l->in.h, l->in.w, l->pads);
}

static void pad_ref_backward(const layer *l, const float *in, const float *out, const int *aux,
                             const float *dout, float *din, int batch)
{
    if (l->pad_folded) {
        layer_alias_ref_backward(l, in, out, aux, dout, din, batch);
        return;
    }
    ref_pad_backward(dout, din, batch * l->in.c, l->in.h, l->in.w, l->pads);
}

const layer_ops layer_pad_ops = {
    .kind_name = "pad",
    .output_shape = pad_output_shape,
    .forward = pad_forward,
    .backward = pad_backward,
    .ref_forward = pad_ref_forward,
    .ref_backward = pad_ref_backward,
};
