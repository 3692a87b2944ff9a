#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/h5util.h"
#include "../io/weights.h"

/* The reference SimpleCNN: three conv-relu-pool blocks, then two linear layers. */
static const layer_spec SIMPLECNN[] = {
    {LAYER_CONV, "conv1", 3, 1, 1},  {LAYER_RELU, "relu1", 0, 0, 0}, {LAYER_MAXPOOL, "pool1", 2, 2, 0},
    {LAYER_CONV, "conv2", 3, 1, 1},  {LAYER_RELU, "relu2", 0, 0, 0}, {LAYER_MAXPOOL, "pool2", 2, 2, 0},
    {LAYER_CONV, "conv3", 3, 1, 1},  {LAYER_RELU, "relu3", 0, 0, 0}, {LAYER_MAXPOOL, "pool3", 2, 2, 0},
    {LAYER_FLATTEN, "flatten", 0, 0, 0},
    {LAYER_LINEAR, "fc1", 0, 0, 0},  {LAYER_RELU, "relu4", 0, 0, 0},
    {LAYER_LINEAR, "fc2", 0, 0, 0},
};

static const struct {
    const char *name;
    const layer_spec *specs;
    int n;
} PRESETS[] = {
    {"simplecnn", SIMPLECNN, (int)(sizeof SIMPLECNN / sizeof *SIMPLECNN)},
};

/* Reads name/weight and name/bias for a conv or linear layer; sets out_features. */
static clcam_status load_params(layer *l, hid_t file, const char *fname, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char wname[64], bname[64];
    long dims[4], bdims[1];
    snprintf(wname, sizeof wname, "%s/weight", l->name);
    snprintf(bname, sizeof bname, "%s/bias", l->name);
    if (l->kind == LAYER_CONV) {
        long expect[4] = {-1, l->in.c, l->kernel, l->kernel};
        TRY(weights_read(file, fname, wname, 4, expect, dims, &l->weight, err));
        l->n_weight = (int)(dims[0] * dims[1] * dims[2] * dims[3]);
    } else {
        long expect[2] = {-1, l->in.c};
        TRY(weights_read(file, fname, wname, 2, expect, dims, &l->weight, err));
        l->n_weight = (int)(dims[0] * dims[1]);
    }
    l->out_features = (int)dims[0];
    {
        long expect[1] = {l->out_features};
        TRY(weights_read(file, fname, bname, 1, expect, bdims, &l->bias, err));
        l->n_bias = l->out_features;
    }
exit:
    return st;
}

clcam_status model_build(model *m, const layer_spec *specs, int n_specs, const char *weights_path,
                         layer_shape input, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t file = H5I_INVALID_HID;
    layer_shape shape = input;
    memset(m, 0, sizeof *m);
    m->input = input;
    if (n_specs < 1 || n_specs > MODEL_MAX_LAYERS) {
        st = err_set(err, CLCAM_ERR_INPUT, "a model needs 1 to %d layers, got %d", MODEL_MAX_LAYERS, n_specs);
        goto exit;
    }
    TRY(h5_open_read(weights_path, "weights", &file, err));
    for (int i = 0; i < n_specs; i++) {
        layer *l = &m->layers[i];
        l->kind = specs[i].kind;
        snprintf(l->name, sizeof l->name, "%s", specs[i].name);
        l->kernel = specs[i].kernel;
        l->stride = specs[i].stride;
        l->pad = specs[i].pad;
        l->in = shape;
        m->n_layers = i + 1;
        if (l->kind == LAYER_CONV || l->kind == LAYER_LINEAR) TRY(load_params(l, file, weights_path, err));
        TRY(LAYER_OPS[l->kind]->output_shape(l, err));
        shape = l->out;
    }
    if (shape.h != 1 || shape.w != 1 || shape.c < 2) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: the model ends in a %dx%dx%d tensor, expected class scores",
                     weights_path, shape.c, shape.h, shape.w);
        goto exit;
    }
    m->classes = shape.c;
