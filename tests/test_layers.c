/* Each layer type's forward and backward through LAYER_OPS against its plain-C reference,
 * on odd sizes and batch 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/model/layer.h"
#include "testutil.h"

static cl_ctx ctx;

static void check_layer_ex(layer_kind kind, layer_shape in, int kernel, int stride, int pad,
                           int out_features, int global_pool, int batch)
{
    layer l = {.kind = kind, .in = in, .kernel = kernel, .stride = stride, .pad = pad,
               .out_features = out_features, .global_pool = global_pool};
    const layer_ops *ops = LAYER_OPS[kind];
    clcam_err err = {0};
    unsigned seed = 77u + (unsigned)kind * 13u + (unsigned)batch;
    cl_mem d_in = NULL, d_dout = NULL, d_din = NULL;
    size_t n_in, n_out;
    float *x = NULL, *y = NULL, *y_ref = NULL, *dy = NULL, *dx = NULL, *dx_ref = NULL;
    int *aux = NULL;
    snprintf(l.name, sizeof l.name, "%s_test", ops->kind_name);
    CHECK(ops->output_shape(&l, &err) == CLCAM_OK, "%s output shape: %s", l.name, err.msg);
    n_in = (size_t)batch * layer_shape_size(l.in);
    n_out = (size_t)batch * layer_shape_size(l.out);
    if (kind == LAYER_CONV || kind == LAYER_LINEAR) {
        l.n_weight = out_features * in.c * (kind == LAYER_CONV ? kernel * kernel : 1);
        l.n_bias = out_features;
        l.weight = malloc(sizeof(float) * l.n_weight);
        l.bias = malloc(sizeof(float) * l.n_bias);
        test_fill_uniform(l.weight, (size_t)l.n_weight, -0.5f, 0.5f, &seed);
        test_fill_uniform(l.bias, (size_t)l.n_bias, -0.5f, 0.5f, &seed);
    }
    x = malloc(sizeof(float) * n_in);
    dx = malloc(sizeof(float) * n_in);
    dx_ref = malloc(sizeof(float) * n_in);
    y = malloc(sizeof(float) * (n_out + 1));
    y_ref = malloc(sizeof(float) * n_out);
    dy = malloc(sizeof(float) * n_out);
    aux = malloc(sizeof(int) * n_out);
    test_fill_uniform(x, n_in, -1.0f, 1.0f, &seed);
    test_fill_uniform(dy, n_out, -1.0f, 1.0f, &seed);
    y[n_out] = 12345.0f; /* canary: the download must not run past the output */
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * n_in, &d_in, "in", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_in, x, sizeof(float) * n_in, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(layer_upload(&ctx, &l, batch, d_in, &err) == CLCAM_OK, "%s upload: %s", l.name, err.msg);
    CHECK(ops->forward(&ctx, &l, d_in, batch, &err) == CLCAM_OK, "%s forward: %s", l.name, err.msg);
    CHECK(cl_ctx_download(&ctx, l.d_out, y, sizeof(float) * n_out, &err) == CLCAM_OK, "%s", err.msg);
    ops->ref_forward(&l, x, y_ref, aux, batch);
    {
        double tol_abs = 1e-6 * (kind == LAYER_CONV ? in.c * kernel * kernel : kind == LAYER_LINEAR ? in.c : 1);
        size_t worst;
        double r = test_tol_ratio(y, y_ref, n_out, tol_abs, 1e-5, &worst);
        CHECK(r <= 1.0, "%s forward batch %d: got %g want %g at %zu", l.name, batch, (double)y[worst],
              (double)y_ref[worst], worst);
        CHECK(y[n_out] == 12345.0f, "%s: canary overwritten", l.name);
    }
    if (ops->backward) {
        CHECK(cl_ctx_alloc(&ctx, sizeof(float) * n_out, &d_dout, "dout", &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_alloc(&ctx, sizeof(float) * n_in, &d_din, "din", &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_upload(&ctx, d_dout, dy, sizeof(float) * n_out, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(ops->backward(&ctx, &l, d_in, d_dout, d_din, batch, &err) == CLCAM_OK, "%s backward: %s",
              l.name, err.msg);
        CHECK(cl_ctx_download(&ctx, d_din, dx, sizeof(float) * n_in, &err) == CLCAM_OK, "%s", err.msg);
        ops->ref_backward(&l, x, y_ref, aux, dy, dx_ref, batch);
        size_t worst;
        double tol_abs = 1e-6 * (kind == LAYER_LINEAR ? out_features
                                 : kind == LAYER_CONV ? out_features * kernel * kernel : 1);
        double r = test_tol_ratio(dx, dx_ref, n_in, tol_abs, 1e-5, &worst);
        CHECK(r <= 1.0, "%s backward batch %d: got %g want %g at %zu", l.name, batch, (double)dx[worst],
              (double)dx_ref[worst], worst);
    }
    if (d_in) clReleaseMemObject(d_in);
    if (d_dout) clReleaseMemObject(d_dout);
    if (d_din) clReleaseMemObject(d_din);
    layer_free(&l);
    free(x), free(y), free(y_ref), free(dy), free(dx), free(dx_ref), free(aux);
}

static void check_layer(layer_kind kind, layer_shape in, int kernel, int stride, int pad,
                        int out_features, int batch)
{
    check_layer_ex(kind, in, kernel, stride, pad, out_features, 0, batch);
}

int main(void)
{
    clcam_err err = {0};
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "cannot open an OpenCL device: %s\n", err.msg);
        return 1;
    }
    test_check_engine(ctx.gemm_own);
    for (int batch = 1; batch <= 3; batch += 2) {
        check_layer(LAYER_CONV, (layer_shape){3, 7, 9}, 3, 1, 1, 5, batch);
        /* column matrix limited to one image: the batch goes through in slices */
        setenv("CLCAM_CONV_COL_BYTES", "1", 1);
        check_layer(LAYER_CONV, (layer_shape){3, 7, 9}, 3, 1, 1, 5, batch + 4);
        unsetenv("CLCAM_CONV_COL_BYTES");
        check_layer(LAYER_CONV, (layer_shape){4, 8, 8}, 3, 2, 0, 6, batch);
        check_layer(LAYER_CONV, (layer_shape){3, 9, 7}, 3, 2, 1, 4, batch);
        check_layer(LAYER_CONV, (layer_shape){2, 6, 5}, 1, 1, 0, 3, batch);
        check_layer(LAYER_RELU, (layer_shape){5, 7, 3}, 0, 0, 0, 0, batch);
        check_layer(LAYER_MAXPOOL, (layer_shape){3, 7, 9}, 2, 2, 0, 0, batch);
        check_layer(LAYER_MAXPOOL, (layer_shape){2, 9, 7}, 3, 2, 0, 0, batch);
        check_layer(LAYER_FLATTEN, (layer_shape){3, 5, 7}, 0, 0, 0, 0, batch);
        check_layer(LAYER_LINEAR, (layer_shape){37, 1, 1}, 0, 0, 0, 11, batch);
        check_layer(LAYER_AVGPOOL, (layer_shape){3, 7, 9}, 2, 2, 0, 0, batch);
        check_layer(LAYER_AVGPOOL, (layer_shape){2, 9, 7}, 3, 2, 0, 0, batch);
        check_layer_ex(LAYER_AVGPOOL, (layer_shape){5, 3, 5}, 0, 0, 0, 0, 1, batch); /* global */
        check_layer(LAYER_BATCHNORM, (layer_shape){4, 5, 3}, 0, 0, 0, 0, batch);
        check_layer(LAYER_DROPOUT, (layer_shape){13, 1, 1}, 0, 0, 0, 0, batch);
    }
    {
        layer l = {.kind = LAYER_LINEAR, .in = {3, 2, 2}, .out_features = 4};
        snprintf(l.name, sizeof l.name, "fc_bad");
        CHECK(LAYER_OPS[LAYER_LINEAR]->output_shape(&l, &err) == CLCAM_ERR_INPUT, "linear on a 3-D input must fail");
        CHECK(strstr(err.msg, "fc_bad") != NULL, "message names the layer: %s", err.msg);
    }
    cl_ctx_free(&ctx);
    return test_finish("test_layers");
}
