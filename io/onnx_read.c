/* ONNX model -> graph_desc: the file, its versions, its constants, the order of its nodes and
 * the tables the node conversions (onnx_nodes.c) share. */
#include "onnx_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

#define IR_MIN 3
#define IR_MAX 8 /* ONNX 1.12's, the vendored onnx.proto */
#define OPSET_MIN 11
#define OPSET_MAX 17

const char ONNX_SUPPORTED_OPS[] =
    "Conv, BatchNormalization, Relu, Clip, Add, Concat, MaxPool, AveragePool, GlobalAveragePool, "
    "Flatten, Gemm, MatMul (+ Add), Identity, Dropout, Pad, Reshape to [N, -1], Constant, and Shape, "
    "Gather, Unsqueeze, Squeeze, Concat, Cast on shapes";

/* ---- tables ---- */

static clcam_status grow(onnx_ctx *c, void **v, int *cap, int n, size_t size)
{
    if (n < *cap) return CLCAM_OK;
    int ncap = *cap ? 2 * *cap : 16;
    void *p = realloc(*v, (size_t)ncap * size);
    if (!p) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    memset((char *)p + (size_t)*cap * size, 0, (size_t)(ncap - *cap) * size);
    *v = p;
    *cap = ncap;
    return CLCAM_OK;
}

onnx_int *onnx_int_find(onnx_ctx *c, const char *name)
{
    for (int i = c->n_ints - 1; i >= 0; i--)
        if (!strcmp(c->ints[i].name, name)) return &c->ints[i];
    return NULL;
}

onnx_act *onnx_act_find(onnx_ctx *c, const char *name)
{
    for (int i = c->n_acts - 1; i >= 0; i--)
        if (!strcmp(c->acts[i].name, name)) return &c->acts[i];
    return NULL;
}

clcam_status onnx_int_add(onnx_ctx *c, const onnx_int *v)
{
    clcam_status st = grow(c, (void **)&c->ints, &c->cap_ints, c->n_ints, sizeof *c->ints);
    if (st != CLCAM_OK) return st;
    c->ints[c->n_ints] = *v;
    if (!(c->ints[c->n_ints].name = strdup(v->name))) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    c->n_ints++;
    return CLCAM_OK;
}

clcam_status onnx_act_add(onnx_ctx *c, const char *name, int rank, const int64_t *dims)
{
    int64_t copy[GRAPH_MAX_DIMS]; /* dims may point into c->acts, which grow() moves */
    for (int i = 0; i < rank; i++) copy[i] = dims[i];
    clcam_status st = grow(c, (void **)&c->acts, &c->cap_acts, c->n_acts, sizeof *c->acts);
    if (st != CLCAM_OK) return st;
    onnx_act *a = &c->acts[c->n_acts];
    memset(a, 0, sizeof *a);
    a->rank = rank;
    for (int i = 0; i < rank; i++) a->dims[i] = copy[i];
    if (!(a->name = strdup(name))) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    c->n_acts++;
    return CLCAM_OK;
}

clcam_status onnx_const_add(onnx_ctx *c, graph_tensor *t)
{
    graph_desc *g = c->g;
    clcam_status st = grow(c, (void **)&g->consts, &c->cap_consts, g->n_consts, sizeof *g->consts);
    if (st != CLCAM_OK) {
        free(t->name);
        free(t->data);
        memset(t, 0, sizeof *t);
        return st;
    }
    g->consts[g->n_consts++] = *t;
    memset(t, 0, sizeof *t);
    return CLCAM_OK;
}

clcam_status onnx_node_add(onnx_ctx *c, graph_op op, const Onnx__NodeProto *n, int index, graph_node **out)
{
    graph_desc *g = c->g;
    clcam_status st = grow(c, (void **)&g->nodes, &c->cap_nodes, g->n_nodes, sizeof *g->nodes);
    if (st != CLCAM_OK) return st;
    graph_node *d = &g->nodes[g->n_nodes++];
    char fallback[64];
    memset(d, 0, sizeof *d);
    d->op = op;
    for (int i = 0; i < GRAPH_PARAM_COUNT; i++) d->param[i] = -1;
    d->stride[0] = d->stride[1] = d->dilation[0] = d->dilation[1] = d->group = 1;
    d->alpha = d->beta = 1.0f;
    snprintf(fallback, sizeof fallback, "%s_%d", onnx_str(n->op_type), index);
    if (!(d->name = strdup(n->name && *n->name ? n->name : fallback)))
        return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    *out = d;
    return CLCAM_OK;
}

int onnx_readers(const onnx_ctx *c, const char *name)
{
    const Onnx__GraphProto *gp = c->graph;
    int count = 0;
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t j = 0; j < gp->node[i]->n_input; j++) count += !strcmp(onnx_str(gp->node[i]->input[j]), name);
    for (size_t i = 0; i < gp->n_output; i++) count += !strcmp(onnx_str(gp->output[i]->name), name);
    return count;
}