exit:
    if (file >= 0) H5Fclose(file);
    if (st != CLCAM_OK) model_free(m);
    return st;
}

clcam_status model_load(model *m, const char *arch, const char *weights_path, layer_shape input,
                        clcam_err *err)
{
    for (size_t i = 0; i < sizeof PRESETS / sizeof *PRESETS; i++)
        if (strcmp(PRESETS[i].name, arch) == 0)
            return model_build(m, PRESETS[i].specs, PRESETS[i].n, weights_path, input, err);
    return err_set(err, CLCAM_ERR_INPUT, "model.arch: unknown architecture '%s' (expected: simplecnn)", arch);
}

clcam_status model_upload(cl_ctx *ctx, model *m, int max_batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_mem prev = NULL;
    size_t biggest = (size_t)layer_shape_size(m->input);
    m->max_batch = max_batch;
    for (int i = 0; i < m->n_layers; i++) {
        TRY(layer_upload(ctx, &m->layers[i], max_batch, prev, err));
        prev = m->layers[i].d_out;
        if ((size_t)layer_shape_size(m->layers[i].out) > biggest) biggest = (size_t)layer_shape_size(m->layers[i].out);
    }
    for (int g = 0; g < 2; g++)
        TRY(cl_ctx_alloc(ctx, sizeof(float) * biggest * (size_t)max_batch, &m->d_grad[g], "gradient", err));
exit:
    return st;
}

void model_free(model *m)
{
    for (int i = 0; i < m->n_layers; i++) layer_free(&m->layers[i]);
    for (int g = 0; g < 2; g++)
        if (m->d_grad[g]) clReleaseMemObject(m->d_grad[g]);
    m->d_grad[0] = m->d_grad[1] = NULL;
    m->n_layers = 0;
}

int model_find_layer(const model *m, const char *name)
{
    for (int i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

clcam_status model_check_cam_layer(const model *m, const char *name, int *t, clcam_err *err)
{
    char ok[512] = "";
    size_t used = 0;
    int first_ok = m->n_layers;
    /* The backward pass reaches the outputs of layers after the last one without backward. */
    while (first_ok > 0 && LAYER_OPS[m->layers[first_ok - 1].kind]->backward) first_ok--;
    if (first_ok > 0) first_ok--; /* the output of the layer without backward is still reached */
    for (int i = first_ok; i < m->n_layers; i++)
        if (m->layers[i].out.h * m->layers[i].out.w > 1 && used < sizeof ok)
            used += (size_t)snprintf(ok + used, sizeof ok - used, "%s%s", used ? ", " : "", m->layers[i].name);
    *t = model_find_layer(m, name);
    if (*t < 0)
        return err_set(err, CLCAM_ERR_INPUT, "cam.layer: no layer named '%s' (layers that work: %s)", name, ok);
    if (*t < first_ok || m->layers[*t].out.h * m->layers[*t].out.w <= 1)
        return err_set(err, CLCAM_ERR_INPUT, "cam.layer: '%s' is not supported yet (layers that work: %s)", name, ok);
    return CLCAM_OK;
}

clcam_status model_forward(cl_ctx *ctx, model *m, cl_mem input, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_mem in = input;
    for (int i = 0; i < m->n_layers; i++) {
        TRY(LAYER_OPS[m->layers[i].kind]->forward(ctx, &m->layers[i], in, batch, err));
        in = m->layers[i].d_out;
    }
exit:
    return st;
}

clcam_status model_backward_to(cl_ctx *ctx, model *m, int t, cl_mem dlogits, int batch,
                               cl_mem *grad, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_mem dout = dlogits;
    int g = 0;
    for (int i = m->n_layers - 1; i > t; i--) {
        layer *l = &m->layers[i];
        cl_mem in = m->layers[i - 1].d_out, din = m->d_grad[g];
        TRY(LAYER_OPS[l->kind]->backward(ctx, l, in, dout, din, batch, err));
        dout = din;
        g ^= 1;
    }
    *grad = dout;
exit:
    return st;
}
