/* A network: a graph of layers built from a preset or model.layers, weights from HDF5, run on
 * the device. Layers are in topological order (each reads only earlier ones). */
#ifndef CLCAM_MODEL_H
#define CLCAM_MODEL_H

#include "../../io/config.h"
#include "../../io/graph_desc.h"
#include "layer.h"

#define MODEL_MAX_LAYERS 64

/* One row of an architecture description. The name is also the state_dict prefix of the
 * layer's weights, dots as groups: features.0 reads /features/0/weight. */
typedef struct {
    layer_kind kind;
    const char *name;
    int kernel, stride, pad;   /* conv: kernel 0 takes it from the weights */
    int out;                   /* conv, linear: expected outputs, 0: whatever the weights say */
    int no_bias;               /* conv: no <name>/bias, zeros instead */
    int global_pool;           /* avgpool over the whole plane */
    float eps;                 /* batchnorm; 0: 1e-5 */
    int groups;                /* conv: 0 or 1 dense, else weights [out, in / groups, k, k] */
    int has_min, has_max;      /* clip: which bounds are given (absent: -inf, +inf) */
    float clip_min, clip_max;
    int exclude_pad;           /* avgpool with pad: count_include_pad false */
    int pads[4];               /* pad: top, left, bottom, right */
    /* Names of the earlier layers it reads ("input": the network's); none: the one before. */
    int n_inputs;
    const char *inputs[LAYER_INPUTS_MAX];
    /* Built from a graph (model_build_graph): the parameters as indices into its consts,
     * by graph_param, -1 absent; unused otherwise. */
    int param[GRAPH_PARAM_COUNT];
    /* The tensor the layer writes, when the file names it apart from the layer (ONNX); NULL
     * otherwise. At most 127 bytes. */
    const char *tensor;
} layer_spec;

typedef struct {
    layer layers[MODEL_MAX_LAYERS];
    int n_layers;
    layer_shape input;
    int classes;
    int max_batch;
    int train;                 /* built for clcam train: sequential, every output its own */
    int fusion;                /* built with fusion on (CLCAM_FUSE not 0): model_check_cam_layer's too */
    /* The CAM layer (model_check_cam_layer), -1 none: then every output stays readable after
     * the forward pass and model_backward_to may stop at any layer. Once set, buffers are
     * reused where no later step reads them (model_plan.c) and model_backward_to goes to it. */
    int cam_t;
    cl_mem d_grad[2];          /* training's ping-pong gradients, max activation x max_batch */
    cl_mem d_tgrad[MODEL_MAX_LAYERS]; /* inference: dLoss/d(output of layer i), may share */
    cl_mem d_scratch;          /* a second contribution to a gradient, before it is added */
    size_t device_bytes;       /* all model buffers (weights, outputs, argmax, gradients) */
    size_t unshared_bytes;     /* the same if no buffer were reused */
} model;

/* Builds the named preset ("simplecnn") for inputs of shape `input` and reads its weights
 * from path: output channels and features come from the weights file, everything else is
 * checked against it. */
clcam_status model_load(model *m, const char *arch, const char *weights_path, layer_shape input,
                        clcam_err *err);
/* From cfg: model.layers when given, else the preset model.arch; the weights file from
 * model.weights. input comes from the dataset (cfg->data_file): errors about shapes name both
 * files. Everything is checked here, before any device work. */
clcam_status model_load_config(model *m, const clcam_config *cfg, layer_shape input,
                               clcam_err *err);
/* Same; train != 0 keeps each batchnorm a layer of its own (gamma, beta and running statistics
 * from the weights, for clcam train) instead of folding it into its conv. */
clcam_status model_load_config_mode(model *m, const clcam_config *cfg, layer_shape input,
                                    int train, clcam_err *err);
/* The model of cfg (model.layers, or the preset with its default widths) with no weights yet:
 * every parameter zero, for the trainer to initialise. The last linear layer without `out`
 * gets `classes` outputs. A conv or linear entry of model.layers needs out (and a conv its
 * kernel). A batchnorm stays a layer of its own, gamma 1, beta 0, running mean 0, running
 * variance 1 (PyTorch's initial values), as the trainer needs it. */
clcam_status model_init_config(model *m, const clcam_config *cfg, layer_shape input, int classes,
                               clcam_err *err);