/* ---- the file ---- */

static clcam_status file_slurp(const char *path, unsigned char **bytes, size_t *size, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    FILE *f = NULL;
    long n = 0;
    *bytes = NULL;
    if (!(f = fopen(path, "rb"))) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot open the ONNX file", path);
        goto exit;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the ONNX file (not a regular file?)", path);
        goto exit;
    }
    if (!(*bytes = malloc(n ? (size_t)n : 1))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for %ld bytes", path, n);
        goto exit;
    }
    if (fread(*bytes, 1, (size_t)n, f) != (size_t)n) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the ONNX file", path);
        goto exit;
    }
    *size = (size_t)n;
exit:
    if (f) fclose(f);
    return st;
}

static clcam_status versions_check(onnx_ctx *c, const Onnx__ModelProto *m)
{
    int64_t opset = -1;
    if (!m->has_ir_version)
        return err_set(c->err, CLCAM_ERR_INPUT, "%s: not an ONNX model (no IR version)", c->path);
    if (m->ir_version < IR_MIN || m->ir_version > IR_MAX)
        return err_set(c->err, CLCAM_ERR_INPUT, "%s: ONNX IR version %lld, clcam reads %d to %d", c->path,
                       (long long)m->ir_version, IR_MIN, IR_MAX);
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *dom = onnx_str(m->opset_import[i]->domain);
        if (!*dom || !strcmp(dom, "ai.onnx")) opset = m->opset_import[i]->version;
    }
    if (opset < OPSET_MIN || opset > OPSET_MAX)
        return err_set(c->err, CLCAM_ERR_INPUT, "%s: ONNX opset %lld, clcam reads opsets %d to %d (torch.onnx.export "
                       "opset_version=%d..%d)", c->path, (long long)opset, OPSET_MIN, OPSET_MAX, OPSET_MIN, OPSET_MAX);
    if (!m->graph) return err_set(c->err, CLCAM_ERR_INPUT, "%s: the model has no graph", c->path);
    c->opset = opset;
    c->g->opset = opset;
    c->g->ir_version = m->ir_version;
    return CLCAM_OK;
}

/* Initializers: float32 ones become constants, int ones shape values. */
static clcam_status initializers_read(onnx_ctx *c)
{
    clcam_status st = CLCAM_OK;
    for (size_t i = 0; i < c->graph->n_initializer; i++) {
        const Onnx__TensorProto *t = c->graph->initializer[i];
        const char *name = onnx_str(t->name);
        if (!*name) return err_set(c->err, CLCAM_ERR_INPUT, "%s: initializer %zu has no name", c->path, i);
        if (graph_desc_const_find(c->g, name) >= 0 || onnx_int_find(c, name))
            return err_set(c->err, CLCAM_ERR_INPUT, "%s: two initializers are named %s", c->path, name);
        if (onnx_tensor_is_int(t)) {
            onnx_int v;
            if ((st = onnx_tensor_ints(c, t, name, &v)) != CLCAM_OK) return st;
            st = onnx_int_add(c, &v);
            free(v.name);
        } else {
            graph_tensor v;
            if ((st = onnx_tensor_floats(c, t, name, &v)) != CLCAM_OK) return st;
            st = onnx_const_add(c, &v);
        }
        if (st != CLCAM_OK) return st;
    }
    return CLCAM_OK;
}

static int is_initializer(const onnx_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->graph->n_initializer; i++)
        if (!strcmp(onnx_str(c->graph->initializer[i]->name), name)) return 1;
    return 0;
}

/* Graph inputs that are not initializers: float tensors of rank <= GRAPH_MAX_DIMS. */
static clcam_status inputs_read(onnx_ctx *c)
{
    graph_desc *g = c->g;
    if (!(g->inputs = calloc(c->graph->n_input + 1, sizeof *g->inputs)))
        return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    for (size_t i = 0; i < c->graph->n_input; i++) {
        const Onnx__ValueInfoProto *v = c->graph->input[i];
        const char *name = onnx_str(v->name);
        const Onnx__TypeProto__Tensor *tt =
            v->type && v->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? v->type->tensor_type : NULL;
        graph_value *gv = &g->inputs[g->n_inputs];
        if (is_initializer(c, name)) continue; /* older exporters list initializers as inputs */
        if (!*name) return err_set(c->err, CLCAM_ERR_INPUT, "%s: graph input %zu has no name", c->path, i);
        if (!tt || tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || !tt->shape)
            return err_set(c->err, CLCAM_ERR_INPUT, "%s: graph input %s must be a float32 tensor of known rank",
                           c->path, name);
        if (tt->shape->n_dim > GRAPH_MAX_DIMS)
            return err_set(c->err, CLCAM_ERR_INPUT, "%s: graph input %s has rank %zu, clcam reads at most %d",
                           c->path, name, tt->shape->n_dim, GRAPH_MAX_DIMS);
        if (onnx_act_find(c, name))
            return err_set(c->err, CLCAM_ERR_INPUT, "%s: two graph inputs are named %s", c->path, name);
        if (!(gv->name = strdup(name))) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
        g->n_inputs++;
        gv->rank = (int)tt->shape->n_dim;
        for (int d = 0; d < gv->rank; d++) {
            const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
            int known = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            if (known && (dim->dim_value <= 0 || dim->dim_value > (1 << 30)))
                return err_set(c->err, CLCAM_ERR_INPUT, "%s: graph input %s has dimension %lld", c->path, name,
                               (long long)dim->dim_value);
            gv->dims[d] = known ? dim->dim_value : GRAPH_DIM_UNKNOWN;
        }
        clcam_status st = onnx_act_add(c, name, gv->rank, gv->dims);
        if (st != CLCAM_OK) return st;
    }
    return CLCAM_OK;
}

