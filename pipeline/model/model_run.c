/* The forward pass in layer order and the backward pass in reverse, over the graph. */
#include "model.h"

#include <string.h>

#include "../../cl/ops.h"

/* Points layer l's in_bufs (and a conv's d_residual) at the outputs it reads. */
static void model_bind_inputs(model *m, layer *l, cl_mem input)
{
    for (int k = 0; k < l->n_inputs; k++)
        l->in_bufs[k] = l->inputs[k] < 0 ? input : m->layers[l->inputs[k]].d_out;
    l->d_residual = l->residual_in ? m->layers[l->residual_in - 1].d_out : NULL;
}

clcam_status model_forward(cl_ctx *ctx, model *m, cl_mem input, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        model_bind_inputs(m, l, input);
        TRY(LAYER_OPS[l->kind]->forward(ctx, l, l->in_bufs[0], batch, err));
    }
exit:
    return st;
}

clcam_status model_backward_to(cl_ctx *ctx, model *m, int t, cl_mem dlogits, int batch,
                               cl_mem *grad, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int n = m->n_layers, from[MODEL_MAX_LAYERS], written[MODEL_MAX_LAYERS] = {0};
    *grad = NULL;
    if (t < 0 || t >= n || (m->cam_t >= 0 && t != m->cam_t) || m->train) {
        st = err_set(err, CLCAM_ERR_USAGE, "model: backward pass to layer %d, but the buffers "
                     "were planned for %s", t, m->train ? "training" : "the CAM layer");
        goto exit;
    }
    for (int i = 0; i < n; i++) {
        from[i] = i == t;
        for (int k = 0; i > t && k < m->layers[i].n_inputs; k++)
            if (m->layers[i].inputs[k] >= 0 && from[m->layers[i].inputs[k]]) from[i] = 1;
    }
    written[n - 1] = 1;
    for (int i = n - 1; i > t; i--) {
        layer *l = &m->layers[i];
        cl_mem dout = i == n - 1 ? dlogits : m->d_tgrad[i];
        if (!from[i] || !written[i]) continue; /* not between t and the logits */
        model_bind_inputs(m, l, NULL);
        for (int k = 0; k < l->n_inputs; k++) {
            int j = l->inputs[k];
            if (j < 0 || !from[j]) continue;
            l->bwd_slot = k;
            /* The first contribution writes the gradient, later ones are added to it. */
            TRY(LAYER_OPS[l->kind]->backward(ctx, l, l->in_bufs[0], dout,
                                             written[j] ? m->d_scratch : m->d_tgrad[j], batch, err));
            if (written[j])
                TRY(op_add_inplace(ctx, m->d_tgrad[j], m->d_scratch,
                                   batch * layer_shape_size(m->layers[j].out), err));
            written[j] = 1;
        }
        l->bwd_slot = 0;
    }
    *grad = t == n - 1 ? dlogits : m->d_tgrad[t];
    if (!written[t]) st = err_set(err, CLCAM_ERR_USAGE, "model: no gradient reaches layer %s",
                                  m->layers[t].name);
exit:
    return st;
}