/* Same from an explicit layer list (weights_path NULL: zero parameters of the specs' shapes). A batchnorm is folded into the conv it reads, which it
 * must be the only reader of (anything else is an error). */
clcam_status model_build(model *m, const layer_spec *specs, int n_specs, const char *weights_path,
                         layer_shape input, clcam_err *err);
/* Same with the parameters from g's constants (specs[i].param) instead of an HDF5 file; fname
 * names the file in messages. any_output: the last layer may be any tensor, not only class
 * scores (ONNX's per-operator test cases). */
clcam_status model_build_graph(model *m, const layer_spec *specs, int n_specs, const graph_desc *g,
                               const char *fname, layer_shape input, int any_output,
                               clcam_err *err);
/* The ONNX model at path (model.onnx), for inputs of shape `input`: one layer per node, named
 * by the node's name (torch.onnx.export: /layer1/layer1.0/relu/Relu, which cam.layer's module
 * paths resolve); a batchnorm after a conv it alone reads folds into it. Nodes clcam cannot
 * run (Gemm with alpha or beta other than 1, asymmetric padding, non-square strides...) and
 * an input shape other than the file's fixed C, H, W are errors naming the node or both. */
clcam_status model_load_onnx(model *m, const char *path, layer_shape input, clcam_err *err);
/* Same with any_output (model_build_graph), which also takes an input of rank 2 ([N, F] as
 * F x 1 x 1): for ONNX's per-operator test cases. */
clcam_status model_load_onnx_any(model *m, const char *path, layer_shape input, int any_output,
                                 clcam_err *err);
/* The C, H, W of the ONNX model's input as the file fixes them; an error when one is symbolic. */
clcam_status model_onnx_input_shape(const char *path, layer_shape *shape, clcam_err *err);
/* The cam.layer to use: cfg's, except that for model.onnx the default `conv3` means `auto`
 * where the model has no layer or module conv3. */
const char *model_cam_layer_name(const model *m, const clcam_config *cfg);
/* Device buffers for up to max_batch images. */
clcam_status model_upload(cl_ctx *ctx, model *m, int max_batch, clcam_err *err);
/* Frees the device buffers, keeping the weights: model_upload can follow again. */
void model_release_device(model *m);
void model_free(model *m);

/* Index of the layer named name, or -1. */
int model_find_layer(const model *m, const char *name);
/* Index of the layer that writes the tensor named name (an ONNX node's output), or -1. */
int model_find_tensor(const model *m, const char *name);
/* What `cam.layer: auto` names: the last layer whose output is a spatial map (more than 1x1,
 * not a conv with a batchnorm folded into it) before the first global pooling, or before the
 * end without one: model.layer4[-1] on a ResNet. -1 when there is none. */
int model_auto_cam_layer(const model *m);
/* Can the backward pass reach the output of layer t, and is it a spatial map? Not a conv whose
 * output a batchnorm was folded into (its output is the batchnorm's; name that one). The error
 * says why not and lists the layers that work. On success, a ReLU at t is no longer fused
 * into the max-pool after it (layer.h): call it before model_upload. name is a layer's name,
 * the name of the tensor a layer writes (ONNX: `/layer4/layer4.1/relu_1/Relu_output_0`),
 * `auto` (model_auto_cam_layer), or a PyTorch module path: the last layer in its scope
 * (layer_scope.h), tried in that order. */
clcam_status model_check_cam_layer(model *m, const char *name, int *t, clcam_err *err);
/* Inference fusions (ReLU into max-pool, here; Grad-CAM's weights and sum, upsampling and
 * normalisation, in the CAM stage) are on unless the environment sets CLCAM_FUSE=0. */
int model_fusion_enabled(void);
/* Buffers are reused by liveness unless the environment sets CLCAM_GRAPH_REUSE=0. */
int model_reuse_enabled(void);
/* How many layers read the output of layer i (a layer reading it twice counts twice). */
int model_readers(const model *m, int i);

clcam_status model_forward(cl_ctx *ctx, model *m, cl_mem input, int batch, clcam_err *err);
/* From dlogits (gradient at the last layer's output) back to the output of layer t (cam_t
 * once that is set); gradients of a tensor read by several layers are summed, in the reverse
 * of the layer order. *grad is one of d_tgrad (or dlogits when t is the last layer). */
clcam_status model_backward_to(cl_ctx *ctx, model *m, int t, cl_mem dlogits, int batch,
                               cl_mem *grad, clcam_err *err);

#endif
