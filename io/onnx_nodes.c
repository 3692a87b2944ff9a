/* One ONNX node -> a graph_desc node (with its attributes and output shape), a constant or a
 * shape value; or one line saying why clcam cannot read it. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"
#include "onnx_read.h"


/* ---- convolution and pooling ---- */

/* kernel_shape (unless the weight gave it), strides, pads, dilations, auto_pad, ceil_mode,
 * then what clcam supports today: square kernels and strides, one padding for all sides, no
 * dilation, no ceil_mode, no SAME padding. */
static clcam_status spatial_attrs(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d, int have_kernel)
{
    clcam_status st;
    int64_t v[4];
    int cnt;
    char autopad[32];
    if ((st = onnx_attr_ints(c, n, "kernel_shape", 2, v, &cnt)) != CLCAM_OK) return st;
    if (cnt >= 0 && cnt != 2) return onnx_node_err(c, n, "kernel_shape has %d values, clcam reads 2-D kernels", cnt);
    if (cnt == 2 && have_kernel && (v[0] != d->kernel[0] || v[1] != d->kernel[1]))
        return onnx_node_err(c, n, "kernel_shape [%lld, %lld] differs from the weight's [%d, %d]", (long long)v[0],
                        (long long)v[1], d->kernel[0], d->kernel[1]);
    if (!have_kernel) {
        if (cnt != 2) return onnx_node_err(c, n, "kernel_shape is missing");
        if (v[0] < 1 || v[1] < 1 || v[0] > 4096 || v[1] > 4096) return onnx_node_err(c, n, "kernel_shape must be positive");
        d->kernel[0] = (int)v[0];
        d->kernel[1] = (int)v[1];
    }
    if ((st = onnx_attr_ints(c, n, "strides", 2, v, &cnt)) != CLCAM_OK) return st;
    if (cnt >= 0 && (cnt != 2 || v[0] < 1 || v[1] < 1 || v[0] > 4096 || v[1] > 4096))
        return onnx_node_err(c, n, "strides must be 2 positive ints");
    if (cnt == 2) d->stride[0] = (int)v[0], d->stride[1] = (int)v[1];
    if ((st = onnx_attr_ints(c, n, "pads", 4, v, &cnt)) != CLCAM_OK) return st;
    if (cnt >= 0 && cnt != 4) return onnx_node_err(c, n, "pads must be 4 ints for a 2-D op");
    for (int i = 0; i < 4 && cnt == 4; i++) {
        if (v[i] < 0 || v[i] > 4096) return onnx_node_err(c, n, "pads must be between 0 and 4096");
        d->pads[i] = (int)v[i];
    }
    if ((st = onnx_attr_ints(c, n, "dilations", 2, v, &cnt)) != CLCAM_OK) return st;
    if (cnt >= 0 && (cnt != 2 || v[0] < 1 || v[1] < 1 || v[0] > 4096 || v[1] > 4096))
        return onnx_node_err(c, n, "dilations must be 2 positive ints");
    if (cnt == 2) d->dilation[0] = (int)v[0], d->dilation[1] = (int)v[1];
    if ((st = onnx_attr_str(c, n, "auto_pad", autopad, sizeof autopad)) != CLCAM_OK) return st;
    if (*autopad && strcmp(autopad, "NOTSET") && strcmp(autopad, "VALID"))
        return onnx_node_err(c, n, "auto_pad %s is not supported (give explicit pads: torch.onnx.export does)", autopad);
    if (!strcmp(autopad, "VALID")) memset(d->pads, 0, sizeof d->pads);

    if (d->kernel[0] != d->kernel[1]) return onnx_node_err(c, n, "non-square kernel %dx%d is not supported yet", d->kernel[0], d->kernel[1]);
    if (d->stride[0] != d->stride[1]) return onnx_node_err(c, n, "strides %dx%d differ, not supported yet", d->stride[0], d->stride[1]);
    if (d->pads[0] != d->pads[1] || d->pads[0] != d->pads[2] || d->pads[0] != d->pads[3])
        return onnx_node_err(c, n, "pads [%d, %d, %d, %d] differ, clcam supports one padding on all sides", d->pads[0],
                        d->pads[1], d->pads[2], d->pads[3]);
    if (d->dilation[0] != 1 || d->dilation[1] != 1)
        return onnx_node_err(c, n, "dilation %dx%d is not supported yet", d->dilation[0], d->dilation[1]);
    if (d->pads[0] >= d->kernel[0] && d->op != GRAPH_OP_CONV)
        return onnx_node_err(c, n, "pads %d must be smaller than the kernel %d", d->pads[0], d->kernel[0]);
    return CLCAM_OK;
}

