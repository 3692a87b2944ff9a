#include "model.h"
#include "layer_scope.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../io/h5util.h"
#include "../../io/weights.h"

/* The reference SimpleCNN: three conv-relu-pool blocks, then two linear layers. */
#define SPEC(k, n, ks, s, p) {.kind = k, .name = n, .kernel = ks, .stride = s, .pad = p}
static const layer_spec SIMPLECNN[] = {
    SPEC(LAYER_CONV, "conv1", 3, 1, 1),  SPEC(LAYER_RELU, "relu1", 0, 0, 0), SPEC(LAYER_MAXPOOL, "pool1", 2, 2, 0),
    SPEC(LAYER_CONV, "conv2", 3, 1, 1),  SPEC(LAYER_RELU, "relu2", 0, 0, 0), SPEC(LAYER_MAXPOOL, "pool2", 2, 2, 0),
    SPEC(LAYER_CONV, "conv3", 3, 1, 1),  SPEC(LAYER_RELU, "relu3", 0, 0, 0), SPEC(LAYER_MAXPOOL, "pool3", 2, 2, 0),
    SPEC(LAYER_FLATTEN, "flatten", 0, 0, 0),
    SPEC(LAYER_LINEAR, "fc1", 0, 0, 0),  SPEC(LAYER_RELU, "relu4", 0, 0, 0),
    SPEC(LAYER_LINEAR, "fc2", 0, 0, 0),
};

/* The widths `clcam train` gives a preset when no weights exist yet (0: not a conv or
 * linear, or the last linear, whose width is the class count): the shared SimpleCNN's. */
static const int SIMPLECNN_WIDTHS[] = {32, 0, 0, 64, 0, 0, 128, 0, 0, 0, 512, 0, 0};
_Static_assert(sizeof SIMPLECNN_WIDTHS / sizeof *SIMPLECNN_WIDTHS ==
               sizeof SIMPLECNN / sizeof *SIMPLECNN, "simplecnn widths");

static const struct {
    const char *name;
    const layer_spec *specs;
    int n;
    const int *widths;
} PRESETS[] = {
    {"simplecnn", SIMPLECNN, (int)(sizeof SIMPLECNN / sizeof *SIMPLECNN), SIMPLECNN_WIDTHS},
};

_Static_assert(CONFIG_LAYERS_MAX <= MODEL_MAX_LAYERS, "model.layers fits a model");

/* "features.0" + "weight" -> "features/0/weight": the state_dict key with dots as groups. */
static void param_path(char *buf, size_t n, const char *layer_name, const char *param)
{
    snprintf(buf, n, "%s/%s", layer_name, param);
    for (char *p = buf; *p; p++)
        if (*p == '.') *p = '/';
}

/* Does the link path (groups separated by '/') exist? Checked level by level, as H5Lexists
 * needs. */
static int param_exists(hid_t file, const char *path)
{
    char buf[256];
    size_t n = strlen(path);
    if (n >= sizeof buf) return 0;
    memcpy(buf, path, n + 1);
    for (size_t i = 0; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char keep = buf[i];
        buf[i] = '\0';
        int ok = H5Lexists(file, buf, H5P_DEFAULT) > 0;
        buf[i] = keep;
        if (!ok) return 0;
    }
    return 1;
}

static const char *const PARAM_NAMES[GRAPH_PARAM_COUNT] = {"weight", "bias", "running_mean",
                                                            "running_var"};

/* Where parameters come from: the HDF5 weights file by layer name (name/weight), or a graph's
 * constants by the spec's indices (spec->param); neither when the trainer fills them. */
typedef struct {
    hid_t file;
    const graph_desc *g;
    const char *fname;     /* for messages */
} param_src;

static int src_has(const param_src *s) { return s->file >= 0 || s->g; }

static int param_has(const param_src *s, const layer_spec *spec, const char *lname, int which)
{
    char path[160];
    if (s->g) return spec->param[which] >= 0;
    param_path(path, sizeof path, lname, PARAM_NAMES[which]);
    return param_exists(s->file, path);
}

/* Parameter `which` of layer lname as float32, its shape in dims (expect[i] < 0: any size),
 * as weights_read does for the HDF5 file. */
