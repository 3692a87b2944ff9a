/* Batch normalisation in eval mode: y = (x - mean) * gamma / sqrt(var + eps) + beta per
 * channel. model_build folds it into the weights and bias of the convolution right before it,
 * so at run time the layer is the identity on that convolution's (already normalised) output,
 * which it aliases; it stays in the list so cam.layer can name it. */
#include "layer.h"

static clcam_status batchnorm_output_shape(layer *l, clcam_err *err)
{
    (void)err;
    l->out = l->in;
    return CLCAM_OK;
}

const layer_ops layer_batchnorm_ops = {
    .kind_name = "batchnorm",
    .aliases_input = 1,
    .output_shape = batchnorm_output_shape,
    .forward = layer_alias_forward,
    .backward = layer_alias_backward,
    .ref_forward = layer_alias_ref_forward,
    .ref_backward = layer_alias_ref_backward,
};