/* Output height and width of a conv or pool (floor mode). */
static clcam_status spatial_out(onnx_ctx *c, const Onnx__NodeProto *n, const graph_node *d, const onnx_act *x,
                                int64_t *dims)
{
    for (int i = 0; i < 2; i++) {
        int64_t in = x->dims[2 + i];
        if (in == GRAPH_DIM_UNKNOWN) {
            dims[2 + i] = GRAPH_DIM_UNKNOWN;
            continue;
        }
        int64_t span = in + d->pads[i] + d->pads[2 + i] - (int64_t)d->dilation[i] * (d->kernel[i] - 1) - 1;
        if (span < 0) return onnx_node_err(c, n, "the kernel (%d) is larger than the padded input (%lld)", d->kernel[i],
                                      (long long)(in + d->pads[i] + d->pads[2 + i]));
        dims[2 + i] = span / d->stride[i] + 1;
    }
    return CLCAM_OK;
}

static clcam_status conv_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d)
{
    clcam_status st;
    onnx_act *x;
    int w, b;
    int64_t group, dims[4];
    char s[128];
    if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK || (st = onnx_rank_check(c, n, x, 4)) != CLCAM_OK) return st;
    if ((st = onnx_const_in(c, n, 1, 0, &w)) != CLCAM_OK || (st = onnx_const_in(c, n, 2, 1, &b)) != CLCAM_OK) return st;
    const graph_tensor *wt = &c->g->consts[w];
    if (wt->rank != 4)
        return onnx_node_err(c, n, "weight %s has shape %s, a 2-D convolution's has rank 4", wt->name,
                        onnx_dims_str(wt->rank, wt->dims, s, sizeof s));
    if ((st = onnx_attr_int(c, n, "group", 1, &group)) != CLCAM_OK) return st;
    if (group < 1 || group > wt->dims[0] || wt->dims[0] % group)
        return onnx_node_err(c, n, "group %lld must divide the %lld output channels", (long long)group, (long long)wt->dims[0]);
    if (x->dims[1] != GRAPH_DIM_UNKNOWN && x->dims[1] != wt->dims[1] * group)
        return onnx_node_err(c, n, "input %s has %lld channels, weight %s %s with group %lld expects %lld", x->name,
                        (long long)x->dims[1], wt->name, onnx_dims_str(wt->rank, wt->dims, s, sizeof s), (long long)group,
                        (long long)(wt->dims[1] * group));
    if (b >= 0 && (c->g->consts[b].rank != 1 || c->g->consts[b].dims[0] != wt->dims[0]))
        return onnx_node_err(c, n, "bias %s has shape %s, expected [%lld]", c->g->consts[b].name,
                        onnx_dims_str(c->g->consts[b].rank, c->g->consts[b].dims, s, sizeof s), (long long)wt->dims[0]);
    d->group = (int)group;
    d->kernel[0] = (int)wt->dims[2];
    d->kernel[1] = (int)wt->dims[3];
    d->param[GRAPH_PARAM_WEIGHT] = w;
    d->param[GRAPH_PARAM_BIAS] = b;
    if ((st = spatial_attrs(c, n, d, 1)) != CLCAM_OK) return st;
    dims[0] = x->dims[0];
    dims[1] = wt->dims[0];
    if ((st = spatial_out(c, n, d, x, dims)) != CLCAM_OK) return st;
    return onnx_node_io(c, n, d, &x, 1, 4, dims);
}