static clcam_status param_read(const param_src *s, const layer_spec *spec, const char *lname,
                               int which, int rank, const long *expect, long *dims, float **out,
                               clcam_err *err)
{
    char path[160];
    if (!s->g) {
        param_path(path, sizeof path, lname, PARAM_NAMES[which]);
        return weights_read(s->file, s->fname, path, rank, expect, dims, out, err);
    }
    int c = spec->param[which];
    if (c < 0 || c >= s->g->n_consts)
        return err_set(err, CLCAM_ERR_INPUT, "%s: node %s has no %s", s->fname, lname,
                       PARAM_NAMES[which]);
    const graph_tensor *t = &s->g->consts[c];
    int ok = t->rank == rank;
    for (int d = 0; ok && d < rank; d++) {
        dims[d] = (long)t->dims[d];
        ok = expect[d] < 0 || expect[d] == dims[d];
    }
    if (!ok) {
        char want[64] = "", got[64] = "";
        size_t a = 0, b = 0;
        for (int d = 0; d < rank && a < sizeof want; d++)
            a += (size_t)snprintf(want + a, sizeof want - a, "%s%ld", d ? "x" : "", expect[d]);
        for (int d = 0; d < t->rank && b < sizeof got; d++)
            b += (size_t)snprintf(got + b, sizeof got - b, "%s%lld", d ? "x" : "", (long long)t->dims[d]);
        return err_set(err, CLCAM_ERR_INPUT, "%s: node %s: %s %s is %s, expected %s (-1: any)",
                       s->fname, lname, PARAM_NAMES[which], t->name, got, want);
    }
    if (!(*out = malloc(sizeof(float) * (t->count ? t->count : 1))))
        return err_set(err, CLCAM_ERR_NOMEM, "out of memory for %s's %s", lname, PARAM_NAMES[which]);
    memcpy(*out, t->data, sizeof(float) * t->count);
    return CLCAM_OK;
}

/* Reads name/weight and name/bias for a conv or linear layer; sets out_features (and a conv's
 * kernel when the spec leaves it to the weights). A conv without bias gets zeros. */
static clcam_status load_params(layer *l, const layer_spec *spec, const param_src *src,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char wname[160], bname[160];
    long dims[4], bdims[1];
    const char *fname = src->fname;
    param_path(wname, sizeof wname, l->name, "weight");
    param_path(bname, sizeof bname, l->name, "bias");
    l->no_bias = spec->no_bias;
    if (!src_has(src)) { /* no weights yet: zeros of the spec's shape, for the trainer to fill */
        int k = l->kind == LAYER_CONV ? spec->kernel : 1;
        if (spec->out < 1 || k < 1) {
            st = err_set(err, CLCAM_ERR_INPUT, "layer %s: without weights, a %s layer needs out%s "
                         "in model.layers", l->name, LAYER_OPS[l->kind]->kind_name,
                         l->kind == LAYER_CONV ? " and kernel" : "");
            goto exit;
        }
        l->kernel = l->kind == LAYER_CONV ? k : l->kernel;
        l->out_features = spec->out;
        l->n_weight = spec->out * (l->in.c / (l->groups > 1 ? l->groups : 1)) * k * k;
        l->n_bias = spec->out;
        if (!(l->weight = calloc((size_t)l->n_weight, sizeof *l->weight)) ||
            !(l->bias = calloc((size_t)l->n_bias, sizeof *l->bias)))
            st = err_set(err, CLCAM_ERR_NOMEM, "out of memory for %s's parameters", l->name);
        goto exit;
    }
    if (l->kind == LAYER_CONV) {
        long expect[4] = {spec->out > 0 ? spec->out : -1, l->in.c / (l->groups > 1 ? l->groups : 1),
                          l->kernel > 0 ? l->kernel : -1,
                          l->kernel > 0 ? l->kernel : -1};
        TRY(param_read(src, spec, l->name, GRAPH_PARAM_WEIGHT, 4, expect, dims, &l->weight, err));
        if (dims[2] != dims[3]) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: /%s is a %ldx%ld kernel; clcam supports square "
                         "kernels only", fname, wname, dims[2], dims[3]);
            goto exit;
        }
        l->kernel = (int)dims[2];
        l->n_weight = (int)(dims[0] * dims[1] * dims[2] * dims[3]);
    } else {
        long expect[2] = {spec->out > 0 ? spec->out : -1, l->in.c};
        TRY(param_read(src, spec, l->name, GRAPH_PARAM_WEIGHT, 2, expect, dims, &l->weight, err));
        l->n_weight = (int)(dims[0] * dims[1]);
    }
    l->out_features = (int)dims[0];
    l->n_bias = l->out_features;
    if (spec->no_bias) {
        if (param_has(src, spec, l->name, GRAPH_PARAM_BIAS)) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: layer %s says bias: false, but /%s exists",
                         fname, l->name, bname);
            goto exit;
        }
        if (!(l->bias = calloc((size_t)l->n_bias, sizeof *l->bias))) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for %s's bias", fname, l->name);
            goto exit;
        }
    } else {
        long expect[1] = {l->out_features};
        if (l->kind == LAYER_CONV && !param_has(src, spec, l->name, GRAPH_PARAM_BIAS)) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: no dataset /%s (a conv without bias needs "
                         "bias: false in model.layers)", fname, bname);
            goto exit;
        }
        TRY(param_read(src, spec, l->name, GRAPH_PARAM_BIAS, 1, expect, bdims, &l->bias, err));
    }
