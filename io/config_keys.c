/* The table of config keys: one row per key with its type, range and message text, used by the
 * file parser, --set and config_to_yaml alike (io/config.c). */
#include "config_keys.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CONFIG_ARCHS[] = {"simplecnn", "layers"};
static const char *const CONFIG_METHODS[] = {"gradcam", "gradcampp", "xgradcam", "hirescam",
                                             "layercam", "scorecam", "eigencam",
                                             "gradcam_elementwise", "random", "sobel"};
static const char *const CONFIG_METRICS[] = {"confidence_drop", "confidence_increase", "deletion",
                                             "insertion", "road_morf", "road_lerf",
                                             "road_combined"};
static const char *const CONFIG_SPACES[] = {"normalised", "image"};
#define CONFIG_ARCHS_LIST "simplecnn, layers"
#define CONFIG_METRICS_LIST                                                                     \
    "confidence_drop, confidence_increase, deletion, insertion, road_morf, road_lerf, "         \
    "road_combined"
#define CONFIG_METHODS_LIST                                                                     \
    "gradcam, gradcampp, xgradcam, hirescam, layercam, scorecam, eigencam, gradcam_elementwise, " \
    "random, sobel"

static clcam_status config_batch_set(const config_key *k, const config_value *v, clcam_config *cfg);
static void config_batch_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_count_set(const config_key *k, const config_value *v, clcam_config *cfg);
static void config_count_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_arch_set(const config_key *k, const config_value *v, clcam_config *cfg);
static void config_arch_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_layers_set(const config_key *k, const config_value *v,
                                      clcam_config *cfg);
static void config_layers_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_methods_set(const config_key *k, const config_value *v,
                                       clcam_config *cfg);
static void config_methods_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_target_set(const config_key *k, const config_value *v,
                                      clcam_config *cfg);
static void config_target_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_bool_set(const config_key *k, const config_value *v, clcam_config *cfg);
static void config_bool_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_schedule_set(const config_key *k, const config_value *v,
                                        clcam_config *cfg);
static clcam_status config_cam_dtype_set(const config_key *k, const config_value *v,
                                         clcam_config *cfg);
static void config_cam_dtype_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static void config_schedule_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_choice_set(const config_key *k, const config_value *v,
                                      const char *const *names, size_t n, int *out);
static clcam_status config_metrics_set(const config_key *k, const config_value *v,
                                       clcam_config *cfg);
static void config_metrics_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_percentiles_set(const config_key *k, const config_value *v,
                                           clcam_config *cfg);
static void config_percentiles_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_space_set(const config_key *k, const config_value *v,
                                     clcam_config *cfg);
static void config_space_emit(const config_key *k, const clcam_config *cfg, config_buf *b);

/* The naming rule of layer names (model.layers names, cam.layer), for messages. */
#define CONFIG_MODULE_PATH_WHAT                                                                \
    "a module path (letters, digits and '_' in parts joined by single dots: conv3, features.0, 4)"

#define CK_STR(path, field, flags, what)                                                       \
    {path, CONFIG_KIND_STRING, offsetof(clcam_config, field),                                   \
     sizeof((clcam_config *)0)->field, 0, 0, flags, what, NULL, NULL}
#define CK_NUM(path, kind, field, lo, hi, flags, what)                                         \
    {path, kind, offsetof(clcam_config, field), 0, lo, hi, flags, what, NULL, NULL}
