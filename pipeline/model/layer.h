/* A network is a graph of layers (each reads earlier layers' outputs); each layer type is one
 * row of LAYER_OPS. */
#ifndef CLCAM_LAYER_H
#define CLCAM_LAYER_H

#include "../../cl/runtime.h"

typedef enum {
    LAYER_CONV,
    LAYER_RELU,
    LAYER_MAXPOOL,
    LAYER_FLATTEN,
    LAYER_LINEAR,
    LAYER_AVGPOOL,
    LAYER_BATCHNORM,  /* inference: eval mode, folded into the conv before it when the model is
                       * built, else on its own (bn_unfolded); training (bn_train): a layer of
                       * its own, see layer_batchnorm.c */
    LAYER_DROPOUT,    /* identity at inference */
    LAYER_CLIP,       /* min(max(x, clip_min), clip_max): ReLU6 is 0..6 */
    LAYER_PAD,        /* zero padding by pads; folded into the conv after it where it can */
    LAYER_ADD,        /* sum of two or more inputs of one shape */
    LAYER_CONCAT,     /* channels of its inputs, in order */
    LAYER_IDENTITY,
    LAYER_KIND_COUNT
} layer_kind;

/* One image's tensor: channels x height x width (a linear layer's is features x 1 x 1). */
typedef struct {
    int c, h, w;
} layer_shape;

static inline int layer_shape_size(layer_shape s) { return s.c * s.h * s.w; }

#define LAYER_INPUTS_MAX 8

typedef struct {
    layer_kind kind;
    char name[64];
    /* The tensor it writes as the model file names it (ONNX: `/layer4/layer4.1/relu_1/Relu_output_0`,
     * `input.32`), which cam.layer also accepts; "" where the layer's name is its tensor's. */
    char tensor[128];
    layer_shape in, out;       /* in: the first input's shape */
    /* The graph (model.c sets it): indices of the layers whose outputs this one reads, -1 the
     * network input. Before forward and backward calls, model.c also points in_bufs at those
     * outputs (in is in_bufs[0]: single-input rows need nothing else) and, for the backward
     * call, sets bwd_slot: din is the gradient of input bwd_slot (rows of one input: 0). */
    int n_inputs;
    int inputs[LAYER_INPUTS_MAX];
    layer_shape in_shapes[LAYER_INPUTS_MAX];
    cl_mem in_bufs[LAYER_INPUTS_MAX];
    const float *ref_in[LAYER_INPUTS_MAX]; /* likewise for ref_forward, host side */
    int bwd_slot;
    int kernel, stride, pad;   /* conv, maxpool, avgpool */
    int global_pool;           /* avgpool over the whole plane (kernel = input size) */
    int out_features;          /* conv: output channels; linear: outputs (from the weights) */
    int no_bias;               /* conv: bias: false, the bias stays zero (not trained) */
    float *weight, *bias;      /* host copies in PyTorch's layouts */
    int n_weight, n_bias;      /* element counts */
    cl_mem d_weight, d_bias;
    /* conv in a model built for inference (weights_fixed): its weights repacked for the direct
     * kernels or transformed for Winograd's at upload (layer_ops.prepare), where the layer goes
     * either way (cl/conv.h). */
    int weights_fixed;
    cl_mem d_wpacked;
    /* Inference only (model.c sets it): a ReLU directly followed by a max-pool is skipped and
     * its output aliases its input, and that max-pool applies the ReLU as it reads (max of
     * ReLU = ReLU of max, bitwise, argmax included). Set on both layers; saves writing and
     * reading back the ReLU's output. */
    int fuse_relu;
    /* Inference only (model.c): a ReLU whose input only it reads, made by a conv or an add
     * (through folded batchnorms and other aliases), is skipped (relu_in_source; its output
     * aliases its input) and that conv or add stores ReLU'd values (relu_out), the values
     * relu_forward would write. Saves a pass over the tensor per ReLU (ResNets: one per
     * conv and block). */
    int relu_out, relu_in_source;
    /* Inference only (model.c, once the CAM layer is known): an add of two inputs, one made by
     * a conv read by nothing else (through folded batchnorms), the other made before that
     * conv, is done in the conv's stores: the conv adds d_residual (the other input, bound by
     * model_run.c) before any ReLU (residual_in: 1 + the other input's layer), and the add
     * writes nothing, its output aliasing input alias_input (the conv's). The sum is the
     * add's, bitwise; saves a pass over two tensors per residual block. */
    int residual_in, add_in_conv, alias_input;
    cl_mem d_residual;
    int groups;                /* conv: input and output channels in G groups; 0 or 1 dense */
    int count_include_pad;     /* avgpool with pad: divide by the whole window (PyTorch's default) */
    float clip_min, clip_max;  /* clip: -INFINITY, INFINITY where absent */
    int pads[4];               /* pad: top, left, bottom, right */
    int pad_folded;            /* pad: added to the conv after it (model.c); the identity here */
    int bn_unfolded;           /* batchnorm at inference with nothing to fold into: y = (x - mean)
                                * / sqrt(var + eps) * gamma + beta on its own, weight = gamma,
                                * bias = beta, running_mean and running_var as for training */
    cl_mem d_out;              /* forward output for max_batch images */
    cl_mem d_aux;              /* maxpool: argmax, int per output */
    /* batchnorm for training (bn_train, not folded): weight = gamma, bias = beta [C]; bn_eval
     * normalises with the running statistics (PyTorch's eval()), else with the batch's, which
     * also updates the running ones (train()). */
    int bn_train, bn_eval;
    float eps, momentum;
    float *running_mean, *running_var;
    cl_mem d_bn[6];            /* running mean, running var, batch mean, invstd, dgamma, dbeta */
} layer;