static clcam_status pool_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d)
{
    clcam_status st;
    onnx_act *x;
    int64_t v, dims[4];
    if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK || (st = onnx_rank_check(c, n, x, 4)) != CLCAM_OK) return st;
    if ((st = onnx_extra_outputs_check(c, n)) != CLCAM_OK) return st;
    if ((st = spatial_attrs(c, n, d, 0)) != CLCAM_OK) return st;
    if ((st = onnx_attr_int(c, n, "ceil_mode", 0, &v)) != CLCAM_OK) return st;
    if (v) return onnx_node_err(c, n, "ceil_mode is not supported yet");
    if (d->op == GRAPH_OP_MAXPOOL) {
        if ((st = onnx_attr_int(c, n, "storage_order", 0, &v)) != CLCAM_OK) return st;
        if (v) return onnx_node_err(c, n, "storage_order 1 (column-major indices) is not supported");
    } else {
        if ((st = onnx_attr_int(c, n, "count_include_pad", 0, &v)) != CLCAM_OK) return st;
        d->count_include_pad = v != 0;
    }
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    if ((st = spatial_out(c, n, d, x, dims)) != CLCAM_OK) return st;
    return onnx_node_io(c, n, d, &x, 1, 4, dims);
}

/* ---- the other float ops ---- */

static clcam_status batchnorm_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d)
{
    static const graph_param P[4] = {GRAPH_PARAM_WEIGHT, GRAPH_PARAM_BIAS, GRAPH_PARAM_MEAN, GRAPH_PARAM_VAR};
    clcam_status st;
    onnx_act *x;
    int64_t training;
    char s[128];
    if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK || (st = onnx_extra_outputs_check(c, n)) != CLCAM_OK) return st;
    if (x->rank < 2) return onnx_rank_check(c, n, x, 4);
    if ((st = onnx_attr_float(c, n, "epsilon", 1e-5f, &d->epsilon)) != CLCAM_OK) return st;
    if ((st = onnx_attr_int(c, n, "training_mode", 0, &training)) != CLCAM_OK) return st;
    if (training) return onnx_node_err(c, n, "training_mode 1 is not supported: export the model in eval mode");
    if (d->epsilon <= 0) return onnx_node_err(c, n, "epsilon %g must be positive", (double)d->epsilon);
    for (int i = 0; i < 4; i++) {
        int k;
        if ((st = onnx_const_in(c, n, (size_t)i + 1, 0, &k)) != CLCAM_OK) return st;
        const graph_tensor *t = &c->g->consts[k];
        int64_t ch = x->dims[1] != GRAPH_DIM_UNKNOWN ? x->dims[1] : t->dims[0];
        if (t->rank != 1 || t->dims[0] != ch)
            return onnx_node_err(c, n, "%s has shape %s, the input %s has %lld channels", t->name,
                            onnx_dims_str(t->rank, t->dims, s, sizeof s), x->name, (long long)ch);
        d->param[P[i]] = k;
    }
    if (c->g->consts[d->param[GRAPH_PARAM_WEIGHT]].dims[0] != c->g->consts[d->param[GRAPH_PARAM_VAR]].dims[0] ||
        c->g->consts[d->param[GRAPH_PARAM_WEIGHT]].dims[0] != c->g->consts[d->param[GRAPH_PARAM_MEAN]].dims[0] ||
        c->g->consts[d->param[GRAPH_PARAM_WEIGHT]].dims[0] != c->g->consts[d->param[GRAPH_PARAM_BIAS]].dims[0])
        return onnx_node_err(c, n, "scale, bias, mean and var differ in length");
    return onnx_node_io(c, n, d, &x, 1, x->rank, x->dims);
}

/* Relu, Clip, Identity, Dropout, GlobalAveragePool: one activation in. */
static clcam_status unary_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d)
{
    clcam_status st;
    onnx_act *x;
    int64_t dims[GRAPH_MAX_DIMS];
    if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK || (st = onnx_extra_outputs_check(c, n)) != CLCAM_OK) return st;
    memcpy(dims, x->dims, sizeof dims);
    if (d->op == GRAPH_OP_CLIP) {
        d->clip_min = -INFINITY;
        d->clip_max = INFINITY;
        /* Opset 11 moved the bounds from attributes to inputs; the reader reads 11 and later. */
        if ((st = onnx_scalar_in(c, n, 1, &d->clip_min)) != CLCAM_OK) return st;
        if ((st = onnx_scalar_in(c, n, 2, &d->clip_max)) != CLCAM_OK) return st;
        if (d->clip_min > d->clip_max)
            return onnx_node_err(c, n, "min %g is above max %g", (double)d->clip_min, (double)d->clip_max);
    } else if (d->op == GRAPH_OP_DROPOUT) {
        int64_t training = 0;
        /* Opset 12 moved ratio from an attribute to an input and added training_mode. */
        if ((st = onnx_attr_float(c, n, "ratio", 0.5f, &d->ratio)) != CLCAM_OK) return st;
        if ((st = onnx_scalar_in(c, n, 1, &d->ratio)) != CLCAM_OK) return st;
        if (*onnx_in_name(n, 2)) {
            onnx_int *t = onnx_int_find(c, onnx_in_name(n, 2));
            if (!t || t->n != 1) return onnx_node_err(c, n, "training_mode must be a constant boolean");
            training = t->v[0];
        }
        if (training) return onnx_node_err(c, n, "training_mode true is not supported: export the model in eval mode");
    } else if (d->op == GRAPH_OP_GLOBALAVGPOOL) {
        if ((st = onnx_rank_check(c, n, x, 4)) != CLCAM_OK) return st;
        dims[2] = dims[3] = 1;
    }
    return onnx_node_io(c, n, d, &x, 1, x->rank, dims);
}

