/* The run configuration: YAML file plus --set overrides, validated through one table of keys
 * (io/config_keys.c), and written back as YAML. */
#include "config.h"
#include "config_keys.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_FILE_MAX (1L << 20) /* a config is a page of text; refuse anything huge */
#define CONFIG_KEYPATH_MAX 256

void config_defaults(clcam_config *cfg)
{
    static const float mean[3] = {0.4914f, 0.4822f, 0.4465f};
    static const float std[3] = {0.2470f, 0.2435f, 0.2616f};
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->device, sizeof cfg->device, "any");
    cfg->batch = 0; /* auto */
    snprintf(cfg->data_file, sizeof cfg->data_file, "data/cifar10.h5");
    snprintf(cfg->data_split, sizeof cfg->data_split, "test");
    cfg->data_start = 0;
    cfg->data_count = -1;
    cfg->pre_scale = 1.0f / 255.0f;
    memcpy(cfg->pre_mean, mean, sizeof mean);
    memcpy(cfg->pre_std, std, sizeof std);
    snprintf(cfg->model_weights, sizeof cfg->model_weights, "models/simplecnn_cifar10.h5");
    snprintf(cfg->model_arch, sizeof cfg->model_arch, "simplecnn");
    snprintf(cfg->cam_methods[0], sizeof cfg->cam_methods[0], "gradcam");
    cfg->cam_n_methods = 1;
    snprintf(cfg->cam_layer, sizeof cfg->cam_layer, "conv3");
    cfg->cam_target = CAM_TARGET_PREDICTED;
    cfg->cam_target_class = 0;
    cfg->cam_target_k = 1;
    cfg->cam_n_metrics = 0;
    cfg->cam_metric_steps = 16;
    for (int i = 0; i < 4; i++) cfg->cam_road_percentiles[i] = 20 * (i + 1);
    cfg->cam_n_road_percentiles = 4;
    cfg->cam_road_noise = 0.01f;
    cfg->cam_confidence_space = 0;
    cfg->cam_seed = 0;
    snprintf(cfg->output_file, sizeof cfg->output_file, "results/cifar10_test_gradcam.h5");
    cfg->output_compression = 4;
    cfg->output_cam_dtype = 0;
    snprintf(cfg->train_split, sizeof cfg->train_split, "train");
    cfg->train_epochs = 18;
    cfg->train_batch = 128;
    cfg->train_lr_schedule = LR_ONECYCLE;
    cfg->train_lr_max = 0.05f;
    cfg->train_lr_warmup = 0.15f;
    cfg->train_momentum = 0.9f;
    cfg->train_nesterov = 1;
    cfg->train_weight_decay = 5e-4f;
    cfg->train_crop_pad = 4;
    cfg->train_flip = 1;
    cfg->train_seed = 0;
    cfg->cam_seed = 0;
    snprintf(cfg->train_eval_split, sizeof cfg->train_eval_split, "test");
    snprintf(cfg->train_output, sizeof cfg->train_output, "models/simplecnn_cifar10.h5");
    snprintf(cfg->train_init, sizeof cfg->train_init, "none");
}

/* ---- messages ---- */

unsigned long config_node_line(const yaml_node_t *node)
{
    return node ? (unsigned long)node->start_mark.line + 1 : 0;
}

const char *config_node_describe(const yaml_node_t *node, char *buf, size_t n)
{
    const char *s;
    size_t len, keep = n > 8 ? n - 8 : 0; /* room for quotes, "..." and NUL */
    if (!node) return "nothing";
    if (node->type == YAML_SEQUENCE_NODE) return "a list";
    if (node->type == YAML_MAPPING_NODE) return "a mapping";
    if (node->type != YAML_SCALAR_NODE) return "an empty node";
    s = (const char *)node->data.scalar.value;
    len = strlen(s);
    if (len <= keep)
        snprintf(buf, n, "'%s'", s);
    else
        snprintf(buf, n, "'%.*s...'", (int)keep, s);
    return buf;
}

