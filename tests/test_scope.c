/* cam.layer module paths: layer_in_scope and layer_scope_resolve on model.layers names and on
 * the node names torch.onnx.export (torch 1.13) writes for a torchvision ResNet. */
#include <string.h>

#include "pipeline/model/layer_scope.h"
#include "testutil.h"

static void test_dotted(void)
{
    static const char *const names[] = {"conv1", "bn1", "relu", "maxpool", "layer1.0.conv1",
                                        "layer1.0.relu", "layer1.0.conv2", "layer1.0.add",
                                        "layer1.1.conv1", "layer1.1.add", "layer1.10.conv1", "fc"};
    int n = (int)(sizeof names / sizeof *names);
    CHECK(layer_in_scope("layer1.0.conv1", "layer1.0"), "a child is in its module's scope");
    CHECK(layer_in_scope("layer1.0", "layer1.0"), "a module is in its own scope");
    CHECK(!layer_in_scope("layer1.10.conv1", "layer1.1"), "layer1.10 is not inside layer1.1");
    CHECK(!layer_in_scope("layer1.0.conv1", "layer1.0.conv"), "parts match whole, not as prefixes");
    CHECK(!layer_in_scope("conv1", ""), "an empty path names nothing");
    CHECK(layer_scope_resolve(names, n, "layer1.0") == 7, "layer1.0: its last layer (the add)");
    CHECK(layer_scope_resolve(names, n, "layer1.1") == 9, "layer1.1: not layer1.10's layers");
    CHECK(layer_scope_resolve(names, n, "layer1") == 10, "layer1: its last block's last layer");
    CHECK(layer_scope_resolve(names, n, "relu") == 2, "an exact name wins");
    CHECK(layer_scope_resolve(names, n, "layer2") == -1, "no such module");
}

static void test_onnx(void)
{
    static const char *const names[] = {"/conv1/Conv", "/relu/Relu", "/maxpool/MaxPool",
                                        "/layer4/layer4.0/conv1/Conv", "/layer4/layer4.0/relu/Relu",
                                        "/layer4/layer4.0/Add", "/layer4/layer4.1/conv1/Conv",
                                        "/layer4/layer4.1/relu/Relu", "/layer4/layer4.1/conv2/Conv",
                                        "/layer4/layer4.1/Add", "/layer4/layer4.1/relu_1/Relu",
                                        "/avgpool/GlobalAveragePool", "/Flatten", "/fc/Gemm"};
    int n = (int)(sizeof names / sizeof *names);
    CHECK(layer_in_scope("/layer4/layer4.1/relu_1/Relu", "layer4.1"), "a node in a block's scope");
    CHECK(layer_in_scope("/layer4/layer4.1/relu_1/Relu", "layer4"), "and in its stage's scope");
    CHECK(layer_in_scope("/layer4/layer4.1/conv1/Conv", "layer4.1.conv1"), "a leaf module's path");
    CHECK(!layer_in_scope("/layer4/layer4.1/conv1/Conv", "conv1"), "a part is not a top-level path");
    CHECK(!layer_in_scope("/Flatten", "Flatten"), "an op type is not a scope");
    CHECK(layer_scope_resolve(names, n, "layer4.1") == 10, "model.layer4[-1]: the block's last node");
    CHECK(layer_scope_resolve(names, n, "layer4") == 10, "layer4: the same node");
    CHECK(layer_scope_resolve(names, n, "layer4.0") == 5, "layer4.0: its add");
    CHECK(layer_scope_resolve(names, n, "conv1") == 0, "conv1: the stem's conv, not a block's");
    CHECK(layer_scope_resolve(names, n, "/fc/Gemm") == 13, "a node's own name");
    CHECK(layer_scope_resolve(names, n, "layer3") == -1, "no such module");
}

/* A Sequential held by a module (MobileNetV2's InvertedResidual.conv): torch names its children
 * from that module (`conv.5` under `features.2/conv`), neither from the root nor the parent. */
static void test_onnx_nested(void)
{
    static const char *const names[] = {"/features/features.0/features.0.0/Conv",
                                        "/features/features.2/conv/conv.3/Conv",
                                        "/features/features.2/conv/conv.5/Clip",
                                        "/features/features.2/conv/conv.6/Conv",
                                        "/features/features.2/add/Add"};
    int n = (int)(sizeof names / sizeof *names);
    CHECK(layer_in_scope(names[2], "features.2.conv.5"), "conv.5 under features.2/conv");
    CHECK(!layer_in_scope(names[2], "features.2.conv.conv.5"), "not the parent's path + the part");
    CHECK(layer_in_scope(names[0], "features.0.0"), "a Sequential in a Sequential: from the root");
    CHECK(layer_scope_resolve(names, n, "features.2.conv") == 3, "the Sequential: its last node");
    CHECK(layer_scope_resolve(names, n, "features.2") == 4, "the block: its add");
    CHECK(layer_scope_resolve(names, n, "features.2.conv.5") == 2, "a ReLU6 inside the block");
}

int main(void)
{
    test_dotted();
    test_onnx();
    test_onnx_nested();
    return test_finish("test_scope");
}