#define CK_FN(path, what, fn) {path, CONFIG_KIND_CUSTOM, 0, 0, 0, 0, 0, what, fn##_set, fn##_emit}
/* A custom row that stores into a field (an int): true/false, an enum. */
#define CK_FN_AT(path, field, what, fn)                                                        \
    {path, CONFIG_KIND_CUSTOM, offsetof(clcam_config, field), 0, 0, 0, 0, what, fn##_set, fn##_emit}

const config_key CONFIG_KEYS[] = {
    CK_STR("device", device, 0, "a device SPEC (cpu, gpu, any, a name, optionally :N)"),
    CK_FN("batch", "an integer >= 1 or 'auto'", config_batch),
    CK_STR("data.file", data_file, 0, "a file path"),
    CK_STR("data.split", data_split, 0, "a group name"),
    CK_NUM("data.start", CONFIG_KIND_LONG, data_start, 0, LONG_MAX, 0, "an integer >= 0"),
    CK_FN("data.count", "an integer >= 1 or 'all'", config_count),
    CK_NUM("preprocess.scale", CONFIG_KIND_FLOAT, pre_scale, 0, 0, CONFIG_FLAG_POSITIVE,
           "a number > 0"),
    CK_NUM("preprocess.mean", CONFIG_KIND_FLOAT3, pre_mean, 0, 0, 0, "a list of 3 numbers"),
    CK_NUM("preprocess.std", CONFIG_KIND_FLOAT3, pre_std, 0, 0, CONFIG_FLAG_POSITIVE,
           "a list of 3 numbers > 0"),
    CK_STR("model.weights", model_weights, 0, "a file path"),
    CK_FN("model.arch", "an arch name (supported: " CONFIG_ARCHS_LIST ")", config_arch),
    CK_FN("model.layers", "a list of layers like {type: conv, name: conv1, out: 32, kernel: 3}",
          config_layers),
    CK_STR("model.onnx", model_onnx, CONFIG_FLAG_EMPTY, "an ONNX file path"),
    CK_FN("cam.methods", "a list of methods (supported: " CONFIG_METHODS_LIST ")",
          config_methods),
    CK_STR("cam.layer", cam_layer, CONFIG_FLAG_IDENT | CONFIG_FLAG_GRAPH,
           "a layer name, " CONFIG_MODULE_PATH_WHAT " or an ONNX node or tensor name (printable "
           "ASCII with a '/' or ':', no spaces: /layer4/layer4.1/relu_1/Relu_output_0)"),
    CK_FN("cam.target", "'predicted', 'label', a class index >= 0 or {topk: K} with K in 1..16",
          config_target),
    CK_FN("cam.metrics", "a list of metrics (supported: " CONFIG_METRICS_LIST ")", config_metrics),
    CK_NUM("cam.metric_steps", CONFIG_KIND_INT, cam_metric_steps, 2, 256, 0, "an integer in 2..256"),
    CK_FN("cam.road_percentiles", "a list of 1 to 9 ascending integers in 1..99",
          config_percentiles),
    CK_NUM("cam.road_noise", CONFIG_KIND_FLOAT, cam_road_noise, 0, 0, CONFIG_FLAG_NONNEG,
           "a number >= 0"),
    CK_FN("cam.confidence_space", "normalised or image", config_space),
    CK_NUM("cam.seed", CONFIG_KIND_LONG, cam_seed, 0, 4294967295L, 0, "an integer in 0..4294967295"),
    CK_STR("output.file", output_file, 0, "a file path"),
    CK_NUM("output.compression", CONFIG_KIND_INT, output_compression, 0, 9, 0,
           "an integer in 0..9"),
    CK_FN("output.cam_dtype", "float32, float16 or uint8", config_cam_dtype),
    CK_STR("train.split", train_split, 0, "a group name"),
    CK_NUM("train.epochs", CONFIG_KIND_INT, train_epochs, 1, 100000, 0, "an integer in 1..100000"),
    CK_NUM("train.batch", CONFIG_KIND_INT, train_batch, 1, 65536, 0, "an integer in 1..65536"),
    CK_FN_AT("train.lr.schedule", train_lr_schedule, "onecycle, cosine or constant",
             config_schedule),
    CK_NUM("train.lr.max", CONFIG_KIND_FLOAT, train_lr_max, 0, 0, CONFIG_FLAG_POSITIVE,
           "a number > 0"),
    CK_NUM("train.lr.warmup", CONFIG_KIND_FLOAT, train_lr_warmup, 0, 0,
           CONFIG_FLAG_NONNEG | CONFIG_FLAG_BELOW1, "a fraction of the steps in [0, 1)"),
    CK_NUM("train.momentum", CONFIG_KIND_FLOAT, train_momentum, 0, 0,
           CONFIG_FLAG_NONNEG | CONFIG_FLAG_BELOW1, "a number in [0, 1)"),
    CK_FN_AT("train.nesterov", train_nesterov, "true or false", config_bool),
    CK_NUM("train.weight_decay", CONFIG_KIND_FLOAT, train_weight_decay, 0, 0, CONFIG_FLAG_NONNEG,
           "a number >= 0"),
    CK_NUM("train.augment.crop_pad", CONFIG_KIND_INT, train_crop_pad, 0, 64, 0,
           "an integer in 0..64"),
    CK_FN_AT("train.augment.flip", train_flip, "true or false", config_bool),
    CK_NUM("train.seed", CONFIG_KIND_LONG, train_seed, 0, 4294967295L, 0,
           "an integer in 0..4294967295"),
    CK_STR("train.eval_split", train_eval_split, 0, "a group name or none"),
    CK_STR("train.output", train_output, 0, "a file path"),
    CK_STR("train.init", train_init, 0, "a weights file or none"),
};
const size_t CONFIG_KEYS_COUNT = sizeof CONFIG_KEYS / sizeof *CONFIG_KEYS;

/* ---- scalar parsing ---- */

/* The scalar text of v; an error naming k->what when v is a list or mapping. NULL node: "". */
static clcam_status config_value_text(const config_key *k, const config_value *v,
                                      const char **text)
{
    char got[96];
    if (!v->node) {
        *text = "";
        return CLCAM_OK;
    }
    if (v->node->type != YAML_SCALAR_NODE)
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    *text = (const char *)v->node->data.scalar.value;
    if (strlen(*text) != v->node->data.scalar.length)
        return config_value_fail(v, NULL, "expected %s, got a value with a NUL byte", k->what);
    return CLCAM_OK;
}

/* Whole-string base-10 integer; 0 on junk, overflow or emptiness. */
static int config_parse_long(const char *s, long *out)
{
    char *end;
    if (!(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9'))) return 0;
    errno = 0;
    *out = strtol(s, &end, 10);
    return errno == 0 && *end == '\0';
}

/* Whole-string number that fits a finite float. */
static int config_parse_float(const char *s, float *out)
{
    char *end;
    float f;
    if (s[0] == '\0' || s[0] == ' ' || s[0] == '\t') return 0;
    f = strtof(s, &end); /* straight to float: no double rounding, overflow gives inf */
    if (*end != '\0' || !isfinite(f)) return 0;
    *out = f;
    return 1;
}

static int config_float_ok(const config_key *k, float f)
{
    return isfinite(f) && (!(k->flags & CONFIG_FLAG_POSITIVE) || f > 0.0f) &&
           (!(k->flags & CONFIG_FLAG_NONNEG) || f >= 0.0f) &&
           (!(k->flags & CONFIG_FLAG_BELOW1) || f < 1.0f);
}

/* A PyTorch module path, as named_modules() and state_dict keys spell it: parts of letters,
 * digits and '_' joined by single dots. Parts may be all digits (nn.Sequential numbers its
 * children: "0", "features.0.1"); empty parts (".a", "a.", "a..b") would name no module. */
static int config_module_path_ok(const char *s)
{
    size_t part = 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (part == 0) return 0;
            part = 0;
        } else if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
                   (*s >= '0' && *s <= '9') || *s == '_') {
            part++;
        } else {
            return 0;
        }
    }
    return part > 0;
}

/* A node or tensor name as exporters write them (torch 1.13: `/layer4/layer4.1/relu_1/Relu`,
 * `/layer4/layer4.1/relu_1/Relu_output_0`; `onnx::Conv_193`): names with other characters than
 * a module path's, which is what tells them from a mistyped path (`a..b`, `conv 3`). */
static int config_graph_name_ok(const char *s)
{
    int marked = 0;
    for (; *s; s++) {
        if (*s <= ' ' || *s >= 0x7f) return 0;
        marked |= *s == '/' || *s == ':';
    }
    return marked;
}

/* A name that starts with a digit ("0", "4.1") is quoted when written back, so that YAML
 * readers with a schema (PyYAML) read a string, not a number. */
static void config_buf_name(config_buf *b, const char *s)
{
    if (s[0] >= '0' && s[0] <= '9')
        config_buf_quoted(b, s); /* tensor names may hold quotes (fuzz_config found one) */
    else
        config_buf_scalar(b, s);
}