clcam_status config_value_fail(const config_value *v, const yaml_node_t *at, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    const yaml_node_t *where = at ? at : v->node;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!v->src->file)
        return err_set(v->src->err, CLCAM_ERR_INPUT, "--set %s: %s", v->key, msg);
    if (!where)
        return err_set(v->src->err, CLCAM_ERR_INPUT, "%s: %s: %s", v->src->file, v->key, msg);
    return err_set(v->src->err, CLCAM_ERR_INPUT, "%s:%lu: %s: %s", v->src->file,
                   config_node_line(where), v->key, msg);
}

/* ---- the key tree, derived from the table ---- */

static const config_key *config_key_find(const char *path)
{
    size_t i;
    for (i = 0; i < CONFIG_KEYS_COUNT; i++)
        if (strcmp(CONFIG_KEYS[i].path, path) == 0) return &CONFIG_KEYS[i];
    return NULL;
}

/* The part of key path below section (""): "cam.layer" under "cam" is "layer"; NULL if not below. */
static const char *config_key_below(const char *path, const char *section)
{
    size_t n = strlen(section);
    if (n == 0) return path;
    return strncmp(path, section, n) == 0 && path[n] == '.' ? path + n + 1 : NULL;
}

static int config_section_exists(const char *section)
{
    size_t i;
    for (i = 0; i < CONFIG_KEYS_COUNT; i++)
        if (config_key_below(CONFIG_KEYS[i].path, section)) return 1;
    return 0;
}

/* "methods, layer, target": the names directly under section, in table order. */
static const char *config_section_children(const char *section, char *buf, size_t n)
{
    size_t i, j, len = 0;
    buf[0] = '\0';
    for (i = 0; i < CONFIG_KEYS_COUNT; i++) {
        const char *c = config_key_below(CONFIG_KEYS[i].path, section);
        size_t clen;
        int seen = 0;
        if (!c) continue;
        clen = strcspn(c, ".");
        for (j = 0; j < i && !seen; j++) {
            const char *d = config_key_below(CONFIG_KEYS[j].path, section);
            seen = d && strcspn(d, ".") == clen && strncmp(c, d, clen) == 0;
        }
        if (seen) continue;
        if (len + clen + 3 > n) break;
        len += (size_t)snprintf(buf + len, n - len, "%s%.*s", len ? ", " : "", (int)clen, c);
    }
    return buf;
}

/* ---- applying a YAML node to a key or a section ---- */

static clcam_status config_node_apply(const config_src *src, const char *path, yaml_node_t *node,
                                      clcam_config *cfg);

static clcam_status config_unknown_key(const config_src *src, const yaml_node_t *at,
                                       const char *path, const char *section)
{
    char kids[512];
    config_section_children(section, kids, sizeof kids);
    if (!src->file)
        return err_set(src->err, CLCAM_ERR_INPUT, "--set %s: unknown key (expected one of: %s)",
                       path, kids);
    return err_set(src->err, CLCAM_ERR_INPUT, "%s:%lu: unknown key '%s' (expected one of: %s)",
                   src->file, config_node_line(at), path, kids);
}

