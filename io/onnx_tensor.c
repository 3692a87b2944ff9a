/* ONNX TensorProto -> float32 constants and small int64 vectors: inline data, raw_data
 * (little-endian) or external data next to the model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_ctx.h"
#include "onnx_read.h"

#define TYPE(x) ONNX__TENSOR_PROTO__DATA_TYPE__##x

/* A name for messages: initializers have one, Constant values get the node's output name. */
static const char *tname(const Onnx__TensorProto *t, const char *name)
{
    return name && *name ? name : t->name && *t->name ? t->name : "(unnamed tensor)";
}

/* Shape and element count, refusing ranks over GRAPH_MAX_DIMS, negative and absurd dims. */
static clcam_status tensor_shape(onnx_ctx *c, const Onnx__TensorProto *t, const char *name,
                                 int max_rank, int *rank, int64_t *dims, size_t *count)
{
    size_t n = 1;
    if (t->n_dims > (size_t)max_rank)
        return err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s has rank %zu, clcam reads at most %d",
                       c->path, tname(t, name), t->n_dims, max_rank);
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || t->dims[i] > (1 << 30) || (t->dims[i] && n > ((size_t)1 << 32) / (size_t)t->dims[i]))
            return err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s has an invalid dimension %lld",
                           c->path, tname(t, name), (long long)t->dims[i]);
        dims[i] = t->dims[i];
        n *= (size_t)t->dims[i];
    }
    if (n == 0)
        return err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s is empty", c->path, tname(t, name));
    *rank = (int)t->n_dims;
    *count = n;
    return CLCAM_OK;
}

/* A relative path without ".." components: external data stays inside the model's folder. */
static int location_safe(const char *loc)
{
    if (!*loc || loc[0] == '/' || loc[0] == '\\') return 0;
    for (const char *p = loc; *p;) {
        size_t len = strcspn(p, "/\\");
        if (len == 2 && p[0] == '.' && p[1] == '.') return 0;
        p += len;
        if (*p) p++;
    }
    return 1;
}

/* The bytes of an external tensor: "location" relative to the model's folder, "offset",
 * "length" (both optional); exactly `want` bytes must be there. */
static clcam_status external_read(onnx_ctx *c, const Onnx__TensorProto *t, const char *name, size_t want,
                                  unsigned char **out)
{
    clcam_status st = CLCAM_OK;
    const char *loc = NULL;
    long long offset = 0, length = -1;
    long size = 0;
    char *full = NULL;
    unsigned char *buf = NULL;
    FILE *f = NULL;
    *out = NULL;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *k = onnx_str(t->external_data[i]->key), *v = onnx_str(t->external_data[i]->value);
        char *end = NULL;
        if (!strcmp(k, "location")) loc = v;
        else if (!strcmp(k, "offset") || !strcmp(k, "length")) {
            long long x = strtoll(v, &end, 10);
            if (!*v || *end || x < 0) {
                st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s: external data %s \"%s\" is not a byte count",
                             c->path, tname(t, name), k, v);
                goto exit;
            }
            if (k[0] == 'o') offset = x;
            else length = x;
        }
    }
    if (!loc || !location_safe(loc)) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s: external data location \"%s\" must be a relative "
                     "path inside the model's folder (no absolute path, no \"..\")", c->path, tname(t, name),
                     loc ? loc : "(none)");
        goto exit;
    }
    if (length >= 0 && (size_t)length != want) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s: external data length %lld, its shape needs %zu bytes",
                     c->path, tname(t, name), length, want);
        goto exit;
    }
    if (!(full = malloc(strlen(c->dir) + strlen(loc) + 2))) {
        st = err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory reading tensor %s", c->path, tname(t, name));
        goto exit;
    }
    sprintf(full, "%s/%s", c->dir, loc);
    if (!(f = fopen(full, "rb"))) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s: cannot open external data %s", c->path,
                     tname(t, name), full);
        goto exit;
    }
    /* The file's size bounds what a shape may ask for, before any allocation. */
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || offset > size || (size_t)(size - offset) < want) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s: external data %s holds fewer than %lld + %zu bytes",
                     c->path, tname(t, name), full, offset, want);
        goto exit;
    }
    if (!(buf = malloc(want))) {
        st = err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory reading tensor %s", c->path, tname(t, name));
        goto exit;
    }
    if (fseek(f, (long)offset, SEEK_SET) != 0 || fread(buf, 1, want, f) != want) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s: external data %s holds fewer than %lld + %zu bytes",
                     c->path, tname(t, name), full, offset, want);
        goto exit;
    }
    *out = buf;
    buf = NULL;
exit:
    if (f) fclose(f);
    free(full);
    free(buf);
    return st;
}

/* The tensor's bytes when they are raw (raw_data or external), else NULL: `size` bytes per value. */
static clcam_status raw_bytes(onnx_ctx *c, const Onnx__TensorProto *t, const char *name, size_t count,
                              size_t size, const unsigned char **raw, unsigned char **owned)
{
    *raw = NULL;
    *owned = NULL;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        clcam_status st = external_read(c, t, name, count * size, owned);
        *raw = *owned;
        return st;
    }
    if (t->has_raw_data) {
        if (t->raw_data.len != count * size)
            return err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s has %zu bytes of raw data, its shape needs %zu",
                           c->path, tname(t, name), t->raw_data.len, count * size);
        *raw = t->raw_data.data;
    }
    return CLCAM_OK;
}

