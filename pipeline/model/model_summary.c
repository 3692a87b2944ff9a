#include "model_summary.h"

#include <string.h>

long model_layer_params(const model *m, int i)
{
    const layer *l = &m->layers[i];
    return (long)l->n_weight + l->n_bias;
}

double model_layer_flops(const model *m, int i)
{
    const layer *l = &m->layers[i];
    double out = (double)layer_shape_size(l->out);
    switch (l->kind) {
    case LAYER_CONV: /* each output reads in.c / groups channels (depthwise: one) */
        return out * (2.0 * (l->in.c / (l->groups > 1 ? l->groups : 1)) * l->kernel * l->kernel + 1.0);
    case LAYER_LINEAR: return out * (2.0 * l->in.c * l->in.h * l->in.w + 1.0);
    case LAYER_MAXPOOL:
    case LAYER_AVGPOOL:
        return l->global_pool ? (double)layer_shape_size(l->in) : out * l->kernel * l->kernel;
    case LAYER_FLATTEN:
    case LAYER_DROPOUT: return 0.0;
    default: return out;
    }
}

void model_summary_print(FILE *out, const model *m, int cam, int auto_cam)
{
    long params = 0;
    double flops = 0.0;
    int wn = 28, wt = 0; /* name and tensor columns: as wide as the names (ONNX's are long) */
    for (int i = 0; i < m->n_layers; i++) {
        if ((int)strlen(m->layers[i].name) > wn) wn = (int)strlen(m->layers[i].name);
        if ((int)strlen(m->layers[i].tensor) > wt) wt = (int)strlen(m->layers[i].tensor);
    }
    /* a file that names tensors apart from nodes (ONNX) gets a column for them: cam.layer
     * takes either, and Netron shows the tensor names */
    if (wt > 0 && wt < 6) wt = 6;
    fprintf(out, "%-4s %-*s %-*s%s%-10s %-16s %12s %12s\n", "#", wn, "layer (cam.layer name)", wt,
            wt ? "tensor" : "", wt ? " " : "", "op", "output", "params", "MFLOPs");
    fprintf(out, "%-4s %-*s %-*s%s%-10s %3d x %3d x %-6d %12s %12s\n", "", wn, "(input)", wt, "",
            wt ? " " : "", "", m->input.c, m->input.h, m->input.w, "", "");
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = &m->layers[i];
        long p = model_layer_params(m, i);
        double f = model_layer_flops(m, i);
        params += p;
        flops += f;
        fprintf(out, "%-4d %-*s %-*s%s%-10s %3d x %3d x %-6d %12ld %12.3f%s%s\n", i, wn, l->name,
                wt, wt ? (l->tensor[0] ? l->tensor : "-") : "", wt ? " " : "",
                LAYER_OPS[l->kind]->kind_name, l->out.c, l->out.h, l->out.w, p, f / 1e6,
                i == cam ? "  <- cam.layer" : "", i == auto_cam ? "  <- auto" : "");
    }
    fprintf(out, "total: %ld parameters, %.3f MFLOPs per image (forward)\n", params, flops / 1e6);
}