/* ---- order ---- */

/* The node writing `name`, or -1. */
static int producer(const Onnx__GraphProto *gp, const char *name)
{
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t j = 0; j < gp->node[i]->n_output; j++)
            if (!strcmp(onnx_str(gp->node[i]->output[j]), name)) return (int)i;
    return -1;
}

static int is_graph_input(const onnx_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->graph->n_input; i++)
        if (!strcmp(onnx_str(c->graph->input[i]->name), name)) return 1;
    return 0;
}

static const char *node_label(const Onnx__NodeProto *n, int index, char *buf, size_t size)
{
    if (n->name && *n->name) snprintf(buf, size, "%s (%s)", n->name, onnx_str(n->op_type));
    else snprintf(buf, size, "%d (%s)", index, onnx_str(n->op_type));
    return buf;
}

/* Kahn's algorithm, taking the earliest ready node in file order, so a file already in order
 * keeps its order. deps[i] lists the producers of node i's inputs. Every input must have a
 * source; each output name is written once. */
static clcam_status nodes_order(onnx_ctx *c, int *order)
{
    clcam_status st = CLCAM_OK;
    const Onnx__GraphProto *gp = c->graph;
    int n = (int)gp->n_node;
    int **deps = calloc((size_t)n + 1, sizeof *deps), *ndeps = calloc((size_t)n + 1, sizeof *ndeps);
    char *done = calloc((size_t)n + 1, 1);
    char label[512];
    if (!deps || !ndeps || !done) {
        st = err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
        goto exit;
    }
    for (int i = 0; i < n; i++) {
        const Onnx__NodeProto *nd = gp->node[i];
        for (size_t j = 0; j < nd->n_output; j++) {
            const char *o = onnx_str(nd->output[j]);
            if (*o && (producer(gp, o) != i || is_initializer(c, o) || is_graph_input(c, o))) {
                st = err_set(c->err, CLCAM_ERR_INPUT, "%s: node %s writes %s, which something else already provides",
                             c->path, node_label(nd, i, label, sizeof label), o);
                goto exit;
            }
            for (size_t k = 0; k < j; k++)
                if (*o && !strcmp(o, onnx_str(nd->output[k]))) {
                    st = err_set(c->err, CLCAM_ERR_INPUT, "%s: node %s writes %s twice", c->path,
                                 node_label(nd, i, label, sizeof label), o);
                    goto exit;
                }
        }
        if (!(deps[i] = calloc(nd->n_input + 1, sizeof **deps))) {
            st = err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
            goto exit;
        }
        for (size_t j = 0; j < nd->n_input; j++) {
            const char *in = onnx_str(nd->input[j]);
            int p;
            if (!*in || is_initializer(c, in) || is_graph_input(c, in)) continue; /* "": an optional input left out */
            if ((p = producer(gp, in)) < 0) {
                st = err_set(c->err, CLCAM_ERR_INPUT, "%s: node %s reads %s, which is no initializer, graph input "
                             "or node output", c->path, node_label(nd, i, label, sizeof label), in);
                goto exit;
            }
            deps[i][ndeps[i]++] = p;
        }
    }
    for (int k = 0; k < n; k++) {
        int pick = -1;
        for (int i = 0; i < n && pick < 0; i++) {
            if (done[i]) continue;
            int ready = 1;
            for (int j = 0; j < ndeps[i] && ready; j++) ready = done[deps[i][j]];
            if (ready) pick = i;
        }
        if (pick < 0) {
            /* Every node left waits on another one left: walking back along unfinished
             * inputs must come round, and the node it comes round to is on a cycle. */
            int at = 0;
            while (done[at]) at++;
            for (int steps = 0; steps < n; steps++) {
                int next = -1;
                for (int j = 0; j < ndeps[at] && next < 0; j++)
                    if (!done[deps[at][j]]) next = deps[at][j];
                at = next;
            }
            st = err_set(c->err, CLCAM_ERR_INPUT, "%s: the graph has a cycle through node %s", c->path,
                         node_label(gp->node[at], at, label, sizeof label));
            goto exit;
        }
        done[pick] = 1;
        order[k] = pick;
    }
exit:
    for (int i = 0; deps && i < n; i++) free(deps[i]);
    free(deps);
    free(ndeps);
    free(done);
    return st;
}

