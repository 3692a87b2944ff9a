/* cam.layer by the tensor names Netron shows (ONNX nodes' outputs, torch 1.13's
 * `/Relu_output_0`), on a model torch.onnx.export writes (tests/make_onnx_models.py): each
 * names the node that writes it, and `clcam model`'s table lists the tensors next to the node
 * names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/model/model.h"
#include "pipeline/model/model_summary.h"
#include "testutil.h"

static void check_tensor_names(const char *dir)
{
    char path[1024], *table = NULL;
    size_t table_size = 0;
    clcam_err err = {0};
    model m;
    int t = -1;
    snprintf(path, sizeof path, "%s/head_view_op17.onnx", dir);
    CHECK(model_load_onnx(&m, path, (layer_shape){3, 16, 16}, &err) == CLCAM_OK, "%s", err.msg);
    if (m.n_layers != 6) return;
    CHECK(!strcmp(m.layers[1].name, "/Relu") && !strcmp(m.layers[1].tensor, "/Relu_output_0"),
          "layer 1: %s writes %s", m.layers[1].name, m.layers[1].tensor);
    CHECK(model_find_tensor(&m, "/avg/AveragePool_output_0") == 3, "the pool's tensor");
    CHECK(model_find_tensor(&m, "/avg/AveragePool") == -1, "a node's name is no tensor name");
    CHECK(model_find_tensor(&m, "input") == -1, "the graph's input is written by no layer");
    FILE *f = open_memstream(&table, &table_size);
    if (f) {
        model_summary_print(f, &m, -1, model_auto_cam_layer(&m));
        fclose(f);
    }
    printf("%s", table ? table : "");
    CHECK(table && strstr(table, " tensor ") && strstr(table, "/Relu                        "
                                                               "/Relu_output_0 ") &&
              strstr(table, "/avg/AveragePool_output_0 avgpool"), "clcam model lists the tensors");
    free(table);
    CHECK(model_check_cam_layer(&m, "/Relu_output_0", &t, &err) == CLCAM_OK && t == 1,
          "the ReLU's tensor: layer %d (%s)", t, err.msg);
    CHECK(model_check_cam_layer(&m, "/avg/AveragePool_output_0", &t, &err) == CLCAM_OK && t == 3,
          "the pool's tensor: layer %d (%s)", t, err.msg);
    CHECK(model_check_cam_layer(&m, "output", &t, &err) == CLCAM_ERR_INPUT &&
              strstr(err.msg, "'output' is not supported") && strstr(err.msg, "/Relu"),
          "the logits' tensor is found but is no spatial map: %s", err.msg);
    err = (clcam_err){0}; /* err keeps its first message */
    CHECK(model_check_cam_layer(&m, "/Relu_output_1", &t, &err) == CLCAM_ERR_INPUT &&
              strstr(err.msg, "no layer named '/Relu_output_1'"), "no such tensor: %s", err.msg);
    model_free(&m);
}

/* model.layers models name layers and tensors alike: no tensor column, nothing to find. */
static void check_layers_model(void)
{
    static const layer_spec s[] = {{.kind = LAYER_CONV, .name = "c", .kernel = 3, .stride = 1, .pad = 1, .out = 4},
                                   {.kind = LAYER_RELU, .name = "r"},
                                   {.kind = LAYER_FLATTEN, .name = "flat"},
                                   {.kind = LAYER_LINEAR, .name = "fc", .out = 3}};
    clcam_err err = {0};
    model m;
    char *table = NULL;
    size_t table_size = 0;
    CHECK(model_build(&m, s, 4, NULL, (layer_shape){2, 4, 4}, &err) == CLCAM_OK, "%s", err.msg);
    if (m.n_layers != 4) return;
    CHECK(model_find_tensor(&m, "r") == -1 && model_find_layer(&m, "r") == 1, "names are layers'");
    FILE *f = open_memstream(&table, &table_size);
    if (f) {
        model_summary_print(f, &m, -1, -1);
        fclose(f);
    }
    CHECK(table && !strstr(table, "tensor"), "no tensor column: %s", table ? table : "");
    free(table);
    model_free(&m);
}

int main(void)
{
    char dir[512], cmd[1200];
    check_layers_model();
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/make_onnx_models.py %s >/dev/null", CLCAM_SOURCE_DIR, dir);
    int rc = system(cmd);
    if (rc != 0)
        return test_skip("test_onnx_names", WIFEXITED(rc) && WEXITSTATUS(rc) == 77
                                                 ? "torch is missing (/usr/bin/python3 -c 'import torch')"
                                                 : "tests/make_onnx_models.py failed");
    check_tensor_names(dir);
    if (test_failed == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    }
    return test_finish("test_onnx_names");
}