static clcam_status config_string_set(const config_key *k, const config_value *v, char *dst)
{
    const char *s = "";
    char got[96];
    clcam_status st = config_value_text(k, v, &s);
    size_t n;
    if (st != CLCAM_OK) return st;
    n = strlen(s);
    if (n == 0 && !(k->flags & CONFIG_FLAG_EMPTY))
        return config_value_fail(v, NULL, "expected %s, got an empty value", k->what);
    if (n >= k->size)
        return config_value_fail(v, NULL, "expected %s of at most %zu bytes, got %zu bytes",
                                 k->what, k->size - 1, n);
    if ((k->flags & CONFIG_FLAG_IDENT) && !config_module_path_ok(s) &&
        !((k->flags & CONFIG_FLAG_GRAPH) && config_graph_name_ok(s)))
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    memcpy(dst, s, n + 1);
    return CLCAM_OK;
}

static clcam_status config_float3_set(const config_key *k, const config_value *v, float *dst)
{
    char got[96];
    float tmp[3];
    size_t n;
    yaml_node_item_t *it;
    if (!v->node || v->node->type != YAML_SEQUENCE_NODE)
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    n = (size_t)(v->node->data.sequence.items.top - v->node->data.sequence.items.start);
    if (n != 3)
        return config_value_fail(v, NULL, "expected %s, got %zu item%s", k->what, n,
                                 n == 1 ? "" : "s");
    for (it = v->node->data.sequence.items.start; it < v->node->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(v->src->doc, *it);
        size_t i = (size_t)(it - v->node->data.sequence.items.start);
        if (!e || e->type != YAML_SCALAR_NODE ||
            !config_parse_float((const char *)e->data.scalar.value, &tmp[i]) ||
            !config_float_ok(k, tmp[i]))
            return config_value_fail(v, e, "expected %s, got %s", k->what,
                                     config_node_describe(e, got, sizeof got));
    }
    memcpy(dst, tmp, sizeof tmp);
    return CLCAM_OK;
}

clcam_status config_key_apply(const config_key *k, const config_value *v, clcam_config *cfg)
{
    char *field = (char *)cfg + k->offset;
    const char *s = "";
    char got[96];
    clcam_status st;
    long l;
    float f;

    switch (k->kind) {
    case CONFIG_KIND_STRING: return config_string_set(k, v, field);
    case CONFIG_KIND_FLOAT3: return config_float3_set(k, v, (float *)(void *)field);
    case CONFIG_KIND_CUSTOM: return k->set(k, v, cfg);
    case CONFIG_KIND_INT:
    case CONFIG_KIND_LONG:
        if ((st = config_value_text(k, v, &s)) != CLCAM_OK) return st;
        if (!config_parse_long(s, &l) || l < k->min || l > k->max)
            return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                     config_node_describe(v->node, got, sizeof got));
        if (k->kind == CONFIG_KIND_INT)
            *(int *)(void *)field = (int)l;
        else
            *(long *)(void *)field = l;
        return CLCAM_OK;
    case CONFIG_KIND_FLOAT:
        if ((st = config_value_text(k, v, &s)) != CLCAM_OK) return st;
        if (!config_parse_float(s, &f) || !config_float_ok(k, f))
            return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                     config_node_describe(v->node, got, sizeof got));
        *(float *)(void *)field = f;
        return CLCAM_OK;
    }
    return config_value_fail(v, NULL, "internal error: bad key kind %d", (int)k->kind);
}

/* The shortest %g form that reads back as f (0.4914, not 0.491400003); %.9g always does. */
static void config_float_emit(config_buf *b, float f)
{
    char text[32];
    int prec;
    for (prec = 1; prec < 9; prec++) {
        snprintf(text, sizeof text, "%.*g", prec, (double)f);
        if (strtof(text, NULL) == f) break;
    }
    config_buf_printf(b, "%.*g", prec, (double)f);
}

void config_key_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    const char *field = (const char *)cfg + k->offset;
    const float *f3 = (const float *)(const void *)field;
    switch (k->kind) {
    case CONFIG_KIND_STRING:
        if (k->flags & CONFIG_FLAG_IDENT)
            config_buf_name(b, field);
        else
            config_buf_scalar(b, field);
        break;
    case CONFIG_KIND_INT: config_buf_printf(b, "%d", *(const int *)(const void *)field); break;
    case CONFIG_KIND_LONG: config_buf_printf(b, "%ld", *(const long *)(const void *)field); break;
    case CONFIG_KIND_FLOAT: config_float_emit(b, f3[0]); break;
    case CONFIG_KIND_FLOAT3:
        config_buf_printf(b, "[");
        config_float_emit(b, f3[0]);
        config_buf_printf(b, ", ");
        config_float_emit(b, f3[1]);
        config_buf_printf(b, ", ");
        config_float_emit(b, f3[2]);
        config_buf_printf(b, "]");
        break;
    case CONFIG_KIND_CUSTOM: k->emit(k, cfg, b); break;
    }
}

/* ---- keys with their own rules ---- */

/* An integer >= 1 (at most max), or the word that stands for *out = special. */
static clcam_status config_long_or_word(const config_key *k, const config_value *v, const char *word,
                                        long special, long max, long *out)
{
    const char *s = "";
    char got[96];
    long l;
    clcam_status st = config_value_text(k, v, &s);
    if (st != CLCAM_OK) return st;
    if (strcmp(s, word) == 0) {
        *out = special;
        return CLCAM_OK;
    }
    if (!config_parse_long(s, &l) || l < 1 || l > max)
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    *out = l;
    return CLCAM_OK;
}

static clcam_status config_batch_set(const config_key *k, const config_value *v, clcam_config *cfg)
{
    long l = 0;
    clcam_status st = config_long_or_word(k, v, "auto", 0, INT_MAX, &l);
    if (st == CLCAM_OK) cfg->batch = (int)l;
    return st;
}

static void config_batch_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    if (cfg->batch == 0)
        config_buf_printf(b, "auto");
    else
        config_buf_printf(b, "%d", cfg->batch);
}

static clcam_status config_count_set(const config_key *k, const config_value *v, clcam_config *cfg)
{
    return config_long_or_word(k, v, "all", -1, LONG_MAX, &cfg->data_count);
}

static void config_count_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    if (cfg->data_count < 0)
        config_buf_printf(b, "all");
    else
        config_buf_printf(b, "%ld", cfg->data_count);
}

