/* A model from an ONNX file: io/onnx_read's graph_desc, node by node, as layer_specs whose
 * parameters are the graph's constants. */
#include "model.h"
#include "layer_scope.h"

#include <math.h>
#include <string.h>

#include "../../io/onnx_read.h"

/* Is the pair {h, w} square (pools and convs here take one kernel, stride and padding)? */
static int onnx_square(const int *v) { return v[0] == v[1]; }
static int onnx_pads_even(const int *p) { return p[0] == p[1] && p[0] == p[2] && p[0] == p[3]; }

/* Node n as spec s: its kind, attributes and parameters; an error names the node and says what
 * clcam cannot run. */
static clcam_status onnx_node_spec(const graph_desc *g, const graph_node *n, const char *path,
                                   layer_spec *s, clcam_err *err)
{
    memset(s, 0, sizeof *s);
    s->name = n->name;
    memcpy(s->param, n->param, sizeof s->param);
    switch (n->op) {
    case GRAPH_OP_CONV:
    case GRAPH_OP_MAXPOOL:
    case GRAPH_OP_AVGPOOL:
        if (!onnx_square(n->kernel) || !onnx_square(n->stride) || !onnx_pads_even(n->pads))
            return err_set(err, CLCAM_ERR_INPUT, "%s: node %s (%s): kernel %dx%d, stride %dx%d, "
                           "pads [%d, %d, %d, %d]; clcam runs square kernels and strides with the "
                           "same padding on all sides", path, n->name, graph_op_name(n->op),
                           n->kernel[0], n->kernel[1], n->stride[0], n->stride[1], n->pads[0],
                           n->pads[1], n->pads[2], n->pads[3]);
        s->kind = n->op == GRAPH_OP_CONV ? LAYER_CONV : n->op == GRAPH_OP_MAXPOOL ? LAYER_MAXPOOL
                                                                                 : LAYER_AVGPOOL;
        s->kernel = n->kernel[0];
        s->stride = n->stride[0];
        s->pad = n->pads[0];
        s->groups = n->op == GRAPH_OP_CONV && n->group > 1 ? n->group : 1;
        s->no_bias = n->op == GRAPH_OP_CONV && n->param[GRAPH_PARAM_BIAS] < 0;
        s->exclude_pad = n->op == GRAPH_OP_AVGPOOL && !n->count_include_pad;
        break;
    case GRAPH_OP_BATCHNORM:
        s->kind = LAYER_BATCHNORM;
        s->eps = n->epsilon > 0 ? n->epsilon : 1e-5f;
        break;
    case GRAPH_OP_RELU: s->kind = LAYER_RELU; break;
    case GRAPH_OP_CLIP:
        s->kind = LAYER_CLIP;
        s->has_min = isfinite(n->clip_min);
        s->has_max = isfinite(n->clip_max);
        s->clip_min = n->clip_min;
        s->clip_max = n->clip_max;
        break;
    case GRAPH_OP_ADD: s->kind = n->n_inputs >= 2 ? LAYER_ADD : LAYER_IDENTITY; break;
    case GRAPH_OP_CONCAT:
        if (n->axis != 1)
            return err_set(err, CLCAM_ERR_INPUT, "%s: node %s (concat) joins axis %d; clcam joins "
                           "channels (axis 1) only", path, n->name, n->axis);
        s->kind = n->n_inputs >= 2 ? LAYER_CONCAT : LAYER_IDENTITY;
        break;
    case GRAPH_OP_GLOBALAVGPOOL:
        s->kind = LAYER_AVGPOOL;
        s->global_pool = 1;
        break;
    case GRAPH_OP_FLATTEN:
        if (n->axis != 1)
            return err_set(err, CLCAM_ERR_INPUT, "%s: node %s (flatten) at axis %d; clcam flattens "
                           "at axis 1 only", path, n->name, n->axis);
        s->kind = LAYER_FLATTEN;
        break;
    case GRAPH_OP_LINEAR:
        if (n->alpha != 1.0f || n->beta != 1.0f)
            return err_set(err, CLCAM_ERR_INPUT, "%s: node %s (Gemm) has alpha %g, beta %g; clcam "
                           "runs alpha = beta = 1 only", path, n->name, (double)n->alpha,
                           (double)n->beta);
        s->kind = LAYER_LINEAR;
        s->no_bias = n->param[GRAPH_PARAM_BIAS] < 0;
        break;
    case GRAPH_OP_IDENTITY:
    case GRAPH_OP_DROPOUT: s->kind = LAYER_IDENTITY; break;
    case GRAPH_OP_PAD:
        if (n->pad_mode != GRAPH_PAD_CONSTANT || n->pad_value != 0.0f)
            return err_set(err, CLCAM_ERR_INPUT, "%s: node %s (pad): clcam pads with zeros only",
                           path, n->name);
        s->kind = LAYER_PAD;
        memcpy(s->pads, n->pads, sizeof s->pads);
        break;
    default:
        return err_set(err, CLCAM_ERR_INPUT, "%s: node %s: op %s is not supported (%s)", path,
                       n->name, graph_op_name(n->op), ONNX_SUPPORTED_OPS);
    }
    (void)g;
    return CLCAM_OK;
}

