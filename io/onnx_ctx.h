/* Internal to the ONNX reader (io/onnx_*.c): the state of one read, and the helpers its files
 * share. Not for the layers above io/: they see graph_desc.h and onnx_read.h only. */
#ifndef CLCAM_ONNX_CTX_H
#define CLCAM_ONNX_CTX_H

#include <stdint.h>

#include "../base/error.h"
#include "graph_desc.h"
#include "onnx.pb-c.h"

/* Values of shape computations (Shape, Gather, Concat of int64 vectors), for torch's
 * x.view(x.size(0), -1). A dimension the file leaves open is ONNX_INT_UNKNOWN, except the batch
 * dimension of an activation, which stays recognisable as ONNX_INT_BATCH. */
#define ONNX_INT_UNKNOWN INT64_MIN
#define ONNX_INT_BATCH (INT64_MIN + 1)
#define ONNX_INT_MAX 64 /* longest int64 tensor read: shapes and pads, not data */

/* An int64 constant or shape value, by name. */
typedef struct {
    char *name;
    int rank;      /* 0 (scalar) or 1 */
    int n;
    int64_t v[ONNX_INT_MAX];
} onnx_int;

/* An activation's name and inferred shape. */
typedef struct {
    char *name;
    int rank;
    int64_t dims[GRAPH_MAX_DIMS];
} onnx_act;

typedef struct {
    const char *path;            /* the model file, first in every message */
    char *dir;                   /* its folder, for external data */
    int64_t opset;
    graph_desc *g;
    onnx_int *ints;
    int n_ints, cap_ints;
    onnx_act *acts;
    int n_acts, cap_acts;
    int cap_consts, cap_nodes;
    const Onnx__GraphProto *graph;
    clcam_err *err;
} onnx_ctx;

/* Converts a float TensorProto (data inline, in raw_data or float_data, or external) into
 * `out` under `name`; refuses other types, NaN and Inf. */
clcam_status onnx_tensor_floats(onnx_ctx *c, const Onnx__TensorProto *t, const char *name,
                                graph_tensor *out);
/* Reads an int64 or int32 TensorProto of at most ONNX_INT_MAX values (shapes, pads). */
clcam_status onnx_tensor_ints(onnx_ctx *c, const Onnx__TensorProto *t, const char *name, onnx_int *out);
/* Is this TensorProto of an integer type (read by onnx_tensor_ints)? */
int onnx_tensor_is_int(const Onnx__TensorProto *t);

/* Tables of the read. Lookups return the entry or NULL (index -1 for consts). */
onnx_int *onnx_int_find(onnx_ctx *c, const char *name);
onnx_act *onnx_act_find(onnx_ctx *c, const char *name);
clcam_status onnx_int_add(onnx_ctx *c, const onnx_int *v);  /* takes a copy of v->name */
clcam_status onnx_act_add(onnx_ctx *c, const char *name, int rank, const int64_t *dims);
/* Appends a constant (takes ownership of t's name and data, also on failure). */
clcam_status onnx_const_add(onnx_ctx *c, graph_tensor *t);
/* Appends a zeroed node (param all -1) with a copy of the file's name and returns it. */
clcam_status onnx_node_add(onnx_ctx *c, graph_op op, const Onnx__NodeProto *n, int index,
                           graph_node **out);

/* Converts one node of the file, in topological order: a graph_desc node, a constant, a shape
 * value, or a clear refusal. `readers` counts the readers of each of the node's outputs. */
clcam_status onnx_node_convert(onnx_ctx *c, const Onnx__NodeProto *n, int index);
/* How many nodes (and graph outputs) read tensor `name`. */
int onnx_readers(const onnx_ctx *c, const char *name);

/* ---- helpers of the node conversions (onnx_attrs.c) ---- */

/* Refuses node n: "FILE: node NAME (OP): what". */
clcam_status onnx_node_err(onnx_ctx *c, const Onnx__NodeProto *n, const char *fmt, ...) CLCAM_PRINTF(3, 4);
const Onnx__AttributeProto *onnx_attr_find(const Onnx__NodeProto *n, const char *name);
/* An attribute of the right type, or `def` when absent. */
clcam_status onnx_attr_int(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, int64_t def, int64_t *out);
clcam_status onnx_attr_float(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, float def, float *out);
/* Up to `max` ints; *count -1 when the attribute is absent. */
clcam_status onnx_attr_ints(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, int max, int64_t *out,
                            int *count);
/* A string attribute into buf ("" when absent). */
clcam_status onnx_attr_str(onnx_ctx *c, const Onnx__NodeProto *n, const char *name, char *buf, size_t size);
/* Input i's name, "" when absent or left out. */
const char *onnx_in_name(const Onnx__NodeProto *n, size_t i);
/* Input i must be an activation. */
clcam_status onnx_act_in(onnx_ctx *c, const Onnx__NodeProto *n, size_t i, onnx_act **out);
/* Input i must be a float constant; *idx -1 when optional and left out. */
clcam_status onnx_const_in(onnx_ctx *c, const Onnx__NodeProto *n, size_t i, int optional, int *idx);
/* A float scalar constant (Clip bounds, Dropout ratio); *out unchanged when left out. */
clcam_status onnx_scalar_in(onnx_ctx *c, const Onnx__NodeProto *n, size_t i, float *out);
/* Outputs past the first are not computed: nothing may read them. */
clcam_status onnx_extra_outputs_check(onnx_ctx *c, const Onnx__NodeProto *n);
/* Names node d's k activation inputs and its output, and records the output's shape. */
clcam_status onnx_node_io(onnx_ctx *c, const Onnx__NodeProto *n, graph_node *d, onnx_act **ins, int k, int rank,
                          const int64_t *dims);
/* Same rank, and equal dims where both are known. */
int onnx_dims_match(const onnx_act *a, const onnx_act *b);
/* "[1, 16, N, 4]" */
const char *onnx_dims_str(int rank, const int64_t *dims, char *buf, size_t size);
clcam_status onnx_rank_check(onnx_ctx *c, const Onnx__NodeProto *n, const onnx_act *x, int rank);

/* ---- nodes that compute no activation (onnx_shapes.c) ---- */

/* A Constant node: a float constant or an int64 value. */
clcam_status onnx_constant_convert(onnx_ctx *c, const Onnx__NodeProto *n);
/* Identity of constant k (or of shape value iv): the same value under the output's name. */
clcam_status onnx_alias_convert(onnx_ctx *c, const Onnx__NodeProto *n, int k, onnx_int *iv);
/* Shape, Gather, Unsqueeze, Squeeze, Concat, Cast over int64 vectors (op names which). */
clcam_status onnx_shape_op_convert(onnx_ctx *c, const Onnx__NodeProto *n, const char *op);

/* Control characters of a message (names from the file) become '?': one line, harmless. */
void onnx_msg_scrub(clcam_err *err);

/* "" for a NULL string of protobuf-c's. */
static inline const char *onnx_str(const char *s) { return s ? s : ""; }

#endif