static clcam_status config_arch_set(const config_key *k, const config_value *v, clcam_config *cfg)
{
    const char *s = "";
    size_t i;
    clcam_status st = config_value_text(k, v, &s);
    if (st != CLCAM_OK) return st;
    for (i = 0; i < sizeof CONFIG_ARCHS / sizeof *CONFIG_ARCHS; i++) {
        if (strcmp(s, CONFIG_ARCHS[i]) == 0) {
            snprintf(cfg->model_arch, sizeof cfg->model_arch, "%s", CONFIG_ARCHS[i]);
            return CLCAM_OK;
        }
    }
    return config_value_fail(v, NULL, "unsupported arch '%.64s' (supported: " CONFIG_ARCHS_LIST ")",
                             s);
}

static void config_arch_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    config_buf_scalar(b, cfg->model_arch);
}

/* ---- model.layers: a sequential network, one mapping per layer ---- */

#define CONFIG_LAYER_TYPES_LIST "conv, batchnorm, relu, maxpool, avgpool, flatten, dropout, linear, " \
    "clip, pad, add, concat, identity"
#define CONFIG_LAYER_KEYS_LIST "type, name, out, kernel, stride, padding, bias, global, eps, " \
    "groups, min, max, count_include_pad, pads, ceil_mode, dilation, inputs"

/* Which keys each type takes (bits in CONFIG_LAYER_KEYS order from "out" on). ceil_mode and
 * dilation are read only to refuse anything but PyTorch's defaults (false, 1) by name. */
enum { LK_OUT = 1, LK_KERNEL = 2, LK_STRIDE = 4, LK_PADDING = 8, LK_BIAS = 16, LK_GLOBAL = 32,
       LK_EPS = 64, LK_GROUPS = 128, LK_MIN = 256, LK_MAX = 512, LK_CIP = 1024, LK_PADS = 2048,
       LK_CEIL = 4096, LK_DILATION = 8192 };
enum { LJ_BIAS = 4, LJ_GLOBAL = 5, LJ_EPS = 6, LJ_GROUPS = 7, LJ_MIN = 8, LJ_MAX = 9, LJ_CIP = 10,
       LJ_PADS = 11, LJ_CEIL = 12, LJ_DILATION = 13 };
static const struct {
    const char *type;
    unsigned keys;
} CONFIG_LAYER_TYPES[] = {
    {"conv", LK_OUT | LK_KERNEL | LK_STRIDE | LK_PADDING | LK_BIAS | LK_GROUPS | LK_DILATION},
    {"batchnorm", LK_EPS},
    {"relu", 0},
    {"maxpool", LK_KERNEL | LK_STRIDE | LK_PADDING | LK_CEIL | LK_DILATION},
    {"avgpool", LK_KERNEL | LK_STRIDE | LK_GLOBAL | LK_PADDING | LK_CIP | LK_CEIL},
    {"flatten", 0},
    {"dropout", 0},
    {"linear", LK_OUT},
    {"clip", LK_MIN | LK_MAX},
    {"pad", LK_PADS},
    {"add", 0},
    {"concat", 0},
    {"identity", 0},
};
static const char *const CONFIG_LAYER_KEYS[] = {"out", "kernel", "stride", "padding", "bias",
                                                "global", "eps", "groups", "min", "max",
                                                "count_include_pad", "pads", "ceil_mode",
                                                "dilation"};
#define CONFIG_N_LAYER_KEYS ((int)(sizeof CONFIG_LAYER_KEYS / sizeof *CONFIG_LAYER_KEYS))

/* pads: one integer >= 0 for all four sides, or [top, left, bottom, right]. */
static clcam_status config_pads_parse(const config_value *v, yaml_node_t *vn, int i,
                                      config_layer *out)
{
    char got[96];
    long l;
    if (vn->type == YAML_SCALAR_NODE) {
        if (!config_parse_long((const char *)vn->data.scalar.value, &l) || l < 0 || l > 65535)
            return config_value_fail(v, vn, "entry %d (%s): pads: expected an integer in 0..65535 or "
                                     "[top, left, bottom, right], got %s", i + 1, out->name,
                                     config_node_describe(vn, got, sizeof got));
        out->pads[0] = out->pads[1] = out->pads[2] = out->pads[3] = (int)l;
        return CLCAM_OK;
    }
    if (vn->data.sequence.items.top - vn->data.sequence.items.start != 4)
        return config_value_fail(v, vn, "entry %d (%s): pads: expected [top, left, bottom, right], "
                                 "four integers", i + 1, out->name);
    for (int s = 0; s < 4; s++) {
        yaml_node_t *e = yaml_document_get_node(v->src->doc, vn->data.sequence.items.start[s]);
        if (!e || e->type != YAML_SCALAR_NODE ||
            !config_parse_long((const char *)e->data.scalar.value, &l) || l < 0 || l > 65535)
            return config_value_fail(v, e ? e : vn, "entry %d (%s): pads: expected integers in "
                                     "0..65535, got %s", i + 1, out->name,
                                     config_node_describe(e, got, sizeof got));
        out->pads[s] = (int)l;
    }
    return CLCAM_OK;
}

/* inputs: [name, ...] of entry i (out->name already set) into out->inputs; the names are
 * resolved against the other entries by config_layers_set. */
static clcam_status config_layer_inputs(const config_value *v, yaml_node_t *vn, int i,
                                        config_layer *out)
{
    char got[96];
    yaml_node_item_t *it;
    size_t n;
    if (!vn || vn->type != YAML_SEQUENCE_NODE)
        return config_value_fail(v, vn, "entry %d (%s): inputs: expected a list of layer names "
                                 "like [conv1, relu2], got %s", i + 1, out->name,
                                 config_node_describe(vn, got, sizeof got));
    n = (size_t)(vn->data.sequence.items.top - vn->data.sequence.items.start);
    if (n < 1 || n > CONFIG_INPUTS_MAX)
        return config_value_fail(v, vn, "entry %d (%s): inputs: expected 1 to %d names, got %zu",
                                 i + 1, out->name, CONFIG_INPUTS_MAX, n);
    for (it = vn->data.sequence.items.start; it < vn->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(v->src->doc, *it);
        const char *name = e && e->type == YAML_SCALAR_NODE ? (const char *)e->data.scalar.value : NULL;
        if (!name || !config_module_path_ok(name) || strlen(name) != e->data.scalar.length ||
            strlen(name) >= CONFIG_NAME_MAX)
            return config_value_fail(v, e ? e : vn, "entry %d (%s): inputs: expected a layer name, "
                                     CONFIG_MODULE_PATH_WHAT " (at most %d bytes), got %s", i + 1,
                                     out->name, CONFIG_NAME_MAX - 1,
                                     config_node_describe(e, got, sizeof got));
        memcpy(out->inputs[out->n_inputs++], name, strlen(name) + 1);
    }
    return CLCAM_OK;
}

