/* Flatten: NCHW memory is already PyTorch's (channel, row, column) order, so the output
 * aliases the input and only the shape changes. */
#include "layer.h"

static clcam_status flatten_output_shape(layer *l, clcam_err *err)
{
    (void)err;
    l->out = (layer_shape){layer_shape_size(l->in), 1, 1};
    return CLCAM_OK;
}

const layer_ops layer_flatten_ops = {
    .kind_name = "flatten",
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .aliases_input = 1,
    .output_shape = flatten_output_shape,
    .forward = layer_alias_forward,
    .backward = layer_alias_backward,
    .ref_forward = layer_alias_ref_forward,
    .ref_backward = layer_alias_ref_backward,
};