exit:
    return st;
}

/* Folds eval-mode batchnorm bn (gamma, beta, running mean and variance from the weights) into
 * conv, the layer before it: w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps),
 * computed in double and rounded once. */
static clcam_status fold_batchnorm(layer *conv, const layer *bn, const layer_spec *spec, float eps,
                                   const param_src *src, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    float *p[4] = {NULL, NULL, NULL, NULL};
    long expect[1] = {conv->out_features}, dims[1];
    const char *fname = src->fname;
    int per_k = conv->n_weight / conv->out_features;
    for (int i = 0; i < 4; i++)
        TRY(param_read(src, spec, bn->name, i, 1, expect, dims, &p[i], err));
    for (int k = 0; k < conv->out_features; k++) {
        double var = (double)p[3][k] + eps;
        if (!(var > 0.0)) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: /%s/running_var[%d] + eps = %g is not positive",
                         fname, bn->name, k, var);
            goto exit;
        }
        double scale = p[0][k] / sqrt(var);
        for (int j = 0; j < per_k; j++)
            conv->weight[(size_t)k * per_k + j] = (float)(conv->weight[(size_t)k * per_k + j] * scale);
        conv->bias[k] = (float)(((double)conv->bias[k] - p[2][k]) * scale + p[1][k]);
    }
exit:
    for (int i = 0; i < 4; i++) free(p[i]);
    return st;
}

/* A batchnorm not folded, for training (train) or at inference with no conv to fold into:
 * gamma, beta and the running statistics from the weights file, or PyTorch's initial values
 * (1, 0, 0, 1) without one. C channels. */
static clcam_status load_batchnorm(layer *l, const layer_spec *spec, int C, int train, float eps,
                                   const param_src *src, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    float **p[4] = {&l->weight, &l->bias, &l->running_mean, &l->running_var};
    long expect[1] = {C}, dims[1];
    l->bn_train = train;
    l->bn_unfolded = !train;
    l->eps = eps;
    l->momentum = 0.1f;
    l->n_weight = l->n_bias = C;
    l->out_features = C;
    for (int i = 0; i < 4; i++) {
        if (src_has(src)) {
            TRY(param_read(src, spec, l->name, i, 1, expect, dims, p[i], err));
        } else {
            if (!(*p[i] = malloc(sizeof(float) * (size_t)C))) {
                st = err_set(err, CLCAM_ERR_NOMEM, "out of memory for %s's parameters", l->name);
                goto exit;
            }
            for (int c = 0; c < C; c++) (*p[i])[c] = i == 0 || i == 3 ? 1.0f : 0.0f;
        }
    }
exit:
    return st;
}

/* The kinds graph models brought in run at inference only (their parameter gradients are
 * not written). */
static clcam_status model_check_new_kind(const layer *l, int train, clcam_err *err)
{
    const char *what = l->kind == LAYER_CLIP  ? "a clip layer"
                       : l->kind == LAYER_PAD ? "a pad layer"
                       : l->groups > 1        ? "a grouped convolution"
                       : (l->kind == LAYER_MAXPOOL || l->kind == LAYER_AVGPOOL) && l->pad > 0
                           ? "a padded pool"
                           : NULL;
    if (train && what)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: clcam train does not train %s (inference "
                       "only: run, cam)", l->name, what);
    return CLCAM_OK;
}

int model_fusion_enabled(void)
{
    const char *v = getenv("CLCAM_FUSE");
    return !(v && strcmp(v, "0") == 0);
}

int model_readers(const model *m, int i)
{
    int n = 0;
    for (int j = i + 1; j < m->n_layers; j++)
        for (int k = 0; k < m->layers[j].n_inputs; k++) n += m->layers[j].inputs[k] == i;
    return n;
}

/* The first layer reading the output of layer i, or -1. */
static int model_first_reader(const model *m, int i)
{
    for (int j = i + 1; j < m->n_layers; j++)
        for (int k = 0; k < m->layers[j].n_inputs; k++)
            if (m->layers[j].inputs[k] == i) return j;
    return -1;
}

/* The conv or add whose output ReLU i alone reads, through aliases each read only by the
 * next (folded batchnorms, identities), or -1: where the ReLU can be applied (layer.h,
 * relu_out). */
static int model_relu_source(const model *m, int i)
{
    int s = m->layers[i].inputs[0];
    while (s >= 0 && model_readers(m, s) == 1) {
        const layer *l = &m->layers[s];
        if (!layer_output_aliases_input(l))
            return l->kind == LAYER_CONV || l->kind == LAYER_ADD ? s : -1;
        if (l->n_inputs != 1) return -1;
        s = l->inputs[0];
    }
    return -1;
}

/* Undoes the fusion of ReLU i into its source (the CAM reads a tensor on the way, which must
 * hold the values before the ReLU). */