static clcam_status config_section_apply(const config_src *src, const char *section,
                                         yaml_node_t *node, clcam_config *cfg)
{
    char child[CONFIG_KEYPATH_MAX], got[96], kids[512];
    config_value here = {src, section[0] ? section : "top level", node};
    yaml_node_pair_t *p, *q;
    clcam_status st = CLCAM_OK;

    if (!node || node->type != YAML_MAPPING_NODE)
        return config_value_fail(&here, NULL, "expected a mapping with keys %s, got %s",
                                 config_section_children(section, kids, sizeof kids),
                                 config_node_describe(node, got, sizeof got));
    for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(src->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(src->doc, p->value);
        const char *name;
        int n;
        if (!kn || kn->type != YAML_SCALAR_NODE)
            return config_value_fail(&here, kn, "expected a key name, got %s",
                                     config_node_describe(kn, got, sizeof got));
        name = (const char *)kn->data.scalar.value;
        n = snprintf(child, sizeof child, "%s%s%s", section, section[0] ? "." : "", name);
        if (n < 0 || (size_t)n >= sizeof child || strlen(name) != kn->data.scalar.length ||
            (!config_key_find(child) && !config_section_exists(child)))
            return config_unknown_key(src, kn, child, section);
        for (q = node->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *qn = yaml_document_get_node(src->doc, q->key);
            if (qn && qn->type == YAML_SCALAR_NODE &&
                strcmp((const char *)qn->data.scalar.value, name) == 0) {
                if (!src->file)
                    return err_set(src->err, CLCAM_ERR_INPUT, "--set %s: duplicate key", child);
                return err_set(src->err, CLCAM_ERR_INPUT,
                               "%s:%lu: duplicate key '%s' (first at line %lu)", src->file,
                               config_node_line(kn), child, config_node_line(qn));
            }
        }
        if ((st = config_node_apply(src, child, vn, cfg)) != CLCAM_OK) return st;
    }
    return st;
}

static clcam_status config_node_apply(const config_src *src, const char *path, yaml_node_t *node,
                                      clcam_config *cfg)
{
    const config_key *k = config_key_find(path);
    if (k) {
        config_value v = {src, path, node};
        return config_key_apply(k, &v, cfg);
    }
    return config_section_apply(src, path, node, cfg);
}

/* ---- YAML text to a document ---- */

/* Parses exactly one document from text into doc (deleted by the caller on CLCAM_OK).
 * file names the config file, or set_key the --set entry, for messages. */
static clcam_status config_yaml_load(const char *text, size_t len, const char *file,
                                     const char *set_key, yaml_document_t *doc, clcam_err *err)
{
    yaml_parser_t parser;
    yaml_document_t extra;
    yaml_node_t *root;
    int parser_ok = 0, doc_ok = 0, extra_ok = 0;
    clcam_status st = CLCAM_OK;

    if (!yaml_parser_initialize(&parser)) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory starting the YAML parser",
                     file ? file : "--set");
        goto exit;
    }
    parser_ok = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (yaml_parser_load(&parser, doc)) doc_ok = 1;
    if (doc_ok && yaml_parser_load(&parser, &extra)) extra_ok = 1;
    if (!doc_ok || !extra_ok) {
        const char *problem = parser.problem ? parser.problem : "unknown problem";
        const char *context = parser.context ? parser.context : "";
        if (parser.error == YAML_MEMORY_ERROR)
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory parsing YAML",
                         file ? file : "--set");
        else if (!file)
            st = err_set(err, CLCAM_ERR_INPUT, "--set %s: YAML syntax error: %s%s%s%s", set_key,
                         problem, context[0] ? " (" : "", context, context[0] ? ")" : "");
        else if (parser.error == YAML_READER_ERROR)
            st = err_set(err, CLCAM_ERR_INPUT, "%s: YAML syntax error: %s at byte %zu", file,
                         problem, parser.problem_offset);
        else if (context[0])
            st = err_set(err, CLCAM_ERR_INPUT, "%s:%lu: YAML syntax error: %s (%s at line %lu)",
                         file, (unsigned long)parser.problem_mark.line + 1, problem, context,
                         (unsigned long)parser.context_mark.line + 1);
        else
            st = err_set(err, CLCAM_ERR_INPUT, "%s:%lu: YAML syntax error: %s", file,
                         (unsigned long)parser.problem_mark.line + 1, problem);
        goto exit;
    }
    if ((root = yaml_document_get_root_node(&extra)) != NULL) {
        if (file)
            st = err_set(err, CLCAM_ERR_INPUT, "%s:%lu: expected a single YAML document", file,
                         config_node_line(root));
        else
            st = err_set(err, CLCAM_ERR_INPUT, "--set %s: expected a single YAML value", set_key);
        goto exit;
    }