typedef struct {
    const char *kind_name;
    int keeps_argmax;    /* forward stores an int argmax per output in d_aux */
    int aliases_input;   /* output is the input's memory, reinterpreted (flatten) */
    int multi_input;     /* reads n_inputs inputs (in_bufs, ref_in); backward once per input */
    /* Backward never reads the forward input / output tensor (only shapes, weights, d_aux):
     * the model may reuse their buffers before the backward pass. 0 keeps them alive. */
    int bwd_no_in, bwd_no_out;
    /* Fills l->out from l->in and the parameters; an error names the layer. */
    clcam_status (*output_shape)(layer *l, clcam_err *err);
    /* After the upload, what the layer keeps on the device besides its parameters (conv: its
     * weights repacked for the direct kernels); NULL for none. */
    clcam_status (*prepare)(cl_ctx *ctx, layer *l, clcam_err *err);
    clcam_status (*forward)(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err);
    /* din = dLoss/d(input) from dout = dLoss/d(output); NULL where not supported yet. */
    clcam_status (*backward)(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                             int batch, clcam_err *err);
    /* Parameter gradients, summed over the batch, from the layer's input and dout:
     * dweight and dbias in the layouts of weight and bias. NULL for layers without parameters. */
    clcam_status (*backward_params)(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem dweight,
                                    cl_mem dbias, int batch, clcam_err *err);
    void (*ref_forward)(const layer *l, const float *in, float *out, int *aux, int batch);
    void (*ref_backward)(const layer *l, const float *in, const float *out, const int *aux,
                         const float *dout, float *din, int batch);
    void (*ref_backward_params)(const layer *l, const float *in, const float *dout,
                                float *dweight, float *dbias, int batch);
} layer_ops;

extern const layer_ops *const LAYER_OPS[LAYER_KIND_COUNT];
extern const layer_ops layer_conv_ops, layer_relu_ops, layer_maxpool_ops, layer_flatten_ops,
    layer_linear_ops, layer_avgpool_ops, layer_batchnorm_ops, layer_dropout_ops, layer_clip_ops,
    layer_pad_ops, layer_add_ops, layer_concat_ops, layer_identity_ops;

/* The rows of layers whose output aliases their input (aliases_input): forward does nothing,
 * backward copies the gradient through; the references likewise. */
clcam_status layer_alias_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err);
clcam_status layer_alias_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                  int batch, clcam_err *err);
void layer_alias_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch);
void layer_alias_ref_backward(const layer *l, const float *in, const float *out, const int *aux,
                              const float *dout, float *din, int batch);

/* Does l's output share its input's buffer (an alias row, a fused ReLU, a folded pad or
 * batchnorm)? */
int layer_output_aliases_input(const layer *l);

/* The input whose buffer an aliasing layer's output is: inputs[0], or an add's alias_input. */
int layer_alias_source(const layer *l);
/* Device buffers for max_batch images: weights uploaded, outputs allocated. */
clcam_status layer_upload(cl_ctx *ctx, layer *l, int max_batch, cl_mem prev_out, clcam_err *err);
/* Same, the output in out_buf (retained: a buffer of the model's pool, model.c) unless the
 * layer aliases its input prev_out; out_buf NULL: a buffer of its own. */
clcam_status layer_upload_into(cl_ctx *ctx, layer *l, int max_batch, cl_mem prev_out,
                               cl_mem out_buf, clcam_err *err);
/* Frees the device buffers only; layer_upload can make them again. */
void layer_release_device(layer *l);
void layer_free(layer *l);

#endif