static void model_unfuse_relu_source(model *m, int i)
{
    int s = model_relu_source(m, i);
    m->layers[i].relu_in_source = 0;
    if (s >= 0) m->layers[s].relu_out = 0;
}

/* Inference only: each ReLU whose output only a max-pool reads is fused into it (layer.h,
 * fuse_relu), and each other one whose input only it reads, made by a conv or an add, into
 * that conv or add (relu_out, relu_in_source). Not a ReLU of the network input, which is not
 * a layer's output to alias, and never for training, whose steps keep every layer as it is.
 * model_check_cam_layer undoes it for the CAM's layer, whose output must be written. */
static void model_plan_fusion(model *m)
{
    if (!model_fusion_enabled()) return;
    for (int i = 0; i < m->n_layers; i++) {
        int r = model_first_reader(m, i);
        if (m->layers[i].kind == LAYER_RELU && m->layers[i].inputs[0] >= 0 && r >= 0 &&
            model_readers(m, i) == 1 && m->layers[r].kind == LAYER_MAXPOOL &&
            m->layers[r].pad == 0) /* padded positions are -inf, not ReLU's 0 */
            m->layers[i].fuse_relu = m->layers[r].fuse_relu = 1;
    }
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        int s = l->kind == LAYER_RELU && !l->fuse_relu ? model_relu_source(m, i) : -1;
        if (s >= 0 && !m->layers[s].relu_out) m->layers[s].relu_out = l->relu_in_source = 1;
    }
}

/* The conv whose output input k of add a is, through aliases each read only by the next
 * (folded batchnorms, identities) and none of them the CAM layer t, the conv read by the add's
 * chain alone; or -1. */
static int model_residual_conv(const model *m, int a, int k, int t)
{
    int s = m->layers[a].inputs[k];
    while (s >= 0 && s != t && model_readers(m, s) == 1) {
        const layer *l = &m->layers[s];
        if (!layer_output_aliases_input(l))
            return l->kind == LAYER_CONV && l->groups <= 1 && !l->residual_in ? s : -1;
        if (l->n_inputs != 1) return -1;
        s = l->inputs[0];
    }
    return -1;
}

/* Inference only, once the CAM layer t is known: each add of two inputs where one is a conv's
 * output (model_residual_conv) and the other was made before that conv is done in the conv's
 * stores (layer.h, residual_in, add_in_conv), the add's skipped ReLU with it. Not where the
 * CAM reads the conv's output on the way (it must hold the values before the add). */
static void model_plan_residual(model *m, int t)
{
    if (!m->fusion || m->train) return;
    for (int a = 0; a < m->n_layers; a++) {
        layer *l = &m->layers[a];
        if (l->kind != LAYER_ADD || l->n_inputs != 2) continue;
        for (int k = 0; k < 2; k++) {
            int c = model_residual_conv(m, a, k, t), other = l->inputs[1 - k];
            if (c < 0 || other < 0 || other >= c) continue;
            m->layers[c].residual_in = other + 1;
            m->layers[c].relu_out = l->relu_out;
            l->relu_out = 0;
            l->add_in_conv = 1;
            l->alias_input = k;
            break;
        }
    }
}

/* The layers spec reads, as indices of the earlier layers (-1: the network input): its
 * inputs by name, or the layer before it. */
static clcam_status model_link_inputs(model *m, const layer_spec *spec, int i, clcam_err *err)
{
    layer *l = &m->layers[i];
    l->n_inputs = spec->n_inputs > 0 ? spec->n_inputs : 1;
    if (spec->n_inputs > LAYER_INPUTS_MAX)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: at most %d inputs, got %d", l->name,
                       LAYER_INPUTS_MAX, spec->n_inputs);
    if (spec->n_inputs > 1 && !LAYER_OPS[l->kind]->multi_input)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %s layer reads one input, got %d",
                       l->name, LAYER_OPS[l->kind]->kind_name, spec->n_inputs);
    if (LAYER_OPS[l->kind]->multi_input && spec->n_inputs < 2)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %s layer needs inputs: with two or more "
                       "layer names", l->name, LAYER_OPS[l->kind]->kind_name);
    for (int k = 0; k < l->n_inputs; k++) {
        int j = spec->n_inputs > 0 ? -2 : i - 1;
        for (int p = i - 1; p >= 0 && j == -2; p--)
            if (strcmp(m->layers[p].name, spec->inputs[k]) == 0) j = p;
        if (j == -2 && strcmp(spec->inputs[k], "input") == 0) j = -1;
        if (j == -2) {
            return err_set(err, CLCAM_ERR_INPUT, "layer %s: input '%s' is no earlier layer (layers "
                           "read only layers before them, or input)", l->name, spec->inputs[k]);
        }
        l->inputs[k] = j;
        l->in_shapes[k] = j < 0 ? m->input : m->layers[j].out;
    }
    l->in = l->in_shapes[0];
    if (LAYER_OPS[l->kind]->aliases_input && l->inputs[0] < 0)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %s layer cannot read the network input "
                       "directly (its output would be the input's buffer)", l->name,
                       LAYER_OPS[l->kind]->kind_name);
    return CLCAM_OK;
}