static clcam_status flatten_out(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d, onnx_act *x, int64_t axis)
{
    int64_t dims[2] = {1, 1};
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis > x->rank) return onnx_node_err(c, n, "axis %lld is outside the input's rank %d", (long long)axis, x->rank);
    d->axis = (int)axis;
    for (int i = 0; i < x->rank; i++) {
        int64_t *o = &dims[i >= axis];
        *o = *o == GRAPH_DIM_UNKNOWN || x->dims[i] == GRAPH_DIM_UNKNOWN ? GRAPH_DIM_UNKNOWN : *o * x->dims[i];
    }
    return onnx_node_io(c, n, d, &x, 1, 2, dims);
}

static clcam_status flatten_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d)
{
    clcam_status st;
    onnx_act *x;
    int64_t axis;
    if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK || (st = onnx_attr_int(c, n, "axis", 1, &axis)) != CLCAM_OK) return st;
    return flatten_out(c, n, d, x, axis);
}

/* torch's flatten before the classifier: Reshape(x, [N, -1]) where N is x's batch (a number,
 * the symbolic batch through Shape/Gather, 0 meaning "keep", or 1 baked in by the export). */
static clcam_status reshape_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d)
{
    clcam_status st;
    onnx_act *x;
    onnx_int *s = onnx_int_find(c, onnx_in_name(n, 1));
    int64_t rest = 1, allowzero;
    char buf[256];
    if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK || (st = onnx_attr_int(c, n, "allowzero", 0, &allowzero)) != CLCAM_OK) return st;
    if (!s) return onnx_node_err(c, n, "the shape %s must be an int64 constant or computed from shapes", onnx_in_name(n, 1));
    for (int i = 1; i < x->rank; i++) rest = rest == GRAPH_DIM_UNKNOWN || x->dims[i] == GRAPH_DIM_UNKNOWN ? GRAPH_DIM_UNKNOWN : rest * x->dims[i];
    int batch_ok = s->n == 2 && (s->v[0] == ONNX_INT_BATCH || (s->v[0] == 0 && !allowzero) ||
                                 (s->v[0] >= 1 && s->v[0] == x->dims[0]) || (s->v[0] == 1 && x->dims[0] == GRAPH_DIM_UNKNOWN));
    int rest_ok = s->n == 2 && (s->v[1] == -1 || (rest != GRAPH_DIM_UNKNOWN && s->v[1] == rest));
    if (x->rank < 2 || !batch_ok || !rest_ok) {
        size_t used = 0;
        buf[0] = 0;
        for (int i = 0; i < s->n && used < sizeof buf - 32; i++) {
            int64_t v = s->v[i];
            if (v == ONNX_INT_BATCH) used += (size_t)snprintf(buf + used, sizeof buf - used, "%sN", i ? ", " : "");
            else if (v == ONNX_INT_UNKNOWN) used += (size_t)snprintf(buf + used, sizeof buf - used, "%s?", i ? ", " : "");
            else used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%lld", i ? ", " : "", (long long)v);
        }
        return onnx_node_err(c, n, "reshape of %s to [%s] is not supported: clcam reads Reshape only as a flatten to [N, -1]",
                        x->name, buf);
    }
    return flatten_out(c, n, d, x, 1);
}

