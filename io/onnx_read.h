/* Reads an ONNX model (as torch.onnx.export writes it, opsets 11-17) into a graph_desc. */
#ifndef CLCAM_ONNX_READ_H
#define CLCAM_ONNX_READ_H

#include "../base/error.h"
#include "graph_desc.h"

/* The ops clcam reads, for messages: "Conv, BatchNormalization, ...". */
extern const char ONNX_SUPPORTED_OPS[];

/* Reads `path` into `out` (zeroed first; free it with graph_desc_free, also after a failure).
 * Constants come from initializers (raw_data, float_data, or external data in the model's
 * folder), Constant nodes and Identity of constants; shape computations (Shape, Gather,
 * Unsqueeze, Concat of int64 vectors) are evaluated and leave no node. Nodes come out in
 * topological order. Refuses, with CLCAM_ERR_INPUT and one line starting with `path`: files
 * that are no ONNX model, IR versions and opsets out of range, unsupported ops and attribute
 * values (naming the node, its op and the supported list), inputs that nothing provides,
 * cycles, inconsistent shapes, non-float weights, NaN or Inf weights, and external data outside
 * the model's folder. */
clcam_status onnx_read(const char *path, graph_desc *out, clcam_err *err);

/* Reads a file holding one serialized TensorProto (ONNX's test data: input_0.pb,
 * output_0.pb) as float32. `out` is zeroed first; free out->name and out->data. */
clcam_status onnx_tensor_file_read(const char *path, graph_tensor *out, clcam_err *err);

#endif