/* The spec's inputs: the names of the nodes writing node n's inputs, "input" for the graph's. */
static clcam_status onnx_node_inputs(const graph_desc *g, const graph_node *n, const char *path,
                                     layer_spec *s, clcam_err *err)
{
    if (n->n_inputs < 1 || n->n_inputs > LAYER_INPUTS_MAX)
        return err_set(err, CLCAM_ERR_INPUT, "%s: node %s reads %d tensors; clcam runs 1 to %d",
                       path, n->name, n->n_inputs, LAYER_INPUTS_MAX);
    s->n_inputs = n->n_inputs;
    for (int k = 0; k < n->n_inputs; k++) {
        int j = graph_desc_node_find(g, n->inputs[k]);
        if (j >= 0)
            s->inputs[k] = g->nodes[j].name;
        else if (strcmp(n->inputs[k], g->inputs[0].name) == 0)
            s->inputs[k] = "input";
        else
            return err_set(err, CLCAM_ERR_INPUT, "%s: node %s reads %s, which is neither the "
                           "graph's input nor a node's output", path, n->name, n->inputs[k]);
    }
    if (s->kind == LAYER_IDENTITY) s->n_inputs = 1; /* an Add or Concat of one tensor */
    return CLCAM_OK;
}

/* The file's one input: [N, C, H, W] with C, H, W as the file gives them (-1: symbolic). */
static clcam_status onnx_input_dims(const graph_desc *g, const char *path, int any_output,
                                    int64_t chw[3], clcam_err *err)
{
    if (any_output && g->n_inputs == 1 && g->inputs[0].rank == 2) { /* [N, F]: F x 1 x 1 */
        chw[0] = g->inputs[0].dims[1];
        chw[1] = chw[2] = 1;
        return CLCAM_OK;
    }
    if (g->n_inputs != 1 || g->inputs[0].rank != 4)
        return err_set(err, CLCAM_ERR_INPUT, "%s: clcam runs models with one input of 4 "
                       "dimensions (N, C, H, W); this one has %d inputs%s", path, g->n_inputs,
                       g->n_inputs == 1 ? " of another rank" : "");
    for (int d = 0; d < 3; d++) chw[d] = g->inputs[0].dims[d + 1];
    return CLCAM_OK;
}

clcam_status model_load_onnx_any(model *m, const char *path, layer_shape input, int any_output,
                                 clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    graph_desc g;
    layer_spec specs[MODEL_MAX_LAYERS];
    int64_t chw[3];
    memset(m, 0, sizeof *m);
    TRY(onnx_read(path, &g, err));
    TRY(onnx_input_dims(&g, path, any_output, chw, err));
    const int64_t have[3] = {input.c, input.h, input.w};
    for (int d = 0; d < 3; d++)
        if (chw[d] != GRAPH_DIM_UNKNOWN && chw[d] != have[d]) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: the model's input %s is %lldx%lldx%lld "
                         "(C x H x W; -1 open), the images are %dx%dx%d", path, g.inputs[0].name,
                         (long long)chw[0], (long long)chw[1], (long long)chw[2], input.c,
                         input.h, input.w);
            goto exit;
        }
    if (g.n_nodes < 1 || g.n_nodes > MODEL_MAX_LAYERS) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %d nodes; clcam runs models of 1 to %d layers",
                     path, g.n_nodes, MODEL_MAX_LAYERS);
        goto exit;
    }
    if (g.n_outputs != 1 || strcmp(g.outputs[0], g.nodes[g.n_nodes - 1].output) != 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: clcam runs models with one output, written by the "
                     "last node; this one has %d outputs", path, g.n_outputs);
        goto exit;
    }
    for (int i = 0; i < g.n_nodes; i++) {
        const graph_node *n = &g.nodes[i];
        if (strlen(n->name) >= sizeof m->layers[0].name || strcmp(n->name, "input") == 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: node name '%s' is %s", path, n->name,
                         strcmp(n->name, "input") == 0 ? "reserved for the network's input"
                                                       : "too long (at most 63 bytes)");
            goto exit;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(g.nodes[j].name, n->name) == 0) {
                st = err_set(err, CLCAM_ERR_INPUT, "%s: two nodes are named %s", path, n->name);
                goto exit;
            }
        TRY(onnx_node_spec(&g, n, path, &specs[i], err));
        TRY(onnx_node_inputs(&g, n, path, &specs[i], err));
        /* cam.layer may name the tensor (what Netron shows); a longer name than the layer keeps
         * is left unnameable rather than refused: the node's name still names it */
        if (strlen(n->output) < sizeof m->layers[0].tensor) specs[i].tensor = n->output;
    }
    st = model_build_graph(m, specs, g.n_nodes, &g, path, input, any_output, err);
exit:
    graph_desc_free(&g);
    return st;
}

clcam_status model_load_onnx(model *m, const char *path, layer_shape input, clcam_err *err)
{
    return model_load_onnx_any(m, path, input, 0, err);
}

clcam_status model_onnx_input_shape(const char *path, layer_shape *shape, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    graph_desc g;
    int64_t chw[3];
    TRY(onnx_read(path, &g, err));
    TRY(onnx_input_dims(&g, path, 0, chw, err));
    if (chw[0] < 1 || chw[1] < 1 || chw[2] < 1 || chw[0] > 4096 || chw[1] > 65536 || chw[2] > 65536) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: the input %s is %lldx%lldx%lld (C x H x W; -1: "
                     "open): clcam model FILE.onnx needs them fixed (give a config whose dataset "
                     "sets them)", path, g.inputs[0].name, (long long)chw[0], (long long)chw[1],
                     (long long)chw[2]);
        goto exit;
    }
    *shape = (layer_shape){(int)chw[0], (int)chw[1], (int)chw[2]};
exit:
    graph_desc_free(&g);
    return st;
}

const char *model_cam_layer_name(const model *m, const clcam_config *cfg)
{
    const char *names[MODEL_MAX_LAYERS];
    if (!cfg->model_onnx[0] || strcmp(cfg->cam_layer, "conv3") != 0) return cfg->cam_layer;
    for (int i = 0; i < m->n_layers; i++) names[i] = m->layers[i].name;
    return layer_scope_resolve(names, m->n_layers, "conv3") >= 0 ? cfg->cam_layer : "auto";
}
