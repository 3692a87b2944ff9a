/* Each layer type's forward and backward through LAYER_OPS against its plain-C reference,
 * on odd sizes and batch 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/model/layer.h"
#include "testutil.h"

static cl_ctx ctx;

/* The layer l (kind, input shape and parameters set) against its reference. */
static void check_layer_proto(layer l, int batch)
{
    layer_kind kind = l.kind;
    layer_shape in = l.in;
    int kernel = l.kernel, out_features = l.out_features;
    int groups = l.groups > 1 ? l.groups : 1;
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
        l.n_weight = out_features * in.c / groups * (kind == LAYER_CONV ? kernel * kernel : 1);
        l.n_bias = out_features;
        l.weight = malloc(sizeof(float) * l.n_weight);
        l.bias = malloc(sizeof(float) * l.n_bias);
        test_fill_uniform(l.weight, (size_t)l.n_weight, -0.5f, 0.5f, &seed);
        test_fill_uniform(l.bias, (size_t)l.n_bias, -0.5f, 0.5f, &seed);
    }
    if (l.bn_unfolded) { /* gamma, beta, running mean, running variance */
        float **p[4] = {&l.weight, &l.bias, &l.running_mean, &l.running_var};
        l.n_weight = l.n_bias = in.c;
        for (int i = 0; i < 4; i++) {
            *p[i] = malloc(sizeof(float) * in.c);
            test_fill_uniform(*p[i], (size_t)in.c, i == 3 ? 0.2f : -1.0f, i == 3 ? 2.0f : 1.0f, &seed);
        }
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
        double tol_abs = 1e-6 * (kind == LAYER_CONV ? in.c / groups * kernel * kernel
                                 : kind == LAYER_LINEAR ? in.c : l.bn_unfolded ? 4 : 1);
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
                                 : kind == LAYER_CONV ? out_features / groups * kernel * kernel
                                 : l.bn_unfolded ? 4 : 1);
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

