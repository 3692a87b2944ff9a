/* ONNX nodes that compute no activation: Constant, Identity of a constant, and the shape
 * computations torch writes for x.view(x.size(0), -1) (Shape, Gather, Unsqueeze, Squeeze,
 * Concat, Cast of int64 vectors), evaluated here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"

#define ATTR(x) ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##x


/* Constant nodes: a tensor, or value_float(s) / value_int(s). */
clcam_status onnx_constant_convert(onnx_ctx *c, const Onnx__NodeProto *n)
{
    clcam_status st = CLCAM_OK;
    const char *out = onnx_str(n->output[0]);
    const Onnx__AttributeProto *a = n->n_attribute == 1 ? n->attribute[0] : NULL;
    const char *an = a ? onnx_str(a->name) : "";
    onnx_int v = {0};
    graph_tensor t = {0};
    if (!a) return onnx_node_err(c, n, "a Constant needs exactly one attribute");
    if (!strcmp(an, "value") && a->t) {
        if (onnx_tensor_is_int(a->t)) {
            if ((st = onnx_tensor_ints(c, a->t, out, &v)) != CLCAM_OK) return st;
            free(v.name);
            v.name = (char *)out;
            return onnx_int_add(c, &v);
        }
        if ((st = onnx_tensor_floats(c, a->t, out, &t)) != CLCAM_OK) return st;
        return onnx_const_add(c, &t);
    }
    if (!strcmp(an, "value_int") || !strcmp(an, "value_ints")) {
        int many = an[9] == 's';
        if (many ? a->n_ints > ONNX_INT_MAX || a->type != ATTR(INTS) : a->type != ATTR(INT))
            return onnx_node_err(c, n, "attribute %s is malformed", an);
        v.name = (char *)out;
        v.rank = many;
        v.n = many ? (int)a->n_ints : 1;
        for (int i = 0; i < v.n; i++) v.v[i] = many ? a->ints[i] : a->i;
        return onnx_int_add(c, &v);
    }
    if (!strcmp(an, "value_float") || !strcmp(an, "value_floats")) {
        int many = an[11] == 's';
        if (many ? !a->n_floats || a->type != ATTR(FLOATS) : a->type != ATTR(FLOAT))
            return onnx_node_err(c, n, "attribute %s is malformed", an);
        t.rank = many;
        t.count = many ? a->n_floats : 1;
        t.dims[0] = (int64_t)t.count;
        if (!(t.data = malloc(t.count * sizeof *t.data)) || !(t.name = strdup(out))) {
            free(t.data);
            return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
        }
        for (size_t i = 0; i < t.count; i++) t.data[i] = many ? a->floats[i] : a->f;
        for (size_t i = 0; i < t.count; i++)
            if (!isfinite(t.data[i])) {
                free(t.data);
                free(t.name);
                return onnx_node_err(c, n, "the constant %s holds a non-finite value", out);
            }
        return onnx_const_add(c, &t);
    }
    return onnx_node_err(c, n, "attribute %s is not supported for a Constant", an);
}

/* Identity of a constant or a shape value: the same value under another name. */
clcam_status onnx_alias_convert(onnx_ctx *c, const Onnx__NodeProto *n, int k, onnx_int *iv)
{
    const char *out = onnx_str(n->output[0]);
    if (iv) {
        onnx_int v = *iv;
        v.name = (char *)out;
        return onnx_int_add(c, &v);
    }
    const graph_tensor *src = &c->g->consts[k];
    graph_tensor t = *src;
    t.name = strdup(out);
    t.data = malloc((src->count ? src->count : 1) * sizeof *t.data); /* malloc(0) may be NULL */
    if (!t.name || !t.data) {
        free(t.name);
        free(t.data);
        return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    }
    if (src->count) memcpy(t.data, src->data, src->count * sizeof *t.data);
    return onnx_const_add(c, &t);
}

/* Shape, Gather, Unsqueeze, Squeeze, Concat, Cast over int64 vectors. */
clcam_status onnx_shape_op_convert(onnx_ctx *c, const Onnx__NodeProto *n, const char *op)
{
    clcam_status st;
    onnx_int v = {.name = (char *)onnx_str(n->output[0])};
    if (!strcmp(op, "Shape")) {
        onnx_act *x;
        int64_t start, end;
        if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK) return st;
        if ((st = onnx_attr_int(c, n, "start", 0, &start)) != CLCAM_OK || (st = onnx_attr_int(c, n, "end", x->rank, &end)) != CLCAM_OK)
            return st;
        if (start < 0) start += x->rank;
        if (end < 0) end += x->rank;
        start = start < 0 ? 0 : start > x->rank ? x->rank : start;
        end = end < start ? start : end > x->rank ? x->rank : end;
        v.rank = 1;
        for (int64_t i = start; i < end; i++)
            v.v[v.n++] = x->dims[i] != GRAPH_DIM_UNKNOWN ? x->dims[i] : i == 0 ? ONNX_INT_BATCH : ONNX_INT_UNKNOWN;
        return onnx_int_add(c, &v);
    }
    if (!strcmp(op, "Concat")) {
        int64_t axis;
        if ((st = onnx_attr_int(c, n, "axis", 0, &axis)) != CLCAM_OK) return st;
        if (axis != 0 && axis != -1) return onnx_node_err(c, n, "axis %lld on a shape vector", (long long)axis);
        v.rank = 1;
        for (size_t i = 0; i < n->n_input; i++) {
            onnx_int *x = onnx_int_find(c, onnx_in_name(n, i));
            if (!x || x->rank != 1) return onnx_node_err(c, n, "input %zu (%s) is no int64 vector", i, onnx_in_name(n, i));
            if (v.n + x->n > ONNX_INT_MAX) return onnx_node_err(c, n, "the shape vector is too long");
            memcpy(v.v + v.n, x->v, (size_t)x->n * sizeof *x->v);
            v.n += x->n;
        }
        return onnx_int_add(c, &v);
    }
    onnx_int *x = onnx_int_find(c, onnx_in_name(n, 0));
    if (!x) return onnx_node_err(c, n, "input 0 (%s) is no int64 value", onnx_in_name(n, 0));
    v.rank = x->rank;
    v.n = x->n;
    memcpy(v.v, x->v, (size_t)x->n * sizeof *x->v);
    if (!strcmp(op, "Gather")) {
        onnx_int *idx = onnx_int_find(c, onnx_in_name(n, 1));
        int64_t axis;
        if ((st = onnx_attr_int(c, n, "axis", 0, &axis)) != CLCAM_OK) return st;
        if (!idx || x->rank != 1 || axis != 0) return onnx_node_err(c, n, "clcam gathers only constant indices from shape vectors");
        v.rank = idx->rank;
        v.n = idx->n;
        for (int i = 0; i < idx->n; i++) {
            int64_t k = idx->v[i] < 0 ? idx->v[i] + x->n : idx->v[i];
            if (k < 0 || k >= x->n) return onnx_node_err(c, n, "index %lld is outside the shape's %d values", (long long)idx->v[i], x->n);
            v.v[i] = x->v[k];
        }
    } else if (!strcmp(op, "Unsqueeze")) {
        if (x->rank != 0) return onnx_node_err(c, n, "clcam unsqueezes only scalar shape values");
        v.rank = 1;
    } else if (!strcmp(op, "Squeeze")) {
        if (x->rank != 1 || x->n != 1) return onnx_node_err(c, n, "clcam squeezes only one-value shape vectors");
        v.rank = 0;
    } /* Cast: the values as they are */
    return onnx_int_add(c, &v);
}
