/* Concatenation of NCHW inputs along channels, in the order of inputs (torch.cat(dim=1)). */
#include "layer.h"

#include "../../cl/ops.h"
#include "reference.h"

static clcam_status concat_output_shape(layer *l, clcam_err *err)
{
    int c = 0;
    for (int k = 0; k < l->n_inputs; k++) {
        layer_shape a = l->in_shapes[0], b = l->in_shapes[k];
        if (a.h != b.h || a.w != b.w)
            return err_set(err, CLCAM_ERR_INPUT, "layer %s: a concat needs inputs of one height "
                           "and width, but input 1 is %dx%dx%d and input %d is %dx%dx%d", l->name,
                           a.c, a.h, a.w, k + 1, b.c, b.h, b.w);
        c += b.c;
    }
    l->out = (layer_shape){c, l->in_shapes[0].h, l->in_shapes[0].w};
    return CLCAM_OK;
}

/* Input k's part of an output image: size and offset, in floats. */
static void concat_part(const layer *l, int k, int *chunk, int *offset)
{
    int hw = l->out.h * l->out.w, off = 0;
    for (int j = 0; j < k; j++) off += l->in_shapes[j].c;
    *chunk = l->in_shapes[k].c * hw;
    *offset = off * hw;
}

static clcam_status concat_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int chunk, offset;
    (void)in;
    for (int k = 0; k < l->n_inputs; k++) {
        concat_part(l, k, &chunk, &offset);
        TRY(op_concat_copy(ctx, l->in_bufs[k], l->d_out, batch, chunk, layer_shape_size(l->out),
                           offset, err));
    }
exit:
    return st;
}

static clcam_status concat_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                    int batch, clcam_err *err)
{
    int chunk, offset;
    (void)in;
    concat_part(l, l->bwd_slot, &chunk, &offset);
    return op_concat_slice(ctx, dout, din, batch, chunk, layer_shape_size(l->out), offset, err);
}

static void concat_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    int chunk, offset;
    (void)in, (void)aux;
    for (int k = 0; k < l->n_inputs; k++) {
        concat_part(l, k, &chunk, &offset);
        ref_concat_copy(l->ref_in[k], out, batch, chunk, layer_shape_size(l->out), offset);
    }
}

static void concat_ref_backward(const layer *l, const float *in, const float *out, const int *aux,
                                const float *dout, float *din, int batch)
{
    int chunk, offset;
    (void)in, (void)out, (void)aux;
    concat_part(l, l->bwd_slot, &chunk, &offset);
    ref_concat_slice(dout, din, batch, chunk, layer_shape_size(l->out), offset);
}

const layer_ops layer_concat_ops = {
    .kind_name = "concat",
    .multi_input = 1,
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .output_shape = concat_output_shape,
    .forward = concat_forward,
    .backward = concat_backward,
    .ref_forward = concat_ref_forward,
    .ref_backward = concat_ref_backward,
};
