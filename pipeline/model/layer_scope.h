/* cam.layer as users name it: a layer (tensor) name, or a module path as written in PyTorch
 * (`layer4.1`, `features.18`), which means the output of the last layer in that module's
 * scope. Layer names are model.layers names (dotted module paths: `layer4.1.conv1`) or the
 * node names torch.onnx.export writes (`/layer4/layer4.1/relu_1/Relu`). No device, no model:
 * names in, an index out. */
#ifndef CLCAM_LAYER_SCOPE_H
#define CLCAM_LAYER_SCOPE_H

/* Does the layer named `name` lie in the module at `path` (the module itself included)? */
int layer_in_scope(const char *name, const char *path);

/* The index of names[] that cam.layer `path` names: the layer of exactly that name, else the
 * last (highest index) layer in its scope, else -1. names are in topological order. */
int layer_scope_resolve(const char *const *names, int n, const char *path);

#endif