exit:
    if (extra_ok) yaml_document_delete(&extra);
    if (doc_ok && st != CLCAM_OK) yaml_document_delete(doc);
    if (parser_ok) yaml_parser_delete(&parser);
    return st;
}

/* Reads all of path into a malloc'd buffer. */
static clcam_status config_file_read(const char *path, char **text, size_t *len, clcam_err *err)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t cap = 4096, n = 0;
    clcam_status st = CLCAM_OK;

    if (!(f = fopen(path, "rb"))) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot open config: %s", path, strerror(errno));
        goto exit;
    }
    for (;;) {
        size_t got;
        if (n == cap || !buf) {
            char *grown;
            if (buf) cap *= 2;
            if (cap > (size_t)CONFIG_FILE_MAX + 1) {
                st = err_set(err, CLCAM_ERR_INPUT, "%s: config larger than %ld bytes", path,
                             CONFIG_FILE_MAX);
                goto exit;
            }
            if (!(grown = realloc(buf, cap))) {
                st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory reading config", path);
                goto exit;
            }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read config: %s", path, strerror(errno));
        goto exit;
    }
    *text = buf;
    *len = n;
    buf = NULL;
exit:
    free(buf);
    if (f) fclose(f);
    return st;
}

static clcam_status config_file_apply(const char *path, clcam_config *cfg, clcam_err *err)
{
    char *text = NULL;
    size_t len = 0;
    yaml_document_t doc;
    int doc_ok = 0;
    yaml_node_t *root;
    config_src src = {path, &doc, err};
    clcam_status st;

    if ((st = config_file_read(path, &text, &len, err)) != CLCAM_OK) goto exit;
    if ((st = config_yaml_load(text, len, path, NULL, &doc, err)) != CLCAM_OK) goto exit;
    doc_ok = 1;
    /* An empty file is an empty mapping: every key keeps its default. */
    if ((root = yaml_document_get_root_node(&doc)) != NULL)
        st = config_section_apply(&src, "", root, cfg);
exit:
    if (doc_ok) yaml_document_delete(&doc);
    free(text);
    return st;
}

/* Applies one "dotted.key=value" entry; value is a YAML snippet. */
static clcam_status config_set_apply(const char *entry, clcam_config *cfg, clcam_err *err)
{
    char key[CONFIG_KEYPATH_MAX], section[CONFIG_KEYPATH_MAX];
    const char *eq = strchr(entry, '=');
    yaml_document_t doc;
    int doc_ok = 0;
    config_src src = {NULL, &doc, err};
    size_t klen;
    clcam_status st = CLCAM_OK;

    if (!eq || eq == entry) {
        st = err_set(err, CLCAM_ERR_USAGE, "--set %s: expected KEY=VALUE, e.g. cam.layer=conv2",
                     entry);
        goto exit;
    }
    klen = (size_t)(eq - entry);
    snprintf(key, sizeof key, "%.*s", (int)(klen < sizeof key ? klen : sizeof key - 1), entry);
    if (klen >= sizeof key || (!config_key_find(key) && !config_section_exists(key))) {
        /* List the names under the deepest section the key does reach. */
        char *dot;
        snprintf(section, sizeof section, "%s", key);
        while ((dot = strrchr(section, '.')) != NULL) {
            *dot = '\0';
            if (config_section_exists(section)) break;
        }
        if (!dot) section[0] = '\0';
        st = config_unknown_key(&src, NULL, key, section);
        goto exit;
    }
    if ((st = config_yaml_load(eq + 1, strlen(eq + 1), NULL, key, &doc, err)) != CLCAM_OK)
        goto exit;
    doc_ok = 1;
    st = config_node_apply(&src, key, yaml_document_get_root_node(&doc), cfg);
exit:
    if (doc_ok) yaml_document_delete(&doc);
    return st;
}