/* One entry (a mapping node) into *out; i is its 0-based position, for messages. */
static clcam_status config_layer_parse(const config_value *v, yaml_node_t *node, int i,
                                       config_layer *out)
{
    char got[96];
    yaml_node_pair_t *p, *q;
    yaml_node_t *vals[CONFIG_N_LAYER_KEYS] = {NULL};
    yaml_node_t *type_node = NULL, *name_node = NULL, *inputs_node = NULL;
    unsigned allowed = 0;
    size_t t;
    int j;
    if (!node || node->type != YAML_MAPPING_NODE)
        return config_value_fail(v, node, "entry %d: expected a mapping like {type: conv, name: "
                                 "conv1, out: 32, kernel: 3}, got %s", i + 1,
                                 config_node_describe(node, got, sizeof got));
    memset(out, 0, sizeof *out);
    out->out = out->kernel = out->stride = out->padding = out->bias = out->global = -1;
    out->groups = out->count_include_pad = -1;
    out->pads[0] = out->pads[1] = out->pads[2] = out->pads[3] = -1;
    out->eps = -1.0f;
    out->min = out->max = NAN;
    for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(v->src->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(v->src->doc, p->value);
        const char *key;
        if (!kn || kn->type != YAML_SCALAR_NODE)
            return config_value_fail(v, kn ? kn : node, "entry %d: expected a key name, got %s",
                                     i + 1, config_node_describe(kn, got, sizeof got));
        key = (const char *)kn->data.scalar.value;
        for (q = node->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *qn = yaml_document_get_node(v->src->doc, q->key);
            if (qn && qn->type == YAML_SCALAR_NODE && strcmp((const char *)qn->data.scalar.value, key) == 0)
                return config_value_fail(v, kn, "entry %d: duplicate key '%.32s'", i + 1, key);
        }
        if (strcmp(key, "inputs") == 0) {
            inputs_node = vn ? vn : kn;
            continue;
        }
        if (!vn || (vn->type != YAML_SCALAR_NODE && !(strcmp(key, "pads") == 0 &&
                                                      vn->type == YAML_SEQUENCE_NODE)))
            return config_value_fail(v, vn ? vn : kn, "entry %d: %.32s: expected a single value, got %s",
                                     i + 1, key, config_node_describe(vn, got, sizeof got));
        if (strcmp(key, "type") == 0) {
            type_node = vn;
            continue;
        }
        if (strcmp(key, "name") == 0) {
            name_node = vn;
            continue;
        }
        for (j = 0; j < CONFIG_N_LAYER_KEYS; j++)
            if (strcmp(key, CONFIG_LAYER_KEYS[j]) == 0) break;
        if (j == CONFIG_N_LAYER_KEYS)
            return config_value_fail(v, kn, "entry %d: unknown key '%.32s' (expected one of: "
                                     CONFIG_LAYER_KEYS_LIST ")", i + 1, key);
        vals[j] = vn;
    }
    if (!name_node)
        return config_value_fail(v, node, "entry %d: missing name (every layer needs one, the "
                                 "state_dict prefix of its weights: {type: ..., name: conv1})", i + 1);
    {
        const char *name = (const char *)name_node->data.scalar.value;
        if (!config_module_path_ok(name) || strlen(name) != name_node->data.scalar.length)
            return config_value_fail(v, name_node, "entry %d: name: expected " CONFIG_MODULE_PATH_WHAT
                                     ", got %s", i + 1,
                                     config_node_describe(name_node, got, sizeof got));
        if (strlen(name) >= sizeof out->name)
            return config_value_fail(v, name_node, "entry %d: name: at most %zu bytes, got %zu",
                                     i + 1, sizeof out->name - 1, strlen(name));
        memcpy(out->name, name, strlen(name) + 1);
    }
    if (inputs_node) {
        clcam_status st = config_layer_inputs(v, inputs_node, i, out);
        if (st != CLCAM_OK) return st;
    }
    if (!type_node)
        return config_value_fail(v, node, "entry %d (%s): missing type (supported: "
                                 CONFIG_LAYER_TYPES_LIST ")", i + 1, out->name);
    for (t = 0; t < sizeof CONFIG_LAYER_TYPES / sizeof *CONFIG_LAYER_TYPES; t++)
        if (strcmp((const char *)type_node->data.scalar.value, CONFIG_LAYER_TYPES[t].type) == 0) break;
    if (t == sizeof CONFIG_LAYER_TYPES / sizeof *CONFIG_LAYER_TYPES)
        return config_value_fail(v, type_node, "entry %d (%s): unknown type %s (supported: "
                                 CONFIG_LAYER_TYPES_LIST ")", i + 1, out->name,
                                 config_node_describe(type_node, got, sizeof got));
    snprintf(out->type, sizeof out->type, "%s", CONFIG_LAYER_TYPES[t].type);
    allowed = CONFIG_LAYER_TYPES[t].keys;
    for (j = 0; j < CONFIG_N_LAYER_KEYS; j++) {
        yaml_node_t *vn = vals[j];
        const char *text;
        long l;
        if (!vn) continue;
        if (!(allowed & (1u << j)))
            return config_value_fail(v, vn, "entry %d (%s): a %s layer takes no '%s'", i + 1,
                                     out->name, out->type, CONFIG_LAYER_KEYS[j]);
        if (j == LJ_PADS) {
            clcam_status st = config_pads_parse(v, vn, i, out);
            if (st != CLCAM_OK) return st;
            continue;
        }
        text = (const char *)vn->data.scalar.value;
        if (j == LJ_BIAS || j == LJ_GLOBAL || j == LJ_CIP || j == LJ_CEIL) {
            int b = strcmp(text, "true") == 0 ? 1 : strcmp(text, "false") == 0 ? 0 : -1;
            if (b < 0)
                return config_value_fail(v, vn, "entry %d (%s): %s: expected true or false, got %s",
                                         i + 1, out->name, CONFIG_LAYER_KEYS[j],
                                         config_node_describe(vn, got, sizeof got));
            if (j == LJ_CEIL && b)
                return config_value_fail(v, vn, "entry %d (%s): ceil_mode: true is not supported yet "
                                         "(floor mode only)", i + 1, out->name);
            if (j != LJ_CEIL)
                *(j == LJ_BIAS ? &out->bias : j == LJ_GLOBAL ? &out->global : &out->count_include_pad) = b;
        } else if (j == LJ_MIN || j == LJ_MAX) {
            if (!config_parse_float(text, j == LJ_MIN ? &out->min : &out->max))
                return config_value_fail(v, vn, "entry %d (%s): %s: expected a number, got %s", i + 1,
                                         out->name, CONFIG_LAYER_KEYS[j],
                                         config_node_describe(vn, got, sizeof got));
        } else if (j == LJ_EPS) {
            if (!config_parse_float(text, &out->eps) || !(out->eps > 0.0f))
                return config_value_fail(v, vn, "entry %d (%s): eps: expected a number > 0, got %s",
                                         i + 1, out->name, config_node_describe(vn, got, sizeof got));
        } else {
            long lo = j == 3 ? 0 : 1; /* padding may be 0 */
            if (!config_parse_long(text, &l) || l < lo || l > 65535)
                return config_value_fail(v, vn, "entry %d (%s): %s: expected an integer in %ld..65535, "
                                         "got %s", i + 1, out->name, CONFIG_LAYER_KEYS[j], lo,
                                         config_node_describe(vn, got, sizeof got));
            if (j == LJ_DILATION && l != 1)
                return config_value_fail(v, vn, "entry %d (%s): dilation %ld is not supported yet "
                                         "(1 only)", i + 1, out->name, l);
            if (j != LJ_DILATION)
                *(j == 0 ? &out->out : j == 1 ? &out->kernel : j == 2 ? &out->stride
                  : j == 3 ? &out->padding : &out->groups) = (int)l;
        }
    }
    if (strcmp(out->type, "pad") == 0 && out->pads[0] < 0)
        return config_value_fail(v, node, "entry %d (%s): a pad layer needs pads: [top, left, "
                                 "bottom, right] or one number", i + 1, out->name);
    if (strcmp(out->type, "clip") == 0 && isnan(out->min) && isnan(out->max))
        return config_value_fail(v, node, "entry %d (%s): a clip layer needs min, max or both",
                                 i + 1, out->name);
    if (strcmp(out->type, "clip") == 0 && !isnan(out->min) && !isnan(out->max) &&
        !(out->min < out->max))
        return config_value_fail(v, node, "entry %d (%s): clip needs min < max, got %g and %g",
                                 i + 1, out->name, (double)out->min, (double)out->max);
    if (strcmp(out->type, "add") == 0 || strcmp(out->type, "concat") == 0) {
        if (out->n_inputs < 2)
            return config_value_fail(v, node, "entry %d (%s): an %s layer needs inputs: with two or "
                                     "more layer names", i + 1, out->name, out->type);
    } else if (out->n_inputs > 1) {
        return config_value_fail(v, inputs_node, "entry %d (%s): a %s layer reads one input, got "
                                 "%d", i + 1, out->name, out->type, out->n_inputs);
    }
    if (strcmp(out->type, "maxpool") == 0 && out->kernel < 0)
        return config_value_fail(v, node, "entry %d (%s): a maxpool layer needs a kernel", i + 1,
                                 out->name);
    if (strcmp(out->type, "avgpool") == 0 && (out->kernel < 0) == (out->global != 1))
        return config_value_fail(v, node, "entry %d (%s): an avgpool layer needs either a kernel "
                                 "or global: true", i + 1, out->name);
    return CLCAM_OK;
}