/* Does spec j read spec i (its inputs by name, or the one before it by default)? */
static int spec_reads(const layer_spec *specs, int j, int i)
{
    if (specs[j].n_inputs == 0) return j == i + 1;
    for (int k = 0; k < specs[j].n_inputs; k++)
        if (strcmp(specs[j].inputs[k], specs[i].name) == 0) return 1;
    return 0;
}

/* How many later specs read spec i's output: decided before the later layers are built. */
static int spec_readers(const layer_spec *specs, int n_specs, int i)
{
    int n = 0;
    for (int j = i + 1; j < n_specs; j++) n += spec_reads(specs, j, i);
    return n;
}

#define BUILD_TRAIN 1      /* for clcam train (model_load_config_mode) */
#define BUILD_ANY_OUTPUT 2 /* the last layer may be any tensor, not only class scores */

/* Parameters from the HDF5 file weights_path, or with g from its constants (weights_path then
 * only names the file in messages), or neither: zeros for the trainer. */
static clcam_status model_build_mode(model *m, const layer_spec *specs, int n_specs,
                                     const char *weights_path, const graph_desc *g,
                                     layer_shape input, int flags, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int train = flags & BUILD_TRAIN;
    param_src src = {H5I_INVALID_HID, g, weights_path};
    layer_shape shape = input;
    memset(m, 0, sizeof *m);
    m->input = input;
    m->train = train;
    m->cam_t = -1;
    if (n_specs < 1 || n_specs > MODEL_MAX_LAYERS) {
        st = err_set(err, CLCAM_ERR_INPUT, "a model needs 1 to %d layers, got %d", MODEL_MAX_LAYERS, n_specs);
        goto exit;
    }
    if (weights_path && !g) TRY(h5_open_read(weights_path, "weights", &src.file, err));
    for (int i = 0; i < n_specs; i++) {
        layer *l = &m->layers[i];
        l->kind = specs[i].kind;
        snprintf(l->name, sizeof l->name, "%s", specs[i].name);
        if (specs[i].tensor && strcmp(specs[i].tensor, specs[i].name) != 0)
            snprintf(l->tensor, sizeof l->tensor, "%s", specs[i].tensor);
        l->kernel = specs[i].kernel;
        l->stride = specs[i].stride;
        l->pad = specs[i].pad;
        l->global_pool = specs[i].global_pool;
        l->groups = specs[i].groups > 1 ? specs[i].groups : 1;
        l->clip_min = specs[i].has_min ? specs[i].clip_min : -INFINITY;
        l->clip_max = specs[i].has_max ? specs[i].clip_max : INFINITY;
        l->count_include_pad = !specs[i].exclude_pad;
        memcpy(l->pads, specs[i].pads, sizeof l->pads);
        m->n_layers = i + 1;
        TRY(model_link_inputs(m, &specs[i], i, err));
        TRY(model_check_new_kind(l, train, err));
        if (train && (l->n_inputs != 1 || l->inputs[0] != i - 1)) {
            char reads[256] = "";
            size_t used = 0;
            for (int k = 0; k < l->n_inputs && used < sizeof reads; k++)
                used += (size_t)snprintf(reads + used, sizeof reads - used, "%s%s", k ? ", " : "",
                                         l->inputs[k] < 0 ? "input" : m->layers[l->inputs[k]].name);
            st = err_set(err, CLCAM_ERR_INPUT, "layer %s: clcam train trains sequential models "
                         "only (each layer reading the one before it); this one reads %s", l->name,
                         reads);
            goto exit;
        }
        if (l->kind == LAYER_CONV && l->inputs[0] >= 0 && m->layers[l->inputs[0]].pad_folded)
            l->pad += m->layers[l->inputs[0]].pads[0];
        /* a symmetric zero pad whose only reader is the conv right after it: the conv pads as
         * it reads (exact, and no padded copy) */
        if (l->kind == LAYER_PAD && i + 1 < n_specs && specs[i + 1].kind == LAYER_CONV &&
            spec_readers(specs, n_specs, i) == 1 && spec_reads(specs, i + 1, i) &&
            l->pads[0] == l->pads[1] && l->pads[0] == l->pads[2] && l->pads[0] == l->pads[3]) {
            l->pad_folded = 1;
        }
        if (l->kind == LAYER_LINEAR && (l->in.h != 1 || l->in.w != 1))
            TRY(LAYER_OPS[l->kind]->output_shape(l, err)); /* "add a flatten", not a shape clash */
        if (l->kind == LAYER_CONV || l->kind == LAYER_LINEAR)
            TRY(load_params(l, &specs[i], &src, err));
        if (l->kind == LAYER_BATCHNORM) {
            float eps = specs[i].eps > 0 ? specs[i].eps : 1e-5f;
            int c = l->inputs[0];
            /* folded into the conv it reads where it is that conv's only reader, else on its own */
            if (c < 0 || m->layers[c].kind != LAYER_CONV || spec_readers(specs, n_specs, c) != 1) {
                if (train) {
                    st = err_set(err, CLCAM_ERR_INPUT, "layer %s: training needs a batchnorm directly "
                                 "after a conv layer, as its only reader, but it follows %s", l->name,
                                 c >= 0 ? m->layers[c].name : "the input");
                    goto exit;
                }
                TRY(load_batchnorm(l, &specs[i], l->in.c, 0, eps, &src, err));
            } else if (train)
                TRY(load_batchnorm(l, &specs[i], m->layers[c].out_features, 1, eps, &src, err));
            else if (src_has(&src))
                TRY(fold_batchnorm(&m->layers[c], l, &specs[i], eps, &src, err));
        }
        TRY(LAYER_OPS[l->kind]->output_shape(l, err));
        shape = l->out;
    }
    if (!(flags & BUILD_ANY_OUTPUT) && (shape.h != 1 || shape.w != 1 || shape.c < 2)) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: the model ends in a %dx%dx%d tensor, expected class scores",
                     weights_path ? weights_path : "model", shape.c, shape.h, shape.w);
        goto exit;
    }
    m->classes = shape.c;
    m->fusion = !train && model_fusion_enabled();
    if (!train) model_plan_fusion(m);
    for (int i = 0; i < m->n_layers; i++) m->layers[i].weights_fixed = !train;
