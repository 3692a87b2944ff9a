/* Helpers of the ONNX node conversions: messages, attributes, inputs and outputs. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

#define ATTR(x) ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##x

/* "FILE: node NAME (OP): what" */
clcam_status onnx_node_err(onnx_ctx *c, const Onnx__NodeProto *n, const char *fmt, ...)
{
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return err_set(c->err, CLCAM_ERR_INPUT, "%s: node %s (%s): %s", c->path,
                   n->name && *n->name ? n->name : "(unnamed)", onnx_str(n->op_type), what);
}

/* ---- attributes ---- */

const Onnx__AttributeProto *onnx_attr_find(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (!strcmp(onnx_str(n->attribute[i]->name), name)) return n->attribute[i];
    return NULL;
}

clcam_status onnx_attr_int(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, int64_t def, int64_t *out)
{
    const Onnx__AttributeProto *a = onnx_attr_find(n, name);
    *out = def;
    if (!a) return CLCAM_OK;
    if (a->type != ATTR(INT)) return onnx_node_err(c, n, "attribute %s must be an int", name);
    *out = a->i;
    return CLCAM_OK;
}

clcam_status onnx_attr_float(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, float def, float *out)
{
    const Onnx__AttributeProto *a = onnx_attr_find(n, name);
    *out = def;
    if (!a) return CLCAM_OK;
    if (a->type != ATTR(FLOAT) || !isfinite(a->f)) return onnx_node_err(c, n, "attribute %s must be a finite float", name);
    *out = a->f;
    return CLCAM_OK;
}

/* Up to `max` ints; *count -1 when the attribute is absent. */
clcam_status onnx_attr_ints(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, int max, int64_t *out, int *count)
{
    const Onnx__AttributeProto *a = onnx_attr_find(n, name);
    *count = -1;
    if (!a) return CLCAM_OK;
    if (a->type != ATTR(INTS) || a->n_ints > (size_t)max)
        return onnx_node_err(c, n, "attribute %s must be a list of at most %d ints", name, max);
    for (size_t i = 0; i < a->n_ints; i++) out[i] = a->ints[i];
    *count = (int)a->n_ints;
    return CLCAM_OK;
}

/* A string attribute into buf ("" when absent). */
clcam_status onnx_attr_str(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, char *buf, size_t size)
{
    const Onnx__AttributeProto *a = onnx_attr_find(n, name);
    buf[0] = 0;
    if (!a) return CLCAM_OK;
    if (a->type != ATTR(STRING) || a->s.len >= size) return onnx_node_err(c, n, "attribute %s must be a short string", name);
    if (a->s.len) memcpy(buf, a->s.data, a->s.len); /* an empty string may have no data at all */
    buf[a->s.len] = 0;
    return CLCAM_OK;
}

/* ---- inputs ---- */

const char *onnx_in_name(const Onnx__NodeProto *n, size_t i)
{
    return i < n->n_input ? onnx_str(n->input[i]) : "";
}

/* Input i must be an activation. */
clcam_status onnx_act_in(onnx_ctx *c, const Onnx__NodeProto *n, size_t i, onnx_act **out)
{
    const char *name = onnx_in_name(n, i);
    if (!*name) return onnx_node_err(c, n, "input %zu is missing", i);
    if ((*out = onnx_act_find(c, name))) return CLCAM_OK;
    if (graph_desc_const_find(c->g, name) >= 0)
        return onnx_node_err(c, n, "input %zu (%s) is a constant; clcam reads activations there", i, name);
    return onnx_node_err(c, n, "input %zu (%s) is a shape computation; clcam reads activations there", i, name);
}

/* Input i must be a float constant (an initializer); *idx -1 when optional and left out. */
clcam_status onnx_const_in(onnx_ctx *c, const Onnx__NodeProto *n, size_t i, int optional, int *idx)
{
    const char *name = onnx_in_name(n, i);
    *idx = -1;
    if (!*name) return optional ? CLCAM_OK : onnx_node_err(c, n, "input %zu is missing", i);
    if ((*idx = graph_desc_const_find(c->g, name)) >= 0) return CLCAM_OK;
    return onnx_node_err(c, n, "input %zu (%s) must be a float constant (an initializer), not computed by the graph", i, name);
}

/* A float scalar constant (Clip bounds, Dropout ratio). */
clcam_status onnx_scalar_in(onnx_ctx *c, const Onnx__NodeProto *n, size_t i, float *out)
{
    int idx;
    clcam_status st = onnx_const_in(c, n, i, 1, &idx);
    if (st != CLCAM_OK || idx < 0) return st;
    if (c->g->consts[idx].count != 1) return onnx_node_err(c, n, "input %zu (%s) must be a scalar", i, onnx_in_name(n, i));
    *out = c->g->consts[idx].data[0];
    return CLCAM_OK;
}

/* Outputs past the first (BatchNorm's training statistics, MaxPool's indices, Dropout's mask)
 * are not computed: nothing may read them. */
clcam_status onnx_extra_outputs_check(onnx_ctx *c, const Onnx__NodeProto *n)
{
    if (n->n_output < 1 || !*onnx_str(n->output[0])) return onnx_node_err(c, n, "the node has no output");
    for (size_t i = 1; i < n->n_output; i++)
        if (*onnx_str(n->output[i]) && onnx_readers(c, n->output[i]))
            return onnx_node_err(c, n, "output %zu (%s) is read, clcam computes only the first output", i, n->output[i]);
    return CLCAM_OK;
}

/* Names the node's activation inputs and output, and records the output's shape. */
clcam_status onnx_node_io(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d, onnx_act **ins, int k, int rank,
                            const int64_t *dims)
{
    if (!(d->inputs = calloc((size_t)k, sizeof *d->inputs)))
        return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    for (int i = 0; i < k; i++) {
        if (!(d->inputs[i] = strdup(ins[i]->name))) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
        d->n_inputs++;
    }
    if (!(d->output = strdup(n->output[0]))) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    d->out_rank = rank;
    for (int i = 0; i < rank; i++) d->out_dims[i] = dims[i];
    return onnx_act_add(c, d->output, rank, dims);
}

int onnx_dims_match(const onnx_act *a, const onnx_act *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != GRAPH_DIM_UNKNOWN && b->dims[i] != GRAPH_DIM_UNKNOWN && a->dims[i] != b->dims[i]) return 0;
    return 1;
}

const char *onnx_dims_str(int rank, const int64_t *dims, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && used < size; i++) {
        if (dims[i] == GRAPH_DIM_UNKNOWN) used += (size_t)snprintf(buf + used, size - used, "%sN", i ? ", " : "");
        else used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "", (long long)dims[i]);
    }
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

clcam_status onnx_rank_check(onnx_ctx *c, const Onnx__NodeProto *n, const onnx_act *x, int rank)
{
    char s[128];
    if (x->rank != rank)
        return onnx_node_err(c, n, "input %s has shape %s, clcam expects rank %d here", x->name,
                        onnx_dims_str(x->rank, x->dims, s, sizeof s), rank);
    return CLCAM_OK;
}
