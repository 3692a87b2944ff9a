/* wino_gemm (Winograd's 36 GEMMs, cl/kernels/conv_winograd.cl) alone on chunks of resnet18's
 * layers at batch 32 (P32 tiles: 2x2 an image at 7x7, 4x4 at 14x14, 8x8 at 28x28): GFLOP/s of
 * its own arithmetic (2 x 36 x K x C x P32 a launch), best of ten launches and their waits, in
 * each order of the blocks (pb: runs of tiles fastest; kb: channel blocks fastest). The first
 * line is a launch and its wait alone. Figures, not a test. Usage: build/wino_gemm_bench [DEVICE] */
#include <stdio.h>
#include <time.h>

#include "cl/runtime.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    static const struct { const char *what; int C, K, P32; } SHAPES[] = {
        {"a launch, no work", 1, 8, 32},          {"layer2 (3 images)", 128, 128, 192},
        {"layer3 (6 images)", 256, 256, 96},      {"layer3 (32 images)", 256, 256, 512},
        {"layer4 (8 images)", 512, 512, 32},      {"layer4 (14 images)", 512, 512, 64},
        {"layer4 (32 images)", 512, 512, 128},
    };
    cl_ctx ctx;
    clcam_err e = {0}, *err = &e;
    clcam_status st = CLCAM_OK;
    if (cl_ctx_init(&ctx, argc > 1 ? argv[1] : "any", err) != CLCAM_OK) {
        fprintf(stderr, "wino_gemm_bench: %s\n", err->msg);
        return 1;
    }
    printf("%-20s %5s %5s %5s %6s %10s %10s\n", "shape", "C", "K", "P32", "order", "ms", "GFLOP/s");
    for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
        int C = SHAPES[i].C, K = SHAPES[i].K, P32 = SHAPES[i].P32, n_kb = K / 8;
        cl_mem U = NULL, V = NULL, M = NULL;
        cl_kernel k;
        float value = 0.01f;
        TRY(cl_ctx_alloc(&ctx, sizeof(float) * 36 * K * C, &U, "U", err));
        TRY(cl_ctx_alloc(&ctx, sizeof(float) * 36 * C * P32, &V, "V", err));
        TRY(cl_ctx_alloc(&ctx, sizeof(float) * 36 * K * P32, &M, "M", err));
        CL_TRY(clEnqueueFillBuffer(ctx.queue, U, &value, 4, 0, sizeof(float) * 36 * K * C, 0, NULL, NULL));
        CL_TRY(clEnqueueFillBuffer(ctx.queue, V, &value, 4, 0, sizeof(float) * 36 * C * P32, 0, NULL, NULL));
        TRY(cl_ctx_kernel(&ctx, "wino_gemm", &k, err));
        for (int order = 0; order < 2; order++) {
            int n = 36 * n_kb * (P32 / 32);
            double best = 1e30;
            TRY(CL_ARGS(&ctx, k, err, CL_ARG(U), CL_ARG(V), CL_ARG(M), CL_ARG(C), CL_ARG(n_kb),
                        CL_ARG(P32), CL_ARG(order), CL_ARG(n)));
            for (int r = 0; r < 11; r++) {
                CL_TRY(clFinish(ctx.queue));
                double t0 = now();
                TRY(cl_ctx_launch1d(&ctx, k, (size_t)n, err));
                CL_TRY(clFinish(ctx.queue));
                if (r > 0 && now() - t0 < best) best = now() - t0;
            }
            printf("%-20s %5d %5d %5d %6s %10.3f %10.1f\n", SHAPES[i].what, C, K, P32,
                   order ? "kb" : "pb", 1e3 * best, 2.0 * 36 * K * C * P32 / best * 1e-9);
        }
        clReleaseMemObject(U);
        clReleaseMemObject(V);
        clReleaseMemObject(M);
    }
exit:
    if (st != CLCAM_OK) fprintf(stderr, "wino_gemm_bench: %s\n", err->msg);
    cl_ctx_free(&ctx);
    return st != CLCAM_OK;
}
