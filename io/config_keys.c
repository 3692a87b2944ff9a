/* The table of config keys: one row per key with its type, range and message text, used by the
 * file parser, --set and config_to_yaml alike (io/config.c). */
#include "config_keys.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CONFIG_ARCHS[] = {"simplecnn"};
static const char *const CONFIG_METHODS[] = {"gradcam", "gradcampp", "xgradcam", "hirescam",
                                             "layercam", "scorecam", "eigencam",
                                             "gradcam_elementwise"};
#define CONFIG_ARCHS_LIST "simplecnn"
#define CONFIG_METHODS_LIST                                                                     \
    "gradcam, gradcampp, xgradcam, hirescam, layercam, scorecam, eigencam, gradcam_elementwise"

static clcam_status config_count_set(const config_key *k, const config_value *v, clcam_config *cfg);
static void config_count_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_arch_set(const config_key *k, const config_value *v, clcam_config *cfg);
static void config_arch_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_methods_set(const config_key *k, const config_value *v,
                                       clcam_config *cfg);
static void config_methods_emit(const config_key *k, const clcam_config *cfg, config_buf *b);
static clcam_status config_target_set(const config_key *k, const config_value *v,
                                      clcam_config *cfg);
static void config_target_emit(const config_key *k, const clcam_config *cfg, config_buf *b);

#define CK_STR(path, field, flags, what)                                                       \
    {path, CONFIG_KIND_STRING, offsetof(clcam_config, field),                                   \
     sizeof((clcam_config *)0)->field, 0, 0, flags, what, NULL, NULL}
#define CK_NUM(path, kind, field, lo, hi, flags, what)                                         \
    {path, kind, offsetof(clcam_config, field), 0, lo, hi, flags, what, NULL, NULL}
#define CK_FN(path, what, fn) {path, CONFIG_KIND_CUSTOM, 0, 0, 0, 0, 0, what, fn##_set, fn##_emit}

const config_key CONFIG_KEYS[] = {
    CK_STR("device", device, 0, "a device SPEC (cpu, gpu, any, a name, optionally :N)"),
    CK_NUM("batch", CONFIG_KIND_INT, batch, 1, INT_MAX, 0, "an integer >= 1"),
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
    CK_FN("cam.methods", "a list of methods (supported: " CONFIG_METHODS_LIST ")",
          config_methods),
    CK_STR("cam.layer", cam_layer, CONFIG_FLAG_IDENT, "a layer name (letters, digits, '_', '.')"),
    CK_FN("cam.target", "'predicted', 'label', a class index >= 0 or {topk: K} with K in 1..16",
          config_target),
    CK_STR("output.file", output_file, 0, "a file path"),
    CK_NUM("output.compression", CONFIG_KIND_INT, output_compression, 0, 9, 0,
           "an integer in 0..9"),
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
    return isfinite(f) && (!(k->flags & CONFIG_FLAG_POSITIVE) || f > 0.0f);
}

static clcam_status config_string_set(const config_key *k, const config_value *v, char *dst)
{
    const char *s = "";
    char got[96];
    clcam_status st = config_value_text(k, v, &s);
    size_t n, i;
    if (st != CLCAM_OK) return st;
    n = strlen(s);
    if (n == 0) return config_value_fail(v, NULL, "expected %s, got an empty value", k->what);
    if (n >= k->size)
        return config_value_fail(v, NULL, "expected %s of at most %zu bytes, got %zu bytes",
                                 k->what, k->size - 1, n);
    if (k->flags & CONFIG_FLAG_IDENT) {
        int ok = (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';
        for (i = 1; ok && i < n; i++)
            ok = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                 (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.';
        if (!ok)
            return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                     config_node_describe(v->node, got, sizeof got));
    }
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
    case CONFIG_KIND_STRING: config_buf_scalar(b, field); break;
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

static clcam_status config_count_set(const config_key *k, const config_value *v, clcam_config *cfg)
{
    const char *s = "";
    char got[96];
    long l;
    clcam_status st = config_value_text(k, v, &s);
    if (st != CLCAM_OK) return st;
    if (strcmp(s, "all") == 0) {
        cfg->data_count = -1;
        return CLCAM_OK;
    }
    if (!config_parse_long(s, &l) || l < 1)
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    cfg->data_count = l;
    return CLCAM_OK;
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

static clcam_status config_methods_set(const config_key *k, const config_value *v,
                                       clcam_config *cfg)
{
    char got[96];
    char names[CONFIG_METHODS_MAX][CONFIG_NAME_MAX];
    size_t n, i, j, m;
    yaml_node_item_t *it;
    if (!v->node || v->node->type != YAML_SEQUENCE_NODE)
        return config_value_fail(v, NULL, "expected %s, got %s", k->what,
                                 config_node_describe(v->node, got, sizeof got));
    n = (size_t)(v->node->data.sequence.items.top - v->node->data.sequence.items.start);
    if (n == 0 || n > CONFIG_METHODS_MAX)
        return config_value_fail(v, NULL, "expected 1 to %d methods (supported: "
                                 CONFIG_METHODS_LIST "), got %zu", CONFIG_METHODS_MAX, n);
    for (it = v->node->data.sequence.items.start, i = 0; i < n; it++, i++) {
        yaml_node_t *e = yaml_document_get_node(v->src->doc, *it);
        const char *s;
        if (!e || e->type != YAML_SCALAR_NODE)
            return config_value_fail(v, e, "expected %s, got %s in the list", k->what,
                                     config_node_describe(e, got, sizeof got));
        s = (const char *)e->data.scalar.value;
        for (m = 0; m < sizeof CONFIG_METHODS / sizeof *CONFIG_METHODS; m++)
            if (strcmp(s, CONFIG_METHODS[m]) == 0) break;
        if (m == sizeof CONFIG_METHODS / sizeof *CONFIG_METHODS)
            return config_value_fail(v, e, "unknown method '%.64s' (supported: "
                                     CONFIG_METHODS_LIST ")", s);
        for (j = 0; j < i; j++)
            if (strcmp(names[j], s) == 0)
                return config_value_fail(v, e, "duplicate method '%s'", s);
        snprintf(names[i], sizeof names[i], "%s", CONFIG_METHODS[m]);
    }
    memcpy(cfg->cam_methods, names, n * sizeof names[0]);
    cfg->cam_n_methods = (int)n;
    return CLCAM_OK;
}

static void config_methods_emit(const config_key *k, const clcam_config *cfg, config_buf *b)
{
    int i;
    (void)k;
    config_buf_printf(b, "[");
    for (i = 0; i < cfg->cam_n_methods; i++) {
        if (i) config_buf_printf(b, ", ");
        config_buf_scalar(b, cfg->cam_methods[i]);
    }
    config_buf_printf(b, "]");
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
