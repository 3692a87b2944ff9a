/* A model graph as a file describes it, on the host: named tensors, constant tensors
 * (weights) and nodes in an order where every node comes after the nodes it reads. No OpenCL
 * types: io/onnx_read.c fills it; the model builder above io/ makes its layers and device buffers.
 *
 * Conventions for every node:
 * - Activations are read by name (`inputs`): a graph input or an earlier node's `output`.
 * - Parameters are indices into `consts` (`param[GRAPH_PARAM_*]`, -1 when absent); which ones
 *   an op has is listed at each op below. Constant tensors are float32, row-major (C order).
 * - Shapes are NCHW for 4-D activations. A dimension that the file leaves open (a symbolic
 *   batch "N", or a size that depends on one) is GRAPH_DIM_UNKNOWN. */
#ifndef CLCAM_GRAPH_DESC_H
#define CLCAM_GRAPH_DESC_H

#include <stddef.h>
#include <stdint.h>

#define GRAPH_MAX_DIMS 5
#define GRAPH_DIM_UNKNOWN (-1)

typedef enum {
    GRAPH_OP_CONV,          /* param WEIGHT [out, in/group, kh, kw], BIAS [out] or -1 */
    GRAPH_OP_BATCHNORM,     /* inference form: param WEIGHT (gamma), BIAS (beta), MEAN, VAR, all [C];
                             * y = (x - mean) / sqrt(var + epsilon) * gamma + beta */
    GRAPH_OP_RELU,
    GRAPH_OP_CLIP,          /* y = min(max(x, clip_min), clip_max); ReLU6 is [0, 6] */
    GRAPH_OP_ADD,           /* n_inputs >= 2 tensors of one shape, summed (no broadcasting) */
    GRAPH_OP_CONCAT,        /* n_inputs >= 1 tensors joined along `axis` (1: channels) */
    GRAPH_OP_MAXPOOL,       /* kernel, stride, pads; padding never wins the max */
    GRAPH_OP_AVGPOOL,       /* kernel, stride, pads, count_include_pad */
    GRAPH_OP_GLOBALAVGPOOL, /* [N, C, H, W] -> [N, C, 1, 1] */
    GRAPH_OP_FLATTEN,       /* [d0, ..., dk-1, dk, ...] -> [d0 * ... * dk-1, dk * ...] at `axis`;
                             * torch's Reshape(x, [N or 1, -1]) arrives as FLATTEN axis 1 */
    GRAPH_OP_LINEAR,        /* y = alpha * x W^T + beta * b: param WEIGHT always [out, in] (torch's
                             * nn.Linear layout, transposed here from Gemm transB=0 or MatMul),
                             * BIAS [out] or -1. From Gemm, or MatMul followed by an Add of a
                             * constant vector (folded: the Add is no node of its own). */
    GRAPH_OP_IDENTITY,      /* y = x */
    GRAPH_OP_DROPOUT,       /* y = x at inference; `ratio` is kept for display only */
    GRAPH_OP_PAD,           /* pads the spatial dims: pad_mode, pads, pad_value */
    GRAPH_OP_COUNT
} graph_op;

typedef enum {
    GRAPH_PARAM_WEIGHT, /* conv / linear weight, batchnorm gamma */
    GRAPH_PARAM_BIAS,   /* conv / linear bias, batchnorm beta */
    GRAPH_PARAM_MEAN,   /* batchnorm running mean */
    GRAPH_PARAM_VAR,    /* batchnorm running variance */
    GRAPH_PARAM_COUNT
} graph_param;

typedef enum { GRAPH_PAD_CONSTANT, GRAPH_PAD_REFLECT, GRAPH_PAD_EDGE } graph_pad_mode;

/* A constant tensor (an ONNX initializer or Constant node), float32, owned. */
typedef struct {
    char *name;
    int rank;                      /* 0 (a scalar) .. GRAPH_MAX_DIMS */
    int64_t dims[GRAPH_MAX_DIMS];
    size_t count;                  /* product of dims (1 for a scalar) */
    float *data;                   /* count values, row-major; finite (NaN and Inf are refused) */
} graph_tensor;

/* A named activation the graph reads from outside (the image batch). */
typedef struct {
    char *name;
    int rank;
    int64_t dims[GRAPH_MAX_DIMS];  /* dims[0] is GRAPH_DIM_UNKNOWN for a symbolic batch */
} graph_value;

typedef struct {
    graph_op op;
    char *name;                    /* the file's node name ("/layer1/layer1.0/conv1/Conv"), or
                                    * "<op>_<index>" when the file gives none; never NULL */
    int n_inputs;
    char **inputs;                 /* activation names, in the op's order */
    int param[GRAPH_PARAM_COUNT];  /* indices into graph_desc.consts, -1 when absent */
    char *output;                  /* the one tensor this node writes; unique in the graph */
    int out_rank;                  /* inferred output shape, GRAPH_DIM_UNKNOWN where open */
    int64_t out_dims[GRAPH_MAX_DIMS];

    /* Attributes; each is meaningful only for the ops named. Spatial pairs are {h, w}; pads
     * are {top, left, bottom, right} (ONNX's begin..., end... order for 2-D). */
    int kernel[2];                 /* CONV (from the weight), MAXPOOL, AVGPOOL */
    int stride[2];                 /* CONV, MAXPOOL, AVGPOOL; 1 by default */
    int pads[4];                   /* CONV, MAXPOOL, AVGPOOL, PAD (PAD: spatial dims only) */
    int dilation[2];               /* CONV, MAXPOOL; 1 (others are refused today) */
    int group;                     /* CONV: 1, in_channels for depthwise */
    int ceil_mode;                 /* MAXPOOL, AVGPOOL: 0 (1 is refused today) */
    int count_include_pad;         /* AVGPOOL: padding counts in the divisor */
    float clip_min, clip_max;      /* CLIP: -INFINITY / INFINITY when not given */
    float epsilon;                 /* BATCHNORM */
    int axis;                      /* CONCAT (non-negative), FLATTEN (1 for torch's views) */
    float alpha, beta;             /* LINEAR: Gemm's scales, 1 from MatMul + Add */
    int trans_b;                   /* LINEAR: the file's transB (informative: WEIGHT is already
                                    * [out, in]) */
    graph_pad_mode pad_mode;       /* PAD */
    float pad_value;               /* PAD: the constant for GRAPH_PAD_CONSTANT */
    float ratio;                   /* DROPOUT */
} graph_node;

typedef struct {
    int n_inputs;
    graph_value *inputs;           /* the graph's activation inputs (initializers excluded) */
    int n_outputs;
    char **outputs;                /* names of the tensors the file marks as graph outputs */
    int n_consts;
    graph_tensor *consts;          /* float constants (weights), by index from graph_node.param */
    int n_nodes;
    graph_node *nodes;             /* topologically ordered: file order where the file allows */
    int64_t ir_version, opset;     /* the file's ONNX IR version and default-domain opset */
    char *producer;                /* "pytorch 1.13.0" etc., or "" */
} graph_desc;

/* Frees everything graph_desc owns and zeroes it; safe on a zeroed or partly filled desc. */
void graph_desc_free(graph_desc *g);
/* The constant named `name`, or -1. */
int graph_desc_const_find(const graph_desc *g, const char *name);
/* The node that writes `name`, or -1 (graph inputs and constants have no node). */
int graph_desc_node_find(const graph_desc *g, const char *name);
/* "conv", "batchnorm", ...: the op's lower-case name, for messages and summaries. */
const char *graph_op_name(graph_op op);

#endif
