/* Internal to io/config*.c: the table of config keys, shared by file parsing, --set and
 * config_to_yaml, and the helpers its rows use. Not part of the public interface. */
#ifndef CLCAM_CONFIG_KEYS_H
#define CLCAM_CONFIG_KEYS_H

#include "config.h"

#include <stddef.h>
#include <yaml.h>

/* Where values come from: a config file (file != NULL, errors say FILE:LINE) or a --set
 * entry (file == NULL, errors say "--set KEY"). */
typedef struct {
    const char *file;
    yaml_document_t *doc;
    clcam_err *err;
} config_src;

/* One value to apply: the full dotted key and its node (NULL: an empty --set value). */
typedef struct {
    const config_src *src;
    const char *key;
    yaml_node_t *node;
} config_value;

/* A growing text buffer for config_to_yaml; oom is sticky. */
typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} config_buf;

typedef enum {
    CONFIG_KIND_STRING, /* char[size] at offset, non-empty */
    CONFIG_KIND_INT,    /* int at offset, in [min, max] */
    CONFIG_KIND_LONG,   /* long at offset, in [min, max] */
    CONFIG_KIND_FLOAT,  /* finite float at offset */
    CONFIG_KIND_FLOAT3, /* float[3] at offset, a list of exactly 3 finite numbers */
    CONFIG_KIND_CUSTOM  /* set/emit below */
} config_kind;

typedef struct config_key config_key;
typedef clcam_status (*config_key_set_fn)(const config_key *k, const config_value *v,
                                          clcam_config *cfg);
typedef void (*config_key_emit_fn)(const config_key *k, const clcam_config *cfg, config_buf *b);

#define CONFIG_FLAG_POSITIVE 1u /* floats: each > 0 */
#define CONFIG_FLAG_IDENT 2u    /* strings: a module path, [A-Za-z0-9_]+ parts joined by single dots */
#define CONFIG_FLAG_NONNEG 4u   /* floats: each >= 0 */
#define CONFIG_FLAG_BELOW1 8u   /* floats: each < 1 */
#define CONFIG_FLAG_EMPTY 16u   /* strings: "" is allowed and means none (model.onnx) */
#define CONFIG_FLAG_GRAPH 32u   /* with IDENT: also a name an ONNX file gives a node or tensor:
                                 * printable ASCII, no spaces, with a '/' or ':' in it */

struct config_key {
    const char *path;    /* dotted: "cam.layer" */
    config_kind kind;
    size_t offset, size; /* field in clcam_config; size for strings */
    long min, max;       /* integers */
    unsigned flags;
    const char *what;    /* what is expected, for messages: "an integer >= 1" */
    config_key_set_fn set;   /* CONFIG_KIND_CUSTOM only */
    config_key_emit_fn emit; /* CONFIG_KIND_CUSTOM only */
};

/* The table, in the contract's order (config_to_yaml relies on sections being contiguous). */
extern const config_key CONFIG_KEYS[];
extern const size_t CONFIG_KEYS_COUNT;

/* Applies v to cfg as key k (type check, range check, store). */
clcam_status config_key_apply(const config_key *k, const config_value *v, clcam_config *cfg);
/* Appends k's value in cfg as a YAML scalar or flow list. */
void config_key_emit(const config_key *k, const clcam_config *cfg, config_buf *b);

/* Records "FILE:LINE: KEY: <msg>" or "--set KEY: <msg>" as CLCAM_ERR_INPUT; at gives the line
 * (NULL: v's node, or line unknown). */
clcam_status config_value_fail(const config_value *v, const yaml_node_t *at, const char *fmt, ...)
    CLCAM_PRINTF(3, 4);
/* "'text'" for a scalar (shortened), "a list", "a mapping", "nothing" for NULL. */
const char *config_node_describe(const yaml_node_t *node, char *buf, size_t n);
/* 1-based line of node, 0 for NULL. */
unsigned long config_node_line(const yaml_node_t *node);

void config_buf_printf(config_buf *b, const char *fmt, ...) CLCAM_PRINTF(2, 3);
/* Appends s as a plain YAML scalar when that reads back as the same text, else double-quoted. */
void config_buf_scalar(config_buf *b, const char *s);
/* Appends s double-quoted, with YAML's escapes for quotes, backslashes and control bytes. */
void config_buf_quoted(config_buf *b, const char *s);

#endif