static clcam_status config_layers_set(const config_key *k, const config_value *v,
                                      clcam_config *cfg)
{
    char got[96];
    config_layer *tmp;
    yaml_node_item_t *it;
    size_t n;
    int i, j;
    clcam_status st = CLCAM_OK;
    if (!v->node || v->node->type != YAML_SEQUENCE_NODE)
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    n = (size_t)(v->node->data.sequence.items.top - v->node->data.sequence.items.start);
    if (n > CONFIG_LAYERS_MAX)
        return config_value_fail(v, NULL, "at most %d layers, got %zu", CONFIG_LAYERS_MAX, n);
    if (!(tmp = calloc(n ? n : 1, sizeof *tmp)))
        return err_set(v->src->err, CLCAM_ERR_NOMEM, "out of memory reading model.layers");
    for (it = v->node->data.sequence.items.start, i = 0; (size_t)i < n; it++, i++) {
        yaml_node_t *e = yaml_document_get_node(v->src->doc, *it);
        if ((st = config_layer_parse(v, e, i, &tmp[i])) != CLCAM_OK) goto exit;
        for (j = 0; j < i; j++)
            if (strcmp(tmp[j].name, tmp[i].name) == 0) {
                st = config_value_fail(v, e, "entry %d: duplicate name '%s' (entry %d has it too)",
                                       i + 1, tmp[i].name, j + 1);
                goto exit;
            }
    }
    /* Inputs name earlier entries (the order is the order the network runs in), or "input". */
    for (it = v->node->data.sequence.items.start, i = 0; (size_t)i < n; it++, i++) {
        yaml_node_t *e = yaml_document_get_node(v->src->doc, *it);
        for (int a = 0; a < tmp[i].n_inputs; a++) {
            const char *want = tmp[i].inputs[a];
            int found = -1;
            for (j = 0; j < (int)n && found < 0; j++)
                if (strcmp(tmp[j].name, want) == 0) found = j;
            if (found < 0 && strcmp(want, "input") == 0) continue;
            if (found < 0) {
                st = config_value_fail(v, e, "entry %d (%s): inputs: no layer named '%s' (name an "
                                       "earlier entry, or input for the network's input)", i + 1,
                                       tmp[i].name, want);
                goto exit;
            }
            if (found >= i) {
                st = config_value_fail(v, e, "entry %d (%s): inputs: '%s' is entry %d, %s; an entry "
                                       "may read only earlier ones (list the layers in the order "
                                       "they run)", i + 1, tmp[i].name, want, found + 1,
                                       found == i ? "itself" : "a later one");
                goto exit;
            }
        }
    }
    memcpy(cfg->model_layers, tmp, n * sizeof *tmp);
    cfg->model_n_layers = (int)n;
exit:
    free(tmp);
    return st;
}

