/* Dropout at inference is the identity: the output aliases the input. */
#include "layer.h"

static clcam_status dropout_output_shape(layer *l, clcam_err *err)
{
    (void)err;
    l->out = l->in;
    return CLCAM_OK;
}

const layer_ops layer_dropout_ops = {
    .kind_name = "dropout",
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .aliases_input = 1,
    .output_shape = dropout_output_shape,
    .forward = layer_alias_forward,
    .backward = layer_alias_backward,
    .ref_forward = layer_alias_ref_forward,
    .ref_backward = layer_alias_ref_backward,
};