clcam_status config_load(const char *path, const char *const *sets, int n_sets,
                         clcam_config *cfg, clcam_err *err)
{
    clcam_config tmp; /* cfg is written only on success */
    clcam_status st = CLCAM_OK;
    int i;

    assert(cfg && (sets || n_sets <= 0));
    config_defaults(&tmp);
    if (path && (st = config_file_apply(path, &tmp, err)) != CLCAM_OK) goto exit;
    for (i = 0; i < n_sets; i++) {
        if (!sets[i]) {
            st = err_set(err, CLCAM_ERR_USAGE, "--set: missing KEY=VALUE");
            goto exit;
        }
        if ((st = config_set_apply(sets[i], &tmp, err)) != CLCAM_OK) goto exit;
    }
    /* model.layers, when given, is the model; arch then reads "layers". */
    if (tmp.model_n_layers > 0) {
        snprintf(tmp.model_arch, sizeof tmp.model_arch, "layers");
    } else if (strcmp(tmp.model_arch, "layers") == 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: model.arch: 'layers' needs a model.layers list",
                     path ? path : "--set");
        goto exit;
    }
    *cfg = tmp;
exit:
    return st;
}

/* ---- writing YAML ---- */

void config_buf_printf(config_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (b->oom) return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        } else {
            size_t cap = b->cap ? b->cap : 1024;
            char *grown;
            while (cap - b->len <= (size_t)n) cap *= 2;
            if (!(grown = realloc(b->s, cap))) {
                b->oom = 1;
                return;
            }
            b->s = grown;
            b->cap = cap;
        }
    }
}

/* Plain scalars we emit: [A-Za-z0-9_./] first, then also '+', '-', and ':' not last. */
static int config_scalar_plain_ok(const char *s)
{
    size_t i, n = strlen(s);
    if (n == 0) return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '/';
        if (!ok && i > 0) ok = c == '+' || c == '-' || (c == ':' && i + 1 < n);
        if (!ok) return 0;
    }
    return 1;
}

void config_buf_scalar(config_buf *b, const char *s)
{
    if (config_scalar_plain_ok(s))
        config_buf_printf(b, "%s", s);
    else
        config_buf_quoted(b, s);
}

void config_buf_quoted(config_buf *b, const char *s)
{
    const unsigned char *p;
    config_buf_printf(b, "\"");
    for (p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            config_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            config_buf_printf(b, "\\x%02x", *p);
        else
            config_buf_printf(b, "%c", *p); /* UTF-8 passes through as is */
    }
    config_buf_printf(b, "\"");
}

char *config_to_yaml(const clcam_config *cfg)
{
    config_buf b = {NULL, 0, 0, 0};
    size_t i;
    const char *prev = "";

    /* Each section's rows are contiguous in the table; a key opens the sections of its path
     * that the previous key was not in (train.lr.max under train: and lr:). */
    config_buf_printf(&b, "# clcam effective config\n");
    for (i = 0; i < CONFIG_KEYS_COUNT; i++) {
        const char *path = CONFIG_KEYS[i].path, *leaf = strrchr(path, '.');
        size_t same = 0, start = 0, p;
        int depth = 0;
        leaf = leaf ? leaf + 1 : path;
        /* length of the sections (whole components) shared with the previous key */
        for (p = 0; path + p < leaf && prev[p] == path[p]; p++)
            if (path[p] == '.') same = p + 1;
        for (p = 0; path + p < leaf; p++) {
            if (path[p] != '.') continue;
            if (p >= same)
                config_buf_printf(&b, "%*s%.*s:\n", 2 * depth, "", (int)(p - start), path + start);
            depth++;
            start = p + 1;
        }
        prev = path;
        config_buf_printf(&b, "%*s%s: ", 2 * depth, "", leaf);
        config_key_emit(&CONFIG_KEYS[i], cfg, &b);
        config_buf_printf(&b, "\n");
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