static void config_layers_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    if (cfg->model_n_layers == 0) {
        config_buf_printf(b, "[]");
        return;
    }
    for (int i = 0; i < cfg->model_n_layers; i++) {
        const config_layer *l = &cfg->model_layers[i];
        config_buf_printf(b, "\n    - {type: %s, name: ", l->type);
        config_buf_name(b, l->name);
        if (l->n_inputs > 0) {
            config_buf_printf(b, ", inputs: [");
            for (int a = 0; a < l->n_inputs; a++) {
                if (a) config_buf_printf(b, ", ");
                config_buf_name(b, l->inputs[a]);
            }
            config_buf_printf(b, "]");
        }
        if (l->out >= 0) config_buf_printf(b, ", out: %d", l->out);
        if (l->kernel >= 0) config_buf_printf(b, ", kernel: %d", l->kernel);
        if (l->stride >= 0) config_buf_printf(b, ", stride: %d", l->stride);
        if (l->padding >= 0) config_buf_printf(b, ", padding: %d", l->padding);
        if (l->bias >= 0) config_buf_printf(b, ", bias: %s", l->bias ? "true" : "false");
        if (l->global >= 0) config_buf_printf(b, ", global: %s", l->global ? "true" : "false");
        if (l->eps > 0.0f) {
            config_buf_printf(b, ", eps: ");
            config_float_emit(b, l->eps);
        }
        if (l->groups >= 0) config_buf_printf(b, ", groups: %d", l->groups);
        if (!isnan(l->min)) {
            config_buf_printf(b, ", min: ");
            config_float_emit(b, l->min);
        }
        if (!isnan(l->max)) {
            config_buf_printf(b, ", max: ");
            config_float_emit(b, l->max);
        }
        if (l->count_include_pad >= 0)
            config_buf_printf(b, ", count_include_pad: %s", l->count_include_pad ? "true" : "false");
        if (l->pads[0] >= 0)
            config_buf_printf(b, ", pads: [%d, %d, %d, %d]", l->pads[0], l->pads[1], l->pads[2],
                              l->pads[3]);
        config_buf_printf(b, "}");
    }
}

/* A YAML list of distinct names from table into out[*n_out]: between min_n and max_n of them
 * (noun and list for messages). */
static clcam_status config_names_set(const config_key *k, const config_value *v,
                                     const char *const *table, size_t n_table, const char *list,
                                     const char *noun, size_t min_n, size_t max_n,
                                     char (*out)[CONFIG_NAME_MAX], int *n_out)
{
    char got[96];
    char names[CONFIG_METHODS_MAX > CONFIG_METRICS_MAX ? CONFIG_METHODS_MAX : CONFIG_METRICS_MAX]
              [CONFIG_NAME_MAX];
    size_t n, i, j, m;
    yaml_node_item_t *it;
    if (!v->node || v->node->type != YAML_SEQUENCE_NODE)
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    n = (size_t)(v->node->data.sequence.items.top - v->node->data.sequence.items.start);
    if (n < min_n || n > max_n || n > sizeof names / sizeof names[0])
        return config_value_fail(v, NULL, "expected %zu to %zu %ss (supported: %s), got %zu",
                                 min_n, max_n, noun, list, n);
    for (it = v->node->data.sequence.items.start, i = 0; i < n; it++, i++) {
        yaml_node_t *e = yaml_document_get_node(v->src->doc, *it);
        const char *s;
        if (!e || e->type != YAML_SCALAR_NODE)
            return config_value_fail(v, e, "expected %s, got %s in the list", k->what,
                                     config_node_describe(e, got, sizeof got));
        s = (const char *)e->data.scalar.value;
        for (m = 0; m < n_table; m++)
            if (strcmp(s, table[m]) == 0) break;
        if (m == n_table)
            return config_value_fail(v, e, "unknown %s '%.64s' (supported: %s)", noun, s, list);
        for (j = 0; j < i; j++)
            if (strcmp(names[j], s) == 0)
                return config_value_fail(v, e, "duplicate %s '%s'", noun, s);
        snprintf(names[i], sizeof names[i], "%s", table[m]);
    }
    if (n) memcpy(out, names, n * sizeof names[0]);
    *n_out = (int)n;
    return CLCAM_OK;
}

static void config_names_emit(config_buf *b, const char (*names)[CONFIG_NAME_MAX], int n)
{
    config_buf_printf(b, "[");
    for (int i = 0; i < n; i++) {
        if (i) config_buf_printf(b, ", ");
        config_buf_scalar(b, names[i]);
    }
    config_buf_printf(b, "]");
}

static clcam_status config_methods_set(const config_key *k, const config_value *v,
                                       clcam_config *cfg)
{
    return config_names_set(k, v, CONFIG_METHODS, sizeof CONFIG_METHODS / sizeof *CONFIG_METHODS,
                            CONFIG_METHODS_LIST, "method", 1, CONFIG_METHODS_MAX, cfg->cam_methods,
                            &cfg->cam_n_methods);
}

static clcam_status config_metrics_set(const config_key *k, const config_value *v,
                                       clcam_config *cfg)
{
    return config_names_set(k, v, CONFIG_METRICS, sizeof CONFIG_METRICS / sizeof *CONFIG_METRICS,
                            CONFIG_METRICS_LIST, "metric", 0, CONFIG_METRICS_MAX, cfg->cam_metrics,
                            &cfg->cam_n_metrics);
}

static void config_metrics_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    config_names_emit(b, (const char (*)[CONFIG_NAME_MAX])cfg->cam_metrics, cfg->cam_n_metrics);
}

/* cam.road_percentiles: 1 to CONFIG_PERCENTILES_MAX ascending integers in 1..99. */
static clcam_status config_percentiles_set(const config_key *k, const config_value *v,
                                           clcam_config *cfg)
{
    char got[96];
    int pct[CONFIG_PERCENTILES_MAX];
    size_t n, i;
    yaml_node_item_t *it;
    if (!v->node || v->node->type != YAML_SEQUENCE_NODE)
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    n = (size_t)(v->node->data.sequence.items.top - v->node->data.sequence.items.start);
    if (n < 1 || n > CONFIG_PERCENTILES_MAX)
        return config_value_fail(v, NULL, "expected %s, got %zu of them", k->what, n);
    for (it = v->node->data.sequence.items.start, i = 0; i < n; it++, i++) {
        yaml_node_t *e = yaml_document_get_node(v->src->doc, *it);
        long l;
        if (!e || e->type != YAML_SCALAR_NODE ||
            !config_parse_long((const char *)e->data.scalar.value, &l) || l < 1 || l > 99 ||
            (i > 0 && l <= pct[i - 1]))
            return config_value_fail(v, e, "expected %s, got %s in the list", k->what,
                                     config_node_describe(e, got, sizeof got));
        pct[i] = (int)l;
    }
    memcpy(cfg->cam_road_percentiles, pct, n * sizeof *pct);
    cfg->cam_n_road_percentiles = (int)n;
    return CLCAM_OK;
}