static const char *type_name(int32_t type)
{
    switch (type) {
    case TYPE(FLOAT): return "float32";
    case TYPE(DOUBLE): return "float64";
    case TYPE(FLOAT16): return "float16";
    case TYPE(BFLOAT16): return "bfloat16";
    case TYPE(INT64): return "int64";
    case TYPE(INT32): return "int32";
    case TYPE(BOOL): return "bool";
    default: return "a type clcam does not read";
    }
}

clcam_status onnx_tensor_floats(onnx_ctx *c, const Onnx__TensorProto *t, const char *name, graph_tensor *out)
{
    clcam_status st = CLCAM_OK;
    const unsigned char *raw = NULL;
    unsigned char *owned = NULL;
    memset(out, 0, sizeof *out);
    if (t->data_type != TYPE(FLOAT)) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s is %s, clcam reads float32 weights", c->path,
                     tname(t, name), type_name(t->data_type));
        goto exit;
    }
    TRY(tensor_shape(c, t, name, GRAPH_MAX_DIMS, &out->rank, out->dims, &out->count));
    TRY(raw_bytes(c, t, name, out->count, 4, &raw, &owned));
    if (!raw && t->n_float_data != out->count) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s holds %zu values, its shape needs %zu", c->path,
                     tname(t, name), t->n_float_data, out->count);
        goto exit;
    }
    if (!(out->data = malloc(out->count * sizeof *out->data)) || !(out->name = strdup(tname(t, name)))) {
        st = err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory reading tensor %s", c->path, tname(t, name));
        goto exit;
    }
    for (size_t i = 0; i < out->count; i++) {
        if (raw) { /* little-endian whatever the host */
            uint32_t u = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 | (uint32_t)raw[4 * i + 2] << 16 |
                         (uint32_t)raw[4 * i + 3] << 24;
            memcpy(&out->data[i], &u, 4);
        } else {
            out->data[i] = t->float_data[i];
        }
        if (!isfinite(out->data[i])) {
            st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s holds a non-finite value (%g at flat index %zu)",
                         c->path, tname(t, name), (double)out->data[i], i);
            goto exit;
        }
    }
exit:
    free(owned);
    if (st != CLCAM_OK) {
        free(out->data);
        free(out->name);
        memset(out, 0, sizeof *out);
    }
    return st;
}

int onnx_tensor_is_int(const Onnx__TensorProto *t)
{
    return t->data_type == TYPE(INT64) || t->data_type == TYPE(INT32) || t->data_type == TYPE(BOOL);
}

clcam_status onnx_tensor_ints(onnx_ctx *c, const Onnx__TensorProto *t, const char *name, onnx_int *out)
{
    clcam_status st = CLCAM_OK;
    const unsigned char *raw = NULL;
    unsigned char *owned = NULL;
    int64_t dims[GRAPH_MAX_DIMS];
    size_t count = 0, size = t->data_type == TYPE(INT64) ? 8 : t->data_type == TYPE(BOOL) ? 1 : 4;
    memset(out, 0, sizeof *out);
    if (!onnx_tensor_is_int(t)) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s is %s where an int64 shape was expected", c->path,
                     tname(t, name), type_name(t->data_type));
        goto exit;
    }
    TRY(tensor_shape(c, t, name, 1, &out->rank, dims, &count));
    if (count > ONNX_INT_MAX) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: int tensor %s holds %zu values, clcam reads at most %d (shapes, pads)",
                     c->path, tname(t, name), count, ONNX_INT_MAX);
        goto exit;
    }
    TRY(raw_bytes(c, t, name, count, size, &raw, &owned));
    if (!raw && (size == 8 ? t->n_int64_data : t->n_int32_data) != count) {
        st = err_set(c->err, CLCAM_ERR_INPUT, "%s: tensor %s holds %zu values, its shape needs %zu", c->path,
                     tname(t, name), size == 8 ? t->n_int64_data : t->n_int32_data, count);
        goto exit;
    }
    for (size_t i = 0; i < count; i++) {
        if (raw) {
            uint64_t u = 0;
            for (size_t b = 0; b < size; b++) u |= (uint64_t)raw[size * i + b] << (8 * b);
            out->v[i] = size == 8 ? (int64_t)u : size == 4 ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
        } else {
            out->v[i] = size == 8 ? t->int64_data[i] : t->int32_data[i];
        }
    }
    out->n = (int)count;
    if (!(out->name = strdup(tname(t, name)))) st = err_set(c->err, CLCAM_ERR_NOMEM, "%s: out of memory", c->path);
exit:
    free(owned);
    return st;
}

clcam_status onnx_tensor_file_read(const char *path, graph_tensor *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    onnx_ctx c = {.path = path, .dir = (char *)".", .err = err};
    Onnx__TensorProto *t = NULL;
    unsigned char *bytes = NULL;
    long size = 0;
    FILE *f = NULL;
    memset(out, 0, sizeof *out);
    if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the file", path);
        goto exit;
    }
    if (!(bytes = malloc(size ? (size_t)size : 1))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", path);
        goto exit;
    }
    if (fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read the file", path);
        goto exit;
    }
    if (!(t = onnx__tensor_proto__unpack(NULL, (size_t)size, bytes))) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: not an ONNX TensorProto (protobuf decoding failed)", path);
        goto exit;
    }
    st = onnx_tensor_floats(&c, t, NULL, out);
exit:
    if (st != CLCAM_OK) onnx_msg_scrub(err);
    if (t) onnx__tensor_proto__free_unpacked(t, NULL);
    free(bytes);
    if (f) fclose(f);
    return st;
}