/* ---- after the nodes ---- */

/* Graph outputs must be activations some node writes (or graph inputs). */
static clcam_status outputs_read(onnx_ctx *c)
{
    graph_desc *g = c->g;
    if (!c->graph->n_output) return err_set(c->err, CLCAM_ERR_INPUT, "%s: the graph has no output", c->path);
    if (!(g->outputs = calloc(c->graph->n_output, sizeof *g->outputs)))
        return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    for (size_t i = 0; i < c->graph->n_output; i++) {
        const char *name = onnx_str(c->graph->output[i]->name);
        if (!onnx_act_find(c, name))
            return err_set(c->err, CLCAM_ERR_INPUT, "%s: graph output %s is no activation a node writes", c->path,
                           name);
        if (!(g->outputs[g->n_outputs] = strdup(name))) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
        g->n_outputs++;
    }
    return CLCAM_OK;
}

/* Drops the constants no node uses (Clip bounds, Gemm weights replaced by their transpose),
 * keeping file order, and renumbers the nodes' params. */
static void consts_prune(graph_desc *g)
{
    int kept = 0;
    for (int i = 0; i < g->n_consts; i++) {
        int used = 0;
        for (int n = 0; n < g->n_nodes && !used; n++)
            for (int p = 0; p < GRAPH_PARAM_COUNT; p++) used |= g->nodes[n].param[p] == i;
        if (!used) {
            free(g->consts[i].name);
            free(g->consts[i].data);
            continue;
        }
        for (int n = 0; n < g->n_nodes; n++)
            for (int p = 0; p < GRAPH_PARAM_COUNT; p++)
                if (g->nodes[n].param[p] == i) g->nodes[n].param[p] = kept;
        g->consts[kept++] = g->consts[i];
    }
    g->n_consts = kept;
}

/* Names in a file may hold any bytes: control characters in a message become '?', so that it
 * stays one line and cannot drive a terminal. */
void onnx_msg_scrub(clcam_err *err)
{
    for (char *p = err ? err->msg : NULL; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
}

clcam_status onnx_read(const char *path, graph_desc *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    unsigned char *bytes = NULL;
    size_t size = 0;
    Onnx__ModelProto *m = NULL;
    onnx_ctx c = {.path = path, .g = out, .err = err};
    int *order = NULL;
    const char *slash = strrchr(path, '/');
    memset(out, 0, sizeof *out);
    if (!(c.dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup("."))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", path);
        goto exit;
    }
    TRY(file_slurp(path, &bytes, &size, err));
    if (!size) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: the file is empty, not an ONNX model", path);
        goto exit;
    }
    if (!(m = onnx__model_proto__unpack(NULL, size, bytes))) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: not an ONNX model (protobuf decoding failed: truncated or not ONNX)",
                     path);
        goto exit;
    }
    TRY(versions_check(&c, m));
    c.graph = m->graph;
    if (!(out->producer = malloc(strlen(onnx_str(m->producer_name)) + strlen(onnx_str(m->producer_version)) + 2))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", path);
        goto exit;
    }
    sprintf(out->producer, "%s%s%s", onnx_str(m->producer_name), m->producer_version && *m->producer_version ? " " : "",
            onnx_str(m->producer_version));
    TRY(initializers_read(&c));
    TRY(inputs_read(&c));
    if (!out->n_inputs) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: the graph has no input besides its initializers", path);
        goto exit;
    }
    if (!(order = calloc(c.graph->n_node + 1, sizeof *order))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", path);
        goto exit;
    }
    TRY(nodes_order(&c, order));
    for (size_t i = 0; i < c.graph->n_node; i++) TRY(onnx_node_convert(&c, c.graph->node[order[i]], order[i]));
    TRY(outputs_read(&c));
    consts_prune(out);
exit:
    if (st != CLCAM_OK) {
        graph_desc_free(out);
        onnx_msg_scrub(err);
    }
    for (int i = 0; i < c.n_ints; i++) free(c.ints[i].name);
    free(c.ints);
    for (int i = 0; i < c.n_acts; i++) free(c.acts[i].name);
    free(c.acts);
    free(order);
    free(c.dir);
    if (m) onnx__model_proto__free_unpacked(m, NULL);
    free(bytes);
    return st;
}