exit:
    if (src.file >= 0) H5Fclose(src.file);
    if (st != CLCAM_OK) model_free(m);
    return st;
}

clcam_status model_build(model *m, const layer_spec *specs, int n_specs, const char *weights_path,
                         layer_shape input, clcam_err *err)
{
    return model_build_mode(m, specs, n_specs, weights_path, NULL, input, 0, err);
}

clcam_status model_build_graph(model *m, const layer_spec *specs, int n_specs, const graph_desc *g,
                               const char *fname, layer_shape input, int any_output,
                               clcam_err *err)
{
    return model_build_mode(m, specs, n_specs, fname, g, input, any_output ? BUILD_ANY_OUTPUT : 0,
                            err);
}

static clcam_status model_load_mode(model *m, const char *arch, const char *weights_path,
                                    layer_shape input, int train, clcam_err *err)
{
    for (size_t i = 0; i < sizeof PRESETS / sizeof *PRESETS; i++)
        if (strcmp(PRESETS[i].name, arch) == 0)
            return model_build_mode(m, PRESETS[i].specs, PRESETS[i].n, weights_path, NULL, input,
                                    train ? BUILD_TRAIN : 0, err);
    return err_set(err, CLCAM_ERR_INPUT, "model.arch: unknown architecture '%s' (expected: simplecnn)", arch);
}

/* model.layers entries (validated by io/config) as layer_specs, with PyTorch's defaults for
 * what an entry leaves out: conv stride 1, padding 0, groups 1, kernel from the weights; pool
 * stride = kernel, padding 0, count_include_pad true; batchnorm eps 1e-5; clip bounds absent. */
static clcam_status specs_from_config(const clcam_config *cfg, layer_spec *specs, clcam_err *err)
{
    for (int i = 0; i < cfg->model_n_layers; i++) {
        const config_layer *c = &cfg->model_layers[i];
        layer_spec *s = &specs[i];
        int k;
        for (k = 0; k < LAYER_KIND_COUNT; k++)
            if (strcmp(LAYER_OPS[k]->kind_name, c->type) == 0) break;
        if (k == LAYER_KIND_COUNT)
            return err_set(err, CLCAM_ERR_INPUT, "model.layers: layer %s has unknown type '%s'", c->name, c->type);
        memset(s, 0, sizeof *s);
        s->kind = (layer_kind)k;
        s->name = c->name;
        s->kernel = c->kernel > 0 ? c->kernel : 0;
        s->stride = c->stride > 0 ? c->stride : s->kind == LAYER_CONV ? 1 : s->kernel;
        s->pad = c->padding > 0 ? c->padding : 0;
        s->out = c->out > 0 ? c->out : 0;
        s->no_bias = c->bias == 0;
        s->global_pool = c->global == 1;
        s->eps = c->eps > 0 ? c->eps : 1e-5f;
        s->groups = c->groups > 0 ? c->groups : 1;
        s->has_min = !isnan(c->min);
        s->has_max = !isnan(c->max);
        s->clip_min = c->min;
        s->clip_max = c->max;
        s->exclude_pad = c->count_include_pad == 0;
        for (int j = 0; j < 4; j++) s->pads[j] = c->pads[j] > 0 ? c->pads[j] : 0;
        s->n_inputs = c->n_inputs;
        for (int a = 0; a < c->n_inputs && a < LAYER_INPUTS_MAX; a++) s->inputs[a] = c->inputs[a];
    }
    return CLCAM_OK;
}