static void config_percentiles_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    config_buf_printf(b, "[");
    for (int i = 0; i < cfg->cam_n_road_percentiles; i++)
        config_buf_printf(b, i ? ", %d" : "%d", cfg->cam_road_percentiles[i]);
    config_buf_printf(b, "]");
}

static clcam_status config_space_set(const config_key *k, const config_value *v,
                                     clcam_config *cfg)
{
    return config_choice_set(k, v, CONFIG_SPACES, sizeof CONFIG_SPACES / sizeof *CONFIG_SPACES,
                             &cfg->cam_confidence_space);
}

static void config_space_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    config_buf_printf(b, "%s", CONFIG_SPACES[cfg->cam_confidence_space]);
}

static void config_methods_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    config_names_emit(b, (const char (*)[CONFIG_NAME_MAX])cfg->cam_methods, cfg->cam_n_methods);
}

static clcam_status config_target_set(const config_key *k, const config_value *v,
                                      clcam_config *cfg)
{
    const char *s = "";
    char got[96];
    long l;
    clcam_status st;
    if (v->node && v->node->type == YAML_MAPPING_NODE) {
        /* {topk: K}: the K most probable classes of each image */
        yaml_node_pair_t *pair = v->node->data.mapping.pairs.start;
        yaml_node_t *key, *val;
        if (v->node->data.mapping.pairs.top - pair != 1 ||
            !(key = yaml_document_get_node(v->src->doc, pair->key)) ||
            !(val = yaml_document_get_node(v->src->doc, pair->value)) ||
            key->type != YAML_SCALAR_NODE || strcmp((const char *)key->data.scalar.value, "topk") != 0 ||
            val->type != YAML_SCALAR_NODE ||
            !config_parse_long((const char *)val->data.scalar.value, &l) || l < 1 || l > CONFIG_TOPK_MAX)
            return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                     config_node_describe(v->node, got, sizeof got));
        cfg->cam_target = CAM_TARGET_TOPK;
        cfg->cam_target_k = (int)l;
        return CLCAM_OK;
    }
    st = config_value_text(k, v, &s);
    if (st != CLCAM_OK) return st;
    if (strcmp(s, "predicted") == 0) {
        cfg->cam_target = CAM_TARGET_PREDICTED;
    } else if (strcmp(s, "label") == 0) {
        cfg->cam_target = CAM_TARGET_LABEL;
    } else if (config_parse_long(s, &l) && l >= 0 && l <= INT_MAX) {
        cfg->cam_target = CAM_TARGET_CLASS;
        cfg->cam_target_class = (int)l;
    } else {
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    }
    return CLCAM_OK;
}

static void config_target_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    switch (cfg->cam_target) {
    case CAM_TARGET_PREDICTED: config_buf_printf(b, "predicted"); break;
    case CAM_TARGET_LABEL: config_buf_printf(b, "label"); break;
    case CAM_TARGET_CLASS: config_buf_printf(b, "%d", cfg->cam_target_class); break;
    case CAM_TARGET_TOPK: config_buf_printf(b, "{topk: %d}", cfg->cam_target_k); break;
    }
}

/* ---- train: booleans and the learning-rate schedule ---- */

static clcam_status config_bool_set(const config_key *k, const config_value *v, clcam_config *cfg)
{
    const char *s = "";
    char got[96];
    int *field = (int *)(void *)((char *)cfg + k->offset);
    clcam_status st = config_value_text(k, v, &s);
    if (st != CLCAM_OK) return st;
    if (strcmp(s, "true") == 0) *field = 1;
    else if (strcmp(s, "false") == 0) *field = 0;
    else return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                  config_node_describe(v->node, got, sizeof got));
    return CLCAM_OK;
}

static void config_bool_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    config_buf_printf(b, "%s", *(const int *)(const void *)((const char *)cfg + k->offset) ? "true" : "false");
}

static const char *const CONFIG_SCHEDULES[] = {[LR_ONECYCLE] = "onecycle", [LR_COSINE] = "cosine",
                                               [LR_CONSTANT] = "constant"};

/* A value that must be one of names[0..n): its index into *out. */
static clcam_status config_choice_set(const config_key *k, const config_value *v,
                                      const char *const *names, size_t n, int *out)
{
    const char *s = "";
    char got[96];
    clcam_status st = config_value_text(k, v, &s);
    if (st != CLCAM_OK) return st;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return CLCAM_OK;
        }
    return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                             config_node_describe(v->node, got, sizeof got));
}

static clcam_status config_schedule_set(const config_key *k, const config_value *v,
                                        clcam_config *cfg)
{
    int i = 0;
    clcam_status st = config_choice_set(k, v, CONFIG_SCHEDULES,
                                        sizeof CONFIG_SCHEDULES / sizeof *CONFIG_SCHEDULES, &i);
    if (st == CLCAM_OK) cfg->train_lr_schedule = (lr_schedule_kind)i;
    return st;
}

static void config_schedule_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    config_buf_printf(b, "%s", CONFIG_SCHEDULES[cfg->train_lr_schedule]);
}

/* The order of cam_dtype (io/cam_store.h). */
static const char *const CONFIG_CAM_DTYPES[] = {"float32", "float16", "uint8"};

static clcam_status config_cam_dtype_set(const config_key *k, const config_value *v,
                                         clcam_config *cfg)
{
    return config_choice_set(k, v, CONFIG_CAM_DTYPES,
                             sizeof CONFIG_CAM_DTYPES / sizeof *CONFIG_CAM_DTYPES,
                             &cfg->output_cam_dtype);
}

static void config_cam_dtype_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    (void)k;
    config_buf_printf(b, "%s", CONFIG_CAM_DTYPES[cfg->output_cam_dtype]);
}