static clcam_status concat_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d)
{
    clcam_status st = CLCAM_OK;
    onnx_act **xs = calloc(n->n_input + 1, sizeof *xs);
    int64_t axis, dims[GRAPH_MAX_DIMS];
    char s1[128], s2[128];
    if (!xs) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    if (!n->n_input) {
        st = onnx_node_err(c, n, "no inputs");
        goto exit;
    }
    if (!onnx_attr_find(n, "axis")) {
        st = onnx_node_err(c, n, "attribute axis is missing");
        goto exit;
    }
    TRY(onnx_attr_int(c, n, "axis", 1, &axis));
    for (size_t i = 0; i < n->n_input; i++) TRY(onnx_act_in(c, n, i, &xs[i]));
    if (axis < 0) axis += xs[0]->rank;
    if (axis < 0 || axis >= xs[0]->rank) {
        st = onnx_node_err(c, n, "axis %lld is outside the inputs' rank %d", (long long)axis, xs[0]->rank);
        goto exit;
    }
    memcpy(dims, xs[0]->dims, sizeof dims);
    for (size_t i = 1; i < n->n_input; i++) {
        int ok = xs[i]->rank == xs[0]->rank;
        for (int k = 0; ok && k < xs[0]->rank; k++)
            ok = k == axis || xs[i]->dims[k] == GRAPH_DIM_UNKNOWN || dims[k] == GRAPH_DIM_UNKNOWN || xs[i]->dims[k] == dims[k];
        if (!ok) {
            st = onnx_node_err(c, n, "inputs %s %s and %s %s differ outside axis %lld", xs[0]->name,
                          onnx_dims_str(xs[0]->rank, xs[0]->dims, s1, sizeof s1), xs[i]->name,
                          onnx_dims_str(xs[i]->rank, xs[i]->dims, s2, sizeof s2), (long long)axis);
            goto exit;
        }
        dims[axis] = dims[axis] == GRAPH_DIM_UNKNOWN || xs[i]->dims[axis] == GRAPH_DIM_UNKNOWN ? GRAPH_DIM_UNKNOWN
                                                                                                 : dims[axis] + xs[i]->dims[axis];
    }
    d->axis = (int)axis;
    st = onnx_node_io(c, n, d, xs, (int)n->n_input, xs[0]->rank, dims);
exit:
    free(xs);
    return st;
}

/* A linear layer's weight as [out, in]: the constant itself, or its transpose (in place when
 * this node is its only reader, else as a new constant "<name>^T"). */
static clcam_status weight_rows(onnx_ctx *c, const Onnx__NodeProto *n, int k, int transpose, int *out)
{
    graph_tensor *t = &c->g->consts[k], tt = {0};
    char s[128];
    if (t->rank != 2)
        return onnx_node_err(c, n, "weight %s has shape %s, expected rank 2", t->name, onnx_dims_str(t->rank, t->dims, s, sizeof s));
    *out = k;
    if (!transpose) return CLCAM_OK;
    int64_t r = t->dims[0], cols = t->dims[1];
    tt.rank = 2;
    tt.dims[0] = cols;
    tt.dims[1] = r;
    tt.count = t->count;
    if (!(tt.data = malloc(t->count * sizeof *tt.data)))
        return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < cols; j++) tt.data[j * r + i] = t->data[i * cols + j];
    if (onnx_readers(c, t->name) == 1) {
        free(t->data);
        t->data = tt.data;
        t->dims[0] = cols;
        t->dims[1] = r;
        return CLCAM_OK;
    }
    if (!(tt.name = malloc(strlen(t->name) + 3))) {
        free(tt.data);
        return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    }
    sprintf(tt.name, "%s^T", t->name);
    if ((*out = graph_desc_const_find(c->g, tt.name)) >= 0) { /* another node transposed it already */
        free(tt.name);
        free(tt.data);
        return CLCAM_OK;
    }
    *out = c->g->n_consts;
    return onnx_const_add(c, &tt);
}