static void check_layer_ex(layer_kind kind, layer_shape in, int kernel, int stride, int pad,
                           int out_features, int global_pool, int batch)
{
    layer l = {.kind = kind, .in = in, .kernel = kernel, .stride = stride, .pad = pad,
               .out_features = out_features, .global_pool = global_pool};
    check_layer_proto(l, batch);
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
        check_layer(LAYER_MAXPOOL, (layer_shape){2, 5, 37}, 2, 2, 0, 0, batch); /* 16 + 2 wide */
        check_layer(LAYER_MAXPOOL, (layer_shape){2, 4, 17}, 2, 2, 0, 0, batch); /* 8 wide */
        check_layer(LAYER_FLATTEN, (layer_shape){3, 5, 7}, 0, 0, 0, 0, batch);
        check_layer(LAYER_LINEAR, (layer_shape){37, 1, 1}, 0, 0, 0, 11, batch);
        check_layer(LAYER_AVGPOOL, (layer_shape){3, 7, 9}, 2, 2, 0, 0, batch);
        check_layer(LAYER_AVGPOOL, (layer_shape){2, 9, 7}, 3, 2, 0, 0, batch);
        check_layer_ex(LAYER_AVGPOOL, (layer_shape){5, 3, 5}, 0, 0, 0, 0, 1, batch); /* global */
        check_layer(LAYER_BATCHNORM, (layer_shape){4, 5, 3}, 0, 0, 0, 0, batch);
        check_layer(LAYER_DROPOUT, (layer_shape){13, 1, 1}, 0, 0, 0, 0, batch);
        /* grouped and depthwise convolutions (groups = input channels), odd sizes */
        check_layer_proto((layer){.kind = LAYER_CONV, .in = {6, 7, 9}, .kernel = 3, .stride = 1,
                                  .pad = 1, .out_features = 6, .groups = 6}, batch);
        check_layer_proto((layer){.kind = LAYER_CONV, .in = {5, 9, 7}, .kernel = 3, .stride = 2,
                                  .pad = 1, .out_features = 10, .groups = 5}, batch);
        check_layer_proto((layer){.kind = LAYER_CONV, .in = {6, 8, 5}, .kernel = 3, .stride = 1,
                                  .pad = 0, .out_features = 4, .groups = 2}, batch);
        check_layer_proto((layer){.kind = LAYER_CONV, .in = {4, 6, 7}, .kernel = 5, .stride = 2,
                                  .pad = 2, .out_features = 8, .groups = 4}, batch);
        /* clip: ReLU6, one bound only */
        check_layer_proto((layer){.kind = LAYER_CLIP, .in = {5, 7, 3}, .clip_min = 0.0f,
                                  .clip_max = 0.5f}, batch);
        check_layer_proto((layer){.kind = LAYER_CLIP, .in = {3, 5, 7}, .clip_min = -INFINITY,
                                  .clip_max = 0.25f}, batch);
        check_layer_proto((layer){.kind = LAYER_CLIP, .in = {3, 5, 7}, .clip_min = -0.25f,
                                  .clip_max = INFINITY}, batch);
        /* padded pools: the ResNet stem's 3x3 s2 p1 max-pool; average with and without the pad
         * in the count */
        check_layer(LAYER_MAXPOOL, (layer_shape){3, 9, 7}, 3, 2, 1, 0, batch);
        check_layer(LAYER_MAXPOOL, (layer_shape){2, 5, 75}, 3, 2, 1, 0, batch); /* 16-wide runs */
        check_layer(LAYER_MAXPOOL, (layer_shape){2, 3, 36}, 3, 2, 1, 0, batch);
        check_layer(LAYER_MAXPOOL, (layer_shape){2, 6, 5}, 3, 1, 1, 0, batch);
        check_layer(LAYER_MAXPOOL, (layer_shape){2, 7, 8}, 2, 2, 1, 0, batch);
        check_layer_proto((layer){.kind = LAYER_AVGPOOL, .in = {3, 7, 9}, .kernel = 3, .stride = 1,
                                  .pad = 1, .count_include_pad = 0}, batch);
        check_layer_proto((layer){.kind = LAYER_AVGPOOL, .in = {3, 9, 7}, .kernel = 3, .stride = 2,
                                  .pad = 1, .count_include_pad = 1}, batch);
        check_layer_proto((layer){.kind = LAYER_AVGPOOL, .in = {2, 5, 6}, .kernel = 4, .stride = 3,
                                  .pad = 2, .count_include_pad = 0}, batch);
        /* zero pad, symmetric and not */
        check_layer_proto((layer){.kind = LAYER_PAD, .in = {3, 5, 7}, .pads = {1, 1, 1, 1}}, batch);
        check_layer_proto((layer){.kind = LAYER_PAD, .in = {2, 4, 3}, .pads = {0, 2, 3, 1}}, batch);
        /* batchnorm on its own at inference */
        check_layer_proto((layer){.kind = LAYER_BATCHNORM, .in = {5, 3, 7}, .bn_unfolded = 1,
                                  .eps = 1e-5f}, batch);
    }
    {
        layer l = {.kind = LAYER_LINEAR, .in = {3, 2, 2}, .out_features = 4};
        snprintf(l.name, sizeof l.name, "fc_bad");
        CHECK(LAYER_OPS[LAYER_LINEAR]->output_shape(&l, &err) == CLCAM_ERR_INPUT, "linear on a 3-D input must fail");
        CHECK(strstr(err.msg, "fc_bad") != NULL, "message names the layer: %s", err.msg);
    }
    {
        layer l = {.kind = LAYER_CONV, .in = {6, 5, 5}, .kernel = 3, .stride = 1, .out_features = 4,
                   .groups = 4};
        snprintf(l.name, sizeof l.name, "conv_bad_groups");
        err = (clcam_err){0};
        CHECK(LAYER_OPS[LAYER_CONV]->output_shape(&l, &err) == CLCAM_ERR_INPUT,
              "groups that do not divide the channels must fail");
        CHECK(strstr(err.msg, "conv_bad_groups") != NULL, "message names the layer: %s", err.msg);
    }
    {
        layer l = {.kind = LAYER_MAXPOOL, .in = {2, 5, 5}, .kernel = 3, .stride = 2, .pad = 2};
        snprintf(l.name, sizeof l.name, "pool_bad_pad");
        err = (clcam_err){0};
        CHECK(LAYER_OPS[LAYER_MAXPOOL]->output_shape(&l, &err) == CLCAM_ERR_INPUT,
              "padding over half the kernel must fail");
        CHECK(strstr(err.msg, "pool_bad_pad") != NULL, "message names the layer: %s", err.msg);
    }
    cl_ctx_free(&ctx);
    return test_finish("test_layers");
}
