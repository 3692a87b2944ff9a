/* Identity (torch.nn.Identity, ONNX Identity): the output aliases the input. */
#include "layer.h"

static clcam_status identity_output_shape(layer *l, clcam_err *err)
{
    (void)err;
    l->out = l->in;
    return CLCAM_OK;
}

const layer_ops layer_identity_ops = {
    .kind_name = "identity",
    .aliases_input = 1,
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .output_shape = identity_output_shape,
    .forward = layer_alias_forward,
    .backward = layer_alias_backward,
    .ref_forward = layer_alias_ref_forward,
    .ref_backward = layer_alias_ref_backward,
};