/* A bias of `out` values: [out], [1, out], or a scalar spread to [out] (a new constant). */
static clcam_status bias_vector(onnx_ctx *c, const Onnx__NodeProto *n, int k, int64_t out, int *idx)
{
    graph_tensor *t = &c->g->consts[k], v = {0};
    char s[128];
    *idx = k;
    if ((int64_t)t->count == out && (t->rank == 1 || (t->rank == 2 && t->dims[0] == 1))) {
        t->rank = 1;
        t->dims[0] = out;
        return CLCAM_OK;
    }
    if (t->count != 1)
        return onnx_node_err(c, n, "bias %s has shape %s, expected [%lld] (broadcasting over the batch is not supported)",
                        t->name, onnx_dims_str(t->rank, t->dims, s, sizeof s), (long long)out);
    v.rank = 1;
    v.dims[0] = out;
    v.count = (size_t)out;
    if (!(v.data = malloc((size_t)out * sizeof *v.data)) || !(v.name = malloc(strlen(t->name) + 8))) {
        free(v.data);
        return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
    }
    for (int64_t i = 0; i < out; i++) v.data[i] = t->data[0];
    sprintf(v.name, "%s[%lld]", t->name, (long long)out);
    if ((*idx = graph_desc_const_find(c->g, v.name)) >= 0) { /* spread already */
        free(v.name);
        free(v.data);
        return CLCAM_OK;
    }
    *idx = c->g->n_consts;
    return onnx_const_add(c, &v);
}

/* Gemm (A activation, B and C constants) and MatMul (an Add after it may fold in later). */
static clcam_status linear_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d, int gemm)
{
    clcam_status st;
    onnx_act *x;
    int b, bias = -1;
    int64_t trans_a = 0, trans_b = 0, dims[2];
    char s[128];
    if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK || (st = onnx_const_in(c, n, 1, 0, &b)) != CLCAM_OK) return st;
    if (gemm) {
        if ((st = onnx_attr_int(c, n, "transA", 0, &trans_a)) != CLCAM_OK || (st = onnx_attr_int(c, n, "transB", 0, &trans_b)) != CLCAM_OK ||
            (st = onnx_attr_float(c, n, "alpha", 1, &d->alpha)) != CLCAM_OK || (st = onnx_attr_float(c, n, "beta", 1, &d->beta)) != CLCAM_OK)
            return st;
        if (trans_a) return onnx_node_err(c, n, "transA 1 is not supported (the input is the activation)");
    }
    if (x->rank != 2)
        return onnx_node_err(c, n, "input %s has shape %s, a linear layer reads [N, features] (flatten first)", x->name,
                        onnx_dims_str(x->rank, x->dims, s, sizeof s));
    d->trans_b = trans_b != 0;
    if ((st = weight_rows(c, n, b, !trans_b, &d->param[GRAPH_PARAM_WEIGHT])) != CLCAM_OK) return st;
    const graph_tensor *w = &c->g->consts[d->param[GRAPH_PARAM_WEIGHT]];
    if (x->dims[1] != GRAPH_DIM_UNKNOWN && x->dims[1] != w->dims[1])
        return onnx_node_err(c, n, "input %s has %lld features, weight %s reads %lld", x->name, (long long)x->dims[1],
                        c->g->consts[b].name, (long long)w->dims[1]);
    int64_t out = w->dims[0];
    if (gemm && (st = onnx_const_in(c, n, 2, 1, &bias)) != CLCAM_OK) return st;
    if (bias >= 0 && (st = bias_vector(c, n, bias, out, &d->param[GRAPH_PARAM_BIAS])) != CLCAM_OK) return st;
    dims[0] = x->dims[0];
    dims[1] = out;
    return onnx_node_io(c, n, d, &x, 1, 2, dims);
}

/* Add: of two activations of one shape; or of a bias vector after a linear layer without one
 * (MatMul + Add as torch writes x @ W + b), folded into it. */
