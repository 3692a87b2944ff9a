/* clip (torch.clamp, ReLU6 = clip 0..6): its backward pass follows torch.nn.Hardtanh and ReLU6,
 * the gradient passing where clip_min < x < clip_max (torch.clamp's own backward also passes
 * it at x == clip_min or clip_max exactly; exported models use ReLU6 and Hardtanh). */
#include "layer.h"

#include "../../cl/ops_layers.h"
#include "reference.h"

static clcam_status clip_output_shape(layer *l, clcam_err *err)
{
    if (!(l->clip_min < l->clip_max))
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: clip needs min < max, got %g and %g",
                       l->name, (double)l->clip_min, (double)l->clip_max);
    l->out = l->in;
    return CLCAM_OK;
}

static clcam_status clip_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    return op_clip_forward(ctx, in, l->d_out, l->clip_min, l->clip_max,
                           batch * layer_shape_size(l->out), err);
}

static clcam_status clip_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                  int batch, clcam_err *err)
{
    (void)in;
    return op_clip_backward(ctx, l->d_out, dout, din, l->clip_min, l->clip_max,
                            batch * layer_shape_size(l->out), err);
}

static void clip_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    (void)aux;
    ref_clip_forward(in, out, l->clip_min, l->clip_max, batch * layer_shape_size(l->out));
}

static void clip_ref_backward(const layer *l, const float *in, const float *out, const int *aux,
                              const float *dout, float *din, int batch)
{
    (void)out, (void)aux;
    ref_clip_backward(in, dout, din, l->clip_min, l->clip_max, batch * layer_shape_size(l->out));
}

const layer_ops layer_clip_ops = {
    .kind_name = "clip",
    .output_shape = clip_output_shape,
    .forward = clip_forward,
    .backward = clip_backward,
    .ref_forward = clip_ref_forward,
    .ref_backward = clip_ref_backward,
};
