/* How model_build maps the single-input kinds graph models brought in (issue 13) to layers:
 * a symmetric zero pad right before a conv is folded into its padding, an asymmetric one
 * stays a layer; a batchnorm after a pool runs on its own (eval mode); a grouped conv's
 * weights are [out, in / groups, k, k]; a ReLU before a padded max-pool is not fused; clip
 * bounds left out are -inf and +inf. No device needed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/model/model.h"
#include "testutil.h"

#define SPEC(k, ...) {.kind = k, .name = __VA_ARGS__}

int main(void)
{
    clcam_err err = {0};
    model m;
    {
        layer_spec specs[] = {
            SPEC(LAYER_PAD, "pad0", .pads = {1, 1, 1, 1}),
            SPEC(LAYER_CONV, "dw", .out = 4, .kernel = 3, .stride = 1, .groups = 4),
            SPEC(LAYER_RELU, "relu"),
            SPEC(LAYER_MAXPOOL, "stem", .kernel = 3, .stride = 2, .pad = 1),
            SPEC(LAYER_BATCHNORM, "bn"),
            SPEC(LAYER_PAD, "pad1", .pads = {0, 1, 1, 0}),
            SPEC(LAYER_CONV, "c2", .out = 6, .kernel = 3, .stride = 1, .groups = 2),
            SPEC(LAYER_CLIP, "relu6", .has_min = 1, .clip_min = 0.0f, .has_max = 1, .clip_max = 6.0f),
            SPEC(LAYER_CLIP, "lo", .has_min = 1, .clip_min = -1.0f),
            SPEC(LAYER_AVGPOOL, "gap", .global_pool = 1),
            SPEC(LAYER_FLATTEN, "flat"),
            SPEC(LAYER_LINEAR, "fc", .out = 3),
        };
        CHECK(model_build(&m, specs, (int)(sizeof specs / sizeof *specs), NULL,
                          (layer_shape){4, 7, 9}, &err) == CLCAM_OK, "build: %s", err.msg);
        if (m.n_layers == 12) {
            const layer *L = m.layers;
            CHECK(L[0].pad_folded && L[0].out.h == 7 && L[0].out.w == 9, "symmetric pad folded");
            CHECK(L[1].pad == 1 && L[1].out.h == 7 && L[1].out.w == 9, "conv pads: %d", L[1].pad);
            CHECK(L[1].n_weight == 4 * 1 * 3 * 3, "depthwise weights: %d", L[1].n_weight);
            CHECK(!L[2].fuse_relu && !L[3].fuse_relu, "no ReLU fused into a padded max-pool");
            CHECK(L[3].out.h == 4 && L[3].out.w == 5, "3x3/2 pad 1: %dx%d", L[3].out.h, L[3].out.w);
            CHECK(L[4].bn_unfolded && !L[4].bn_train && L[4].weight && L[4].running_var &&
                      L[4].weight[0] == 1.0f && L[4].running_var[3] == 1.0f, "batchnorm on its own");
            CHECK(!L[5].pad_folded && L[5].out.h == 5 && L[5].out.w == 6, "asymmetric pad: %dx%d",
                  L[5].out.h, L[5].out.w);
            CHECK(L[6].pad == 0 && L[6].n_weight == 6 * 2 * 3 * 3, "grouped conv weights: %d",
                  L[6].n_weight);
            CHECK(L[7].clip_min == 0.0f && L[7].clip_max == 6.0f, "relu6 bounds");
            CHECK(L[8].clip_min == -1.0f && isinf(L[8].clip_max) && L[8].clip_max > 0, "one bound");
        }
        model_free(&m);
    }
    {   /* groups that do not divide the channels: the error names the layer */
        layer_spec specs[] = {SPEC(LAYER_CONV, "badg", .out = 4, .kernel = 3, .stride = 1,
                                   .groups = 3),
                              SPEC(LAYER_FLATTEN, "f"), SPEC(LAYER_LINEAR, "fc", .out = 2)};
        err = (clcam_err){0};
        CHECK(model_build(&m, specs, 3, NULL, (layer_shape){6, 5, 5}, &err) == CLCAM_ERR_INPUT,
              "groups 3 of 4 outputs must fail");
        CHECK(strstr(err.msg, "badg") && strstr(err.msg, "groups 3"), "names the layer: %s", err.msg);
    }
    {   /* a max-pool padded past half its kernel, as PyTorch refuses */
        layer_spec specs[] = {SPEC(LAYER_MAXPOOL, "badp", .kernel = 2, .stride = 2, .pad = 2),
                              SPEC(LAYER_FLATTEN, "f"), SPEC(LAYER_LINEAR, "fc", .out = 2)};
        err = (clcam_err){0};
        CHECK(model_build(&m, specs, 3, NULL, (layer_shape){2, 6, 6}, &err) == CLCAM_ERR_INPUT,
              "padding 2 of a 2x2 pool must fail");
        CHECK(strstr(err.msg, "badp") != NULL, "names the layer: %s", err.msg);
    }
    return test_finish("test_model_layers");
}