static clcam_status add_convert(onnx_ctx *c, const Onnx__NodeProto *n, int index)
{
    clcam_status st;
    onnx_act *xs[2];
    graph_node *d;
    char s1[128], s2[128];
    if (n->n_input != 2) return onnx_node_err(c, n, "Add takes 2 inputs, the node has %zu", n->n_input);
    int k0 = graph_desc_const_find(c->g, onnx_in_name(n, 0)), k1 = graph_desc_const_find(c->g, onnx_in_name(n, 1));
    if ((k0 >= 0) != (k1 >= 0)) {
        const char *act = onnx_in_name(n, k0 >= 0 ? 1 : 0);
        int lin = graph_desc_node_find(c->g, act), k = k0 >= 0 ? k0 : k1;
        graph_node *l = lin >= 0 ? &c->g->nodes[lin] : NULL;
        if (!l || l->op != GRAPH_OP_LINEAR || l->param[GRAPH_PARAM_BIAS] >= 0 || onnx_readers(c, act) != 1)
            return onnx_node_err(c, n, "adding the constant %s is supported only as the bias after MatMul", c->g->consts[k].name);
        if ((st = bias_vector(c, n, k, l->out_dims[1], &l->param[GRAPH_PARAM_BIAS])) != CLCAM_OK) return st;
        l->beta = 1;
        /* The linear node now writes the Add's output. */
        char *name = strdup(onnx_str(n->output[0]));
        onnx_act *a = onnx_act_find(c, act);
        if (!name) return err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
        free(l->output);
        l->output = name;
        return onnx_act_add(c, name, a->rank, a->dims);
    }
    if ((st = onnx_act_in(c, n, 0, &xs[0])) != CLCAM_OK || (st = onnx_act_in(c, n, 1, &xs[1])) != CLCAM_OK) return st;
    if (!onnx_dims_match(xs[0], xs[1]))
        return onnx_node_err(c, n, "inputs %s %s and %s %s differ in shape (broadcasting is not supported)", xs[0]->name,
                        onnx_dims_str(xs[0]->rank, xs[0]->dims, s1, sizeof s1), xs[1]->name,
                        onnx_dims_str(xs[1]->rank, xs[1]->dims, s2, sizeof s2));
    if ((st = onnx_node_add(c, GRAPH_OP_ADD, n, index, &d)) != CLCAM_OK) return st;
    int64_t dims[GRAPH_MAX_DIMS];
    for (int i = 0; i < xs[0]->rank; i++) dims[i] = xs[0]->dims[i] != GRAPH_DIM_UNKNOWN ? xs[0]->dims[i] : xs[1]->dims[i];
    return onnx_node_io(c, n, d, xs, 2, xs[0]->rank, dims);
}

static clcam_status pad_convert(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d)
{
    clcam_status st;
    onnx_act *x;
    int64_t pads[2 * GRAPH_MAX_DIMS], dims[GRAPH_MAX_DIMS];
    int cnt = 0;
    char mode[32];
    if ((st = onnx_act_in(c, n, 0, &x)) != CLCAM_OK || (st = onnx_rank_check(c, n, x, 4)) != CLCAM_OK) return st;
    if ((st = onnx_attr_str(c, n, "mode", mode, sizeof mode)) != CLCAM_OK) return st;
    if (!*mode || !strcmp(mode, "constant")) d->pad_mode = GRAPH_PAD_CONSTANT;
    else if (!strcmp(mode, "reflect")) d->pad_mode = GRAPH_PAD_REFLECT;
    else if (!strcmp(mode, "edge")) d->pad_mode = GRAPH_PAD_EDGE;
    else return onnx_node_err(c, n, "mode %s is not supported (constant, reflect, edge)", mode);
    { /* opset 11 and later: pads and the value are inputs */
        onnx_int *p = onnx_int_find(c, onnx_in_name(n, 1));
        if (!p) return onnx_node_err(c, n, "pads (%s) must be an int64 constant", onnx_in_name(n, 1));
        if (*onnx_in_name(n, 3)) return onnx_node_err(c, n, "the axes input is not supported");
        cnt = p->n;
        for (int i = 0; i < cnt && i < 8; i++) pads[i] = p->v[i];
        if ((st = onnx_scalar_in(c, n, 2, &d->pad_value)) != CLCAM_OK) return st;
    }
    if (cnt != 8) return onnx_node_err(c, n, "pads has %d values, a 4-D input needs 8", cnt);
    for (int i = 0; i < 8; i++)
        if (pads[i] < 0 || pads[i] > 4096) return onnx_node_err(c, n, "pads must be between 0 and 4096 (cropping is not supported)");
    if (pads[0] || pads[1] || pads[4] || pads[5]) return onnx_node_err(c, n, "padding the batch or channels is not supported");
    d->pads[0] = (int)pads[2];
    d->pads[1] = (int)pads[3];
    d->pads[2] = (int)pads[6];
    d->pads[3] = (int)pads[7];
    memcpy(dims, x->dims, sizeof dims);
    for (int i = 0; i < 2; i++)
        if (dims[2 + i] != GRAPH_DIM_UNKNOWN) dims[2 + i] += d->pads[i] + d->pads[2 + i];
    if (d->pad_mode == GRAPH_PAD_REFLECT && x->dims[2] != GRAPH_DIM_UNKNOWN &&
        (d->pads[0] >= x->dims[2] || d->pads[2] >= x->dims[2] || d->pads[1] >= x->dims[3] || d->pads[3] >= x->dims[3]))
        return onnx_node_err(c, n, "reflect padding must be smaller than the input");
    return onnx_node_io(c, n, d, &x, 1, 4, dims);
}

