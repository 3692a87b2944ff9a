/* The direct and Winograd convolutions on the 3x3 shapes of SimpleCNN, the CIFAR ResNet and
 * resnet18, as `clcam run` calls them (conv_forward_packed with the weights prepared once):
 * best of five runs per shape and method, GFLOP/s of the direct method's arithmetic (2 x K x
 * C x 9 x OH x OW per image; Winograd does less). Figures, not a test.
 * Usage: build/conv_direct_bench [DEVICE]   (DEVICE as --device; default "any") */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cl/conv.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best seconds of five runs of shape s by method, its buffers filled with small values. */
static clcam_status time_shape(cl_ctx *ctx, const conv_shape *s, conv_method method, double *best,
                               clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t n_in = (size_t)s->batch * s->C * s->H * s->W, n_w = (size_t)s->K * s->C * s->kernel * s->kernel;
    size_t n_out = (size_t)s->batch * s->K * s->OH * s->OW;
    cl_mem in = NULL, w = NULL, b = NULL, out = NULL, packed = NULL;
    float value = 0.01f;
    TRY(cl_ctx_alloc(ctx, sizeof(float) * n_in, &in, "input", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * n_w, &w, "weights", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * (size_t)s->K, &b, "bias", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * n_out, &out, "output", err));
    CL_TRY(clEnqueueFillBuffer(ctx->queue, in, &value, sizeof value, 0, sizeof(float) * n_in, 0, NULL, NULL));
    CL_TRY(clEnqueueFillBuffer(ctx->queue, w, &value, sizeof value, 0, sizeof(float) * n_w, 0, NULL, NULL));
    CL_TRY(clEnqueueFillBuffer(ctx->queue, b, &value, sizeof value, 0, sizeof(float) * s->K, 0, NULL, NULL));
    TRY(conv_prepare_weights(ctx, method, s, w, &packed, err));
    *best = 1e30;
    for (int r = 0; r < 6; r++) { /* the first builds the kernels */
        CL_TRY(clFinish(ctx->queue));
        double t0 = now();
        TRY(conv_forward_packed(ctx, method, s, in, w, packed, b, 0, out, err));
        CL_TRY(clFinish(ctx->queue));
        if (r > 0 && now() - t0 < *best) *best = now() - t0;
    }
exit:;
    cl_mem bufs[] = {in, w, b, out, packed};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (bufs[i]) clReleaseMemObject(bufs[i]);
    return st;
}

int main(int argc, char **argv)
{
    static const struct { const char *what; int batch, C, H, K; } SHAPES[] = {
        {"SimpleCNN conv1", 32, 3, 32, 32},     {"SimpleCNN conv2", 32, 32, 16, 64},
        {"SimpleCNN conv3", 32, 64, 8, 128},    {"CIFAR ResNet layer1", 64, 16, 32, 16},
        {"CIFAR ResNet layer2", 64, 32, 16, 32}, {"CIFAR ResNet layer3", 64, 64, 8, 64},
        {"resnet18 layer1", 32, 64, 56, 64},    {"resnet18 layer2", 32, 128, 28, 128},
        {"resnet18 layer3", 32, 256, 14, 256},  {"resnet18 layer4", 32, 512, 7, 512},
    };
    cl_ctx ctx;
    clcam_err err = {0};
    if (cl_ctx_init(&ctx, argc > 1 ? argv[1] : "any", &err) != CLCAM_OK) {
        fprintf(stderr, "conv_direct_bench: %s\n", err.msg);
        return 1;
    }
    printf("device: %s\n%-22s %6s %-18s %10s %10s %12s %12s\n", ctx.device_name, "shape", "batch",
           "C x H x W -> K", "direct ms", "GFLOP/s", "winograd ms", "GFLOP/s");
    for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
        int H = SHAPES[i].H;
        conv_shape s = {SHAPES[i].batch, SHAPES[i].C, H, H, SHAPES[i].K, 3, 1, 1, H, H};
        double flop = 2.0 * s.batch * s.K * s.C * 9.0 * H * H, best[2] = {0.0, 0.0};
        char dims[32];
        for (int m = 0; m < 2; m++)
            if (time_shape(&ctx, &s, m ? CONV_WINOGRAD : CONV_DIRECT, &best[m], &err) != CLCAM_OK) {
                fprintf(stderr, "conv_direct_bench: %s\n", err.msg);
                cl_ctx_free(&ctx);
                return 1;
            }
        snprintf(dims, sizeof dims, "%dx%dx%d -> %d", s.C, H, H, s.K);
        printf("%-22s %6d %-18s %10.3f %10.1f %12.3f %12.1f\n", SHAPES[i].what, s.batch, dims,
               1e3 * best[0], flop / best[0] * 1e-9, 1e3 * best[1], flop / best[1] * 1e-9);
    }
    cl_ctx_free(&ctx);
    return 0;
}