clcam_status model_init_config(model *m, const clcam_config *cfg, layer_shape input, int classes,
                               clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    layer_spec specs[MODEL_MAX_LAYERS];
    int n = 0, last_linear = -1;
    if (cfg->model_n_layers > 0) {
        TRY(specs_from_config(cfg, specs, err));
        n = cfg->model_n_layers;
    } else {
        size_t p;
        for (p = 0; p < sizeof PRESETS / sizeof *PRESETS; p++)
            if (strcmp(PRESETS[p].name, cfg->model_arch) == 0) break;
        if (p == sizeof PRESETS / sizeof *PRESETS) {
            st = err_set(err, CLCAM_ERR_INPUT, "model.arch: unknown architecture '%s' (expected: "
                         "simplecnn)", cfg->model_arch);
            goto exit;
        }
        n = PRESETS[p].n;
        for (int i = 0; i < n; i++) {
            specs[i] = PRESETS[p].specs[i];
            specs[i].out = PRESETS[p].widths[i];
        }
    }
    for (int i = 0; i < n; i++)
        if (specs[i].kind == LAYER_LINEAR) last_linear = i;
    if (last_linear >= 0 && specs[last_linear].out == 0) specs[last_linear].out = classes;
    if (cfg->model_onnx[0]) {
        st = err_set(err, CLCAM_ERR_INPUT, "model.onnx: clcam train does not train ONNX models "
                     "(%s); use run or cam", cfg->model_onnx);
        goto exit;
    }
    TRY(model_build_mode(m, specs, n, NULL, NULL, input, BUILD_TRAIN, err));
    if (m->classes != classes)
        st = err_set(err, CLCAM_ERR_INPUT, "the model has %d outputs but the dataset %s has %d "
                     "classes", m->classes, cfg->data_file, classes);
exit:
    if (st != CLCAM_OK) model_free(m);
    return st;
}

clcam_status model_load(model *m, const char *arch, const char *weights_path, layer_shape input,
                        clcam_err *err)
{
    return model_load_mode(m, arch, weights_path, input, 0, err);
}

clcam_status model_load_config_mode(model *m, const clcam_config *cfg, layer_shape input,
                                    int train, clcam_err *err)
{
    clcam_status st;
    layer_spec specs[CONFIG_LAYERS_MAX];
    if (cfg->model_onnx[0]) {
        if (train)
            return err_set(err, CLCAM_ERR_INPUT, "model.onnx: clcam train does not train ONNX "
                           "models (%s); use run or cam", cfg->model_onnx);
        st = model_load_onnx(m, cfg->model_onnx, input, err);
        if (st == CLCAM_ERR_INPUT) {
            size_t used = strlen(err->msg);
            snprintf(err->msg + used, sizeof err->msg - used, " (input %dx%dx%d from dataset %s)",
                     input.c, input.h, input.w, cfg->data_file);
        }
        return st;
    }
    if (cfg->model_n_layers == 0) {
        st = model_load_mode(m, cfg->model_arch, cfg->model_weights, input, train, err);
    } else if ((st = specs_from_config(cfg, specs, err)) == CLCAM_OK) {
        st = model_build_mode(m, specs, cfg->model_n_layers, cfg->model_weights, NULL, input,
                              train ? BUILD_TRAIN : 0, err);
    }
    if (st == CLCAM_ERR_INPUT) { /* say which input the shapes came from */
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof err->msg - used, " (weights %s, input %dx%dx%d from dataset %s)",
                 cfg->model_weights, input.c, input.h, input.w, cfg->data_file);
    }
    return st;
}

void model_free(model *m)
{
    model_release_device(m);
    for (int i = 0; i < m->n_layers; i++) layer_free(&m->layers[i]);
    m->n_layers = 0;
}

int model_find_layer(const model *m, const char *name)
{
    for (int i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

int model_find_tensor(const model *m, const char *name)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].tensor[0] && strcmp(m->layers[i].tensor, name) == 0) return i;
    return -1;
}

/* The last layer in the scope of module path `path` (cam.layer: layer4.1), or -1. */
static int model_scope_layer(const model *m, const char *path)
{
    const char *names[MODEL_MAX_LAYERS];
    for (int i = 0; i < m->n_layers; i++) names[i] = m->layers[i].name;
    return layer_scope_resolve(names, m->n_layers, path);
}