clcam_status onnx_node_convert(onnx_ctx *c, const Onnx__NodeProto *n, int index)
{
    static const struct {
        const char *name;
        graph_op op;
    } FLOAT_OPS[] = {{"Conv", GRAPH_OP_CONV}, {"BatchNormalization", GRAPH_OP_BATCHNORM}, {"Relu", GRAPH_OP_RELU},
                     {"Clip", GRAPH_OP_CLIP}, {"Concat", GRAPH_OP_CONCAT}, {"MaxPool", GRAPH_OP_MAXPOOL},
                     {"AveragePool", GRAPH_OP_AVGPOOL}, {"GlobalAveragePool", GRAPH_OP_GLOBALAVGPOOL},
                     {"Flatten", GRAPH_OP_FLATTEN}, {"Gemm", GRAPH_OP_LINEAR}, {"MatMul", GRAPH_OP_LINEAR},
                     {"Identity", GRAPH_OP_IDENTITY}, {"Dropout", GRAPH_OP_DROPOUT}, {"Pad", GRAPH_OP_PAD},
                     {"Reshape", GRAPH_OP_FLATTEN}};
    const char *op = onnx_str(n->op_type), *dom = onnx_str(n->domain);
    graph_node *d = NULL;
    clcam_status st;
    if ((*dom && strcmp(dom, "ai.onnx")) || n->n_output < 1 || !*onnx_str(n->output[0])) {
        if (!*dom || !strcmp(dom, "ai.onnx")) return onnx_node_err(c, n, "the node has no output");
        return onnx_node_err(c, n, "operator domain %s is not supported; clcam reads %s", dom, ONNX_SUPPORTED_OPS);
    }
    if (!strcmp(op, "Constant")) return onnx_constant_convert(c, n);
    /* Shape computations stay on the host; Identity and Concat of constants or shapes too. */
    onnx_int *iv = n->n_input ? onnx_int_find(c, onnx_in_name(n, 0)) : NULL;
    int k = n->n_input ? graph_desc_const_find(c->g, onnx_in_name(n, 0)) : -1;
    if (!strcmp(op, "Shape") || ((!strcmp(op, "Gather") || !strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze") ||
                                  !strcmp(op, "Cast") || !strcmp(op, "Concat")) && iv))
        return onnx_shape_op_convert(c, n, op);
    if (!strcmp(op, "Identity") && (iv || k >= 0)) return onnx_alias_convert(c, n, k, iv);
    if (!strcmp(op, "Add")) return add_convert(c, n, index);
    for (size_t i = 0; i < sizeof FLOAT_OPS / sizeof *FLOAT_OPS; i++) {
        if (strcmp(op, FLOAT_OPS[i].name)) continue;
        if ((st = onnx_node_add(c, FLOAT_OPS[i].op, n, index, &d)) != CLCAM_OK) return st;
        switch (FLOAT_OPS[i].op) {
        case GRAPH_OP_CONV: return conv_convert(c, n, d);
        case GRAPH_OP_BATCHNORM: return batchnorm_convert(c, n, d);
        case GRAPH_OP_MAXPOOL:
        case GRAPH_OP_AVGPOOL: return pool_convert(c, n, d);
        case GRAPH_OP_CONCAT: return concat_convert(c, n, d);
        case GRAPH_OP_FLATTEN: return op[0] == 'R' ? reshape_convert(c, n, d) : flatten_convert(c, n, d);
        case GRAPH_OP_LINEAR: return linear_convert(c, n, d, op[0] == 'G');
        case GRAPH_OP_PAD: return pad_convert(c, n, d);
        default: return unary_convert(c, n, d);
        }
    }
    return onnx_node_err(c, n, "operator %s is not supported; clcam reads %s", op, ONNX_SUPPORTED_OPS);
}