/* Is layer i a conv whose output is really the folded batchnorm reading it? Then *bn is that
 * batchnorm. */
static int model_folded(const model *m, int i, int *bn)
{
    *bn = model_first_reader(m, i);
    return m->layers[i].kind == LAYER_CONV && *bn >= 0 &&
           m->layers[*bn].kind == LAYER_BATCHNORM && !m->layers[*bn].bn_train &&
           !m->layers[*bn].bn_unfolded;
}

/* Can the backward pass reach the output of layer t: does it lead to the logits, and has
 * every layer on a path from it to them a backward pass? */
static int model_reaches(const model *m, int t)
{
    int on[MODEL_MAX_LAYERS] = {0};
    int n = m->n_layers, last = n - 1;
    on[t] = 1;
    for (int i = t + 1; i < n; i++)
        for (int k = 0; k < m->layers[i].n_inputs; k++)
            if (m->layers[i].inputs[k] >= 0 && on[m->layers[i].inputs[k]]) on[i] = 1;
    if (!on[last]) return 0;
    /* layers from t that lead to the last one: those need a backward pass */
    int leads[MODEL_MAX_LAYERS] = {0};
    leads[last] = 1;
    for (int i = last; i > t; i--) {
        if (!leads[i] || !on[i]) continue;
        if (!LAYER_OPS[m->layers[i].kind]->backward) return 0;
        for (int k = 0; k < m->layers[i].n_inputs; k++)
            if (m->layers[i].inputs[k] >= 0) leads[m->layers[i].inputs[k]] = 1;
    }
    return 1;
}

int model_auto_cam_layer(const model *m)
{
    int last = -1, bn;
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = &m->layers[i];
        if (l->kind == LAYER_AVGPOOL && l->out.h * l->out.w == 1) return last; /* global pooling */
        if (l->out.h * l->out.w > 1 && !model_folded(m, i, &bn) && !l->pad_folded) last = i;
    }
    return last;
}

clcam_status model_check_cam_layer(model *m, const char *name, int *t, clcam_err *err)
{
    char ok[512] = "";
    size_t used = 0;
    int bn;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].out.h * m->layers[i].out.w > 1 && !model_folded(m, i, &bn) &&
            !m->layers[i].pad_folded && model_reaches(m, i) && used < sizeof ok)
            used += (size_t)snprintf(ok + used, sizeof ok - used, "%s%s", used ? ", " : "", m->layers[i].name);
    *t = model_find_layer(m, name);
    if (*t < 0) *t = model_find_tensor(m, name);
    if (*t < 0 && strcmp(name, "auto") == 0) *t = model_auto_cam_layer(m);
    if (*t < 0) *t = model_scope_layer(m, name);
    if (*t < 0)
        return err_set(err, CLCAM_ERR_INPUT, "cam.layer: no layer named '%s' (layers that work: %s)", name, ok);
    if (model_folded(m, *t, &bn))
        return err_set(err, CLCAM_ERR_INPUT, "cam.layer: '%s' has the batchnorm %s folded into it; "
                       "use '%s' (layers that work: %s)", name, m->layers[bn].name,
                       m->layers[bn].name, ok);
    if (!model_reaches(m, *t) || m->layers[*t].out.h * m->layers[*t].out.w <= 1)
        return err_set(err, CLCAM_ERR_INPUT, "cam.layer: '%s' is not supported yet (layers that work: %s)", name, ok);
    if (m->layers[*t].kind == LAYER_PAD && m->layers[*t].pad_folded)
        return err_set(err, CLCAM_ERR_INPUT, "cam.layer: '%s' is a zero pad folded into the conv "
                       "after it; name the layer before it (layers that work: %s)", name, ok);
    if (m->layers[*t].kind == LAYER_RELU && m->layers[*t].fuse_relu) { /* the CAM reads its output */
        int r = model_first_reader(m, *t);
        m->layers[*t].fuse_relu = 0;
        if (r >= 0) m->layers[r].fuse_relu = 0;
    }
    /* a conv or add storing a skipped ReLU's values, or an alias of it on the way to that
     * ReLU: the CAM reads the values before the ReLU */
    for (int i = 0; i < m->n_layers; i++) {
        if (m->layers[i].kind != LAYER_RELU || !m->layers[i].relu_in_source) continue;
        for (int s = m->layers[i].inputs[0]; s >= 0; s = m->layers[s].inputs[0]) {
            if (s == *t) model_unfuse_relu_source(m, i);
            if (s == *t || !layer_output_aliases_input(&m->layers[s])) break;
        }
    }
    model_plan_residual(m, *t);
    m->cam_t = *t;
    return CLCAM_OK;
}

clcam_status model_load_config(model *m, const clcam_config *cfg, layer_shape input,
                               clcam_err *err)
{
    return model_load_config_mode(m, cfg, input, 0, err);
}
