/* Every convolution forward method (im2col + CLBlast, CLBlastSconvgemm, packed + our GEMM,
 * direct, Winograd) against ref_conv2d on odd shapes, with a canary after the output; the
 * direct kernel bitwise equal to packed (the same fma sequence) and to itself on a second run;
 * each method with a residual add in its stores bitwise the conv and then the add; Winograd's
 * one-kernel form bitwise its chunked kernels; and the tuning file's CONV lines: loaded,
 * looked up per shape (the batch aside), overridden by CLCAM_CONV, a malformed line skipped
 * with a warning, files without CONV lines as before. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl/conv.h"
#include "cl/conv_winograd.h"
#include "cl/gemm_params.h"
#include "cl/ops.h"
#include "pipeline/model/reference.h"
#include "testutil.h"

#define CANARY 64 /* floats after each output that no method may write */
#define CANARY_VALUE 12345.0f

static cl_ctx ctx;

/* Runs method m on the shape; got gets n_out + CANARY floats. */
static int run_method(conv_method m, const conv_shape *s, cl_mem in, cl_mem w, cl_mem b, cl_mem out,
                      float *got, size_t n_out)
{
    clcam_err e = {0}, *err = &e; /* CL_TRY and TRY take a pointer */
    clcam_status st = CLCAM_OK;
    float canary = CANARY_VALUE;
    CL_TRY(clEnqueueFillBuffer(ctx.queue, out, &canary, sizeof canary, 0,
                               sizeof(float) * (n_out + CANARY), 0, NULL, NULL));
    TRY(conv_forward(&ctx, m, s, in, w, b, out, err));
    TRY(cl_ctx_download(&ctx, out, got, sizeof(float) * (n_out + CANARY), err));
exit:
    CHECK(st == CLCAM_OK, "%s: %s", conv_method_name(m), e.msg);
    return st == CLCAM_OK;
}

/* Method m with a residual add done in its stores (conv_forward_fused, model.c's fused
 * ResNet add), with and without the ReLU after it: bitwise the conv alone, then op_add_pair
 * as the add layer does it; nothing written past the output. */
static void check_residual(conv_method m, const conv_shape *s, cl_mem in, cl_mem w, cl_mem b,
                           cl_mem out, size_t n_out, const char *shape)
{
    clcam_err e = {0}, *err = &e;
    clcam_status st = CLCAM_OK;
    float *res = malloc(sizeof(float) * n_out), *want = malloc(sizeof(float) * n_out);
    float *got = malloc(sizeof(float) * (n_out + CANARY)), canary = CANARY_VALUE;
    unsigned seed = 99u + (unsigned)n_out;
    cl_mem d_res = NULL;
    if (!res || !want || !got) {
        CHECK(0, "%s: out of memory", shape);
        goto exit;
    }
    test_fill_uniform(res, n_out, -1.0f, 1.0f, &seed);
    TRY(cl_ctx_alloc(&ctx, sizeof(float) * n_out, &d_res, "residual", err));
    TRY(cl_ctx_upload(&ctx, d_res, res, sizeof(float) * n_out, err));
    for (int relu = 0; relu < 2; relu++) {
        TRY(conv_forward(&ctx, m, s, in, w, b, out, err));
        TRY(op_add_pair(&ctx, out, d_res, out, relu, (int)n_out, err));
        TRY(cl_ctx_download(&ctx, out, want, sizeof(float) * n_out, err));
        CL_TRY(clEnqueueFillBuffer(ctx.queue, out, &canary, sizeof canary, 0,
                                   sizeof(float) * (n_out + CANARY), 0, NULL, NULL));
        TRY(conv_forward_fused(&ctx, m, s, in, w, NULL, b, d_res, relu, out, err));
        TRY(cl_ctx_download(&ctx, out, got, sizeof(float) * (n_out + CANARY), err));
        CHECK(memcmp(got, want, sizeof(float) * n_out) == 0, "%s, %s, residual%s: not bitwise the "
              "conv and then the add", conv_method_name(m), shape, relu ? " + ReLU" : "");
        int canary_ok = 1;
        for (int i = 0; i < CANARY; i++) canary_ok &= got[n_out + i] == CANARY_VALUE;
        CHECK(canary_ok, "%s, %s, residual: wrote past the output", conv_method_name(m), shape);
    }
exit:
    CHECK(st == CLCAM_OK, "%s, %s, residual: %s", conv_method_name(m), shape, e.msg);
    if (d_res) clReleaseMemObject(d_res);
    free(res), free(want), free(got);
}

/* Winograd run again without its one-kernel form (CLCAM_WINOGRAD_FUSED=0: chunks of the
 * input, GEMM and output transforms): bitwise what the default gave (got); again into other. */
static void check_winograd_unfused(const conv_shape *s, cl_mem in, cl_mem w, cl_mem b, cl_mem out,
                                   const float *got, float *other, size_t n_out, const char *shape)
{
    const char *was = getenv("CLCAM_WINOGRAD_FUSED");
    char saved[16] = "";
    if (was) snprintf(saved, sizeof saved, "%s", was);
    setenv("CLCAM_WINOGRAD_FUSED", "0", 1);
    if (run_method(CONV_WINOGRAD, s, in, w, b, out, other, n_out))
        CHECK(memcmp(got, other, sizeof(float) * n_out) == 0, "winograd, %s: chunked kernels differ "
              "from the one-kernel form", shape);
    if (was) setenv("CLCAM_WINOGRAD_FUSED", saved, 1);
    else unsetenv("CLCAM_WINOGRAD_FUSED");
}

static void check_shape(int batch, int C, int H, int W, int K, int k, int pad, int stride)
{
    clcam_err err = {0};
    conv_shape s = {batch, C, H, W, K, k, pad, stride, (H + 2 * pad - k) / stride + 1,
                    (W + 2 * pad - k) / stride + 1};
    size_t n_in = (size_t)batch * C * H * W, n_w = (size_t)K * C * k * k;
    size_t n_out = (size_t)batch * K * s.OH * s.OW, ckk = (size_t)C * k * k;
    float *x = malloc(sizeof(float) * n_in), *wt = malloc(sizeof(float) * n_w), *bias = malloc(sizeof(float) * K);
    float *want = malloc(sizeof(float) * n_out), *got = malloc(sizeof(float) * (n_out + CANARY));
    float *packed = malloc(sizeof(float) * (n_out + CANARY));
    cl_mem d_in = NULL, d_w = NULL, d_b = NULL, d_out = NULL;
    unsigned seed = 1234u + (unsigned)(C * 31 + H * 7 + W + K * 131 + k * 17 + stride);
    char shape[128];
    snprintf(shape, sizeof shape, "batch %d, %dx%dx%d -> %d, %dx%d/%d pad %d", batch, C, H, W, K, k, k,
             stride, pad);
    if (!x || !wt || !bias || !want || !got || !packed) {
        CHECK(0, "%s: out of memory", shape);
        goto exit;
    }
    test_fill_uniform(x, n_in, -1.0f, 1.0f, &seed);
    test_fill_uniform(wt, n_w, -1.0f, 1.0f, &seed);
    test_fill_uniform(bias, (size_t)K, -1.0f, 1.0f, &seed);
    ref_conv2d(x, wt, bias, want, batch, C, H, W, K, k, pad, stride);
    if (cl_ctx_alloc(&ctx, sizeof(float) * n_in, &d_in, "x", &err) != CLCAM_OK ||
        cl_ctx_alloc(&ctx, sizeof(float) * n_w, &d_w, "w", &err) != CLCAM_OK ||
        cl_ctx_alloc(&ctx, sizeof(float) * K, &d_b, "b", &err) != CLCAM_OK ||
        cl_ctx_alloc(&ctx, sizeof(float) * (n_out + CANARY), &d_out, "out", &err) != CLCAM_OK ||
        cl_ctx_upload(&ctx, d_in, x, sizeof(float) * n_in, &err) != CLCAM_OK ||
        cl_ctx_upload(&ctx, d_w, wt, sizeof(float) * n_w, &err) != CLCAM_OK ||
        cl_ctx_upload(&ctx, d_b, bias, sizeof(float) * K, &err) != CLCAM_OK) {
        CHECK(0, "%s: %s", shape, err.msg);
        goto exit;
    }
    for (int m = 0; m < CONV_METHOD_COUNT; m++) {
        if (!run_method((conv_method)m, &s, d_in, d_w, d_b, d_out, got, n_out)) continue;
        size_t worst;
        /* float sums of C*k*k products of values in [-1, 1): the error grows with the length */
        double r = test_tol_ratio(got, want, n_out, 1e-6 * (double)ckk, 1e-5, &worst);
        CHECK(r <= 1.0, "%s, %s: error/tolerance %.3g at %zu (got %.9g, want %.9g)", conv_method_name((conv_method)m),
              shape, r, worst, got[worst], want[worst]);
        int canary_ok = 1;
        for (int i = 0; i < CANARY; i++) canary_ok &= got[n_out + i] == CANARY_VALUE;
        CHECK(canary_ok, "%s, %s: wrote past the output", conv_method_name((conv_method)m), shape);
        check_residual((conv_method)m, &s, d_in, d_w, d_b, d_out, n_out, shape);
        if (m == CONV_PACKED) memcpy(packed, got, sizeof(float) * n_out);
        if (m == CONV_DIRECT) { /* same sums in the same order as packed; again the same */
            CHECK(memcmp(got, packed, sizeof(float) * n_out) == 0, "direct, %s: not bitwise equal to packed", shape);
            if (run_method(CONV_DIRECT, &s, d_in, d_w, d_b, d_out, packed, n_out))
                CHECK(memcmp(got, packed, sizeof(float) * n_out) == 0, "direct, %s: a second run differs", shape);
        }
        if (m == CONV_WINOGRAD && conv_winograd_fits(&s)) /* one kernel or three a chunk: the same sums */
            check_winograd_unfused(&s, d_in, d_w, d_b, d_out, got, packed, n_out, shape);
    }
exit:
    if (d_in) clReleaseMemObject(d_in);
    if (d_w) clReleaseMemObject(d_w);
    if (d_b) clReleaseMemObject(d_b);
    if (d_out) clReleaseMemObject(d_out);
    free(x), free(wt), free(bias), free(want), free(got), free(packed);
}

/* Writes text to the device's tuning file and reloads it; stderr (the warnings) goes to
 * warn, which gets what was printed. */
static void load_tuning(const char *path, const char *text, char *warn, size_t size)
{
    FILE *f = fopen(path, "w");
    char log[1100];
    snprintf(log, sizeof log, "%s.log", path);
    CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
    warn[0] = '\0';
    FILE *lf = fopen(log, "w+");
    CHECK(lf != NULL, "cannot write %s", log);
    if (!lf) return;
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(lf), 2);
    gemm_params_load(&ctx);
    fflush(stderr);
    if (saved >= 0) dup2(saved, 2), close(saved);
    rewind(lf);
    size_t n = fread(warn, 1, size - 1, lf);
    warn[n] = '\0';
    fclose(lf);
    remove(log);
}

static void check_tuning_file(void)
{
    char path[1024], warn[2048];
    conv_shape conv1 = {256, 3, 32, 32, 32, 3, 1, 1, 32, 32}, conv2 = {7, 32, 16, 16, 64, 3, 1, 1, 16, 16};
    conv_shape conv3 = {1, 64, 8, 8, 128, 3, 1, 1, 8, 8}, other = {2, 64, 8, 8, 128, 3, 1, 2, 4, 4};
    CHECK(gemm_params_path(&ctx, path, sizeof path), "no tuning file path");
    /* before per-shape choices: the engine decides */
    load_tuning(path, "ENGINE clblast\n", warn, sizeof warn);
    CHECK(ctx.n_conv == 0 && !ctx.gemm_own, "old file: %d CONV choices, own %d", ctx.n_conv, ctx.gemm_own);
    CHECK(conv_method_for(&ctx, &conv1) == CONV_IM2COL, "old file, clblast: not im2col");
    CHECK(warn[0] == '\0', "old file: a warning: %s", warn);
    load_tuning(path, "# a comment\nENGINE own\n"
                      "CONV C=3 H=32 W=32 K=32 k=3 pad=1 stride=1 method=direct ms=10.4\n"
                      "CONV C=32 H=16 W=16 K=64 k=3 pad=1 stride=1 method=convgemm ms=48.8\n"
                      "CONV C=64 H=8 W=8 K=128 k=3 pad=1 stride=1 method=bogus ms=1\n"
                      "CONV C=64 H=8 W=8 K=128 k=3 pad=1 method=im2col\n"
                      "CONV C=64 H=8 W=8 K=128 k=3 pad=1 stride=0 method=im2col\n",
                warn, sizeof warn);
    CHECK(ctx.n_conv == 2 && ctx.gemm_own, "%d CONV choices (want 2), own %d", ctx.n_conv, ctx.gemm_own);
    CHECK(conv_method_for(&ctx, &conv1) == CONV_DIRECT, "conv1: %s", conv_method_name(conv_method_for(&ctx, &conv1)));
    CHECK(conv_method_for(&ctx, &conv2) == CONV_CONVGEMM, "conv2 (another batch): %s",
          conv_method_name(conv_method_for(&ctx, &conv2)));
    CHECK(conv_method_for(&ctx, &conv3) == CONV_DIRECT, "conv3 (malformed lines): %s, want the CPU default",
          conv_method_name(conv_method_for(&ctx, &conv3)));
    CHECK(conv_method_for(&ctx, &other) == CONV_PACKED, "unknown shape: %s", conv_method_name(conv_method_for(&ctx, &other)));
    /* Winograd by default where it fits and pays (resnet18's 56x56 and 7x7), not on SimpleCNN's
     * 64-channel 8x8 conv3; asked for where it does not fit (a 7x7 stride-2 stem), direct */
    conv_shape wide = {32, 64, 56, 56, 64, 3, 1, 1, 56, 56}, deep = {32, 512, 7, 7, 512, 3, 1, 1, 7, 7};
    conv_shape small = {32, 64, 8, 8, 128, 3, 1, 1, 8, 8}, stem = {2, 3, 224, 224, 64, 7, 3, 2, 112, 112};
    CHECK(conv_method_for(&ctx, &wide) == CONV_WINOGRAD, "64x56x56: %s, want winograd",
          conv_method_name(conv_method_for(&ctx, &wide)));
    CHECK(conv_method_for(&ctx, &deep) == CONV_WINOGRAD, "512x7x7: %s, want winograd",
          conv_method_name(conv_method_for(&ctx, &deep)));
    CHECK(conv_method_for(&ctx, &small) == CONV_DIRECT, "64x8x8: %s, want direct",
          conv_method_name(conv_method_for(&ctx, &small)));
    /* Winograd's one-kernel form where a CPU's local memory holds it: the 56x56 layer, not the
     * 7x7 planes (one image a lane) nor 256 channels (PoCL's 1 MiB holds 219); so the shapes
     * of check_shape compare it with the chunked form (unless CLCAM_WINOGRAD_FUSED=0) */
    conv_shape mid = {32, 256, 14, 14, 256, 3, 1, 1, 14, 14};
    const char *fused_env = getenv("CLCAM_WINOGRAD_FUSED");
    int fused_on = !(fused_env && fused_env[0] == '0');
    if ((ctx.type & CL_DEVICE_TYPE_CPU) && ctx.local_mem >= ((cl_ulong)1 << 20)) {
        CHECK(conv_winograd_one_kernel(&ctx, &wide) == fused_on, "64x56x56: one kernel %d, want %d",
              conv_winograd_one_kernel(&ctx, &wide), fused_on);
        CHECK(!conv_winograd_one_kernel(&ctx, &deep), "512x7x7 (one image a lane): one kernel");
        /* V of 32 tiles (36 x 256 x 32 floats) and one work-item's M (36 KB) */
        int mid_fits = 36ull * 256 * 32 * 4 + 36864 <= ctx.local_mem;
        CHECK(conv_winograd_one_kernel(&ctx, &mid) == (fused_on && mid_fits),
              "256x14x14 with %llu bytes of local memory: one kernel %d", (unsigned long long)ctx.local_mem,
              conv_winograd_one_kernel(&ctx, &mid));
    }
    setenv("CLCAM_CONV", "winograd", 1);
    CHECK(conv_method_for(&ctx, &small) == CONV_WINOGRAD, "CLCAM_CONV=winograd on 64x8x8: %s",
          conv_method_name(conv_method_for(&ctx, &small)));
    CHECK(conv_method_for(&ctx, &stem) == CONV_DIRECT, "CLCAM_CONV=winograd on a 7x7/2 stem: %s, want direct",
          conv_method_name(conv_method_for(&ctx, &stem)));
    unsetenv("CLCAM_CONV");
    int n_warn = 0;
    for (const char *p = warn; (p = strstr(p, "ignoring a malformed line")); p++) n_warn++;
    CHECK(n_warn == 3, "%d warnings for 3 malformed CONV lines: %s", n_warn, warn);
    setenv("CLCAM_CONV", "im2col", 1);
    CHECK(conv_method_for(&ctx, &conv1) == CONV_IM2COL, "CLCAM_CONV=im2col does not override the table");
    setenv("CLCAM_CONV", "direct", 1);
    CHECK(conv_method_for(&ctx, &conv2) == CONV_DIRECT, "CLCAM_CONV=direct does not override the table");
    unsetenv("CLCAM_CONV");
    /* a file that is ignored (unknown engine) brings no choices either */
    load_tuning(path, "ENGINE fast\nCONV C=3 H=32 W=32 K=32 k=3 pad=1 stride=1 method=direct ms=1\n", warn, sizeof warn);
    CHECK(ctx.n_conv == 0, "a broken file's CONV lines were used (%d)", ctx.n_conv);
    CHECK(strstr(warn, "ignoring") != NULL, "no warning for a broken file: %s", warn);
    remove(path);
}

int main(void)
{
    clcam_err err = {0};
    const char *tmp = test_tmpdir();
    if (!tmp) return test_skip("test_conv_methods", "no temporary directory");
    setenv("CLCAM_CACHE_DIR", tmp, 1); /* our own tuning file, not the user's */
    unsetenv("CLCAM_CONV");
    unsetenv("CLCAM_GEMM");
    unsetenv("CLCAM_GEMM_TUNING");
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "cannot open an OpenCL device: %s\n", err.msg);
        return 1; /* CI always has PoCL: no device is a failure, not a skip */
    }
    check_shape(3, 5, 7, 9, 11, 3, 1, 1);   /* odd everything; K past a block of 8 */
    check_shape(3, 5, 7, 9, 11, 1, 0, 1);   /* 1x1 */
    check_shape(2, 4, 9, 11, 3, 5, 2, 1);   /* 5x5, K under one block */
    check_shape(3, 5, 9, 11, 17, 3, 1, 2);  /* stride 2: gathered lanes */
    check_shape(2, 3, 5, 37, 9, 3, 1, 1);   /* OW 37: two full segments and a tail */
    check_shape(2, 3, 6, 40, 8, 3, 1, 2);   /* stride 2, OW 20: a wide gathered row */
    check_shape(2, 6, 13, 3, 10, 3, 1, 1);  /* OW 3: four rows per work-item, a row tail */
    check_shape(1, 7, 8, 8, 13, 3, 1, 1);   /* 8x8 (SimpleCNN's conv3): two rows a work-item */
    check_shape(2, 3, 11, 11, 5, 4, 0, 3);  /* even kernel, stride 3, no padding */
    check_shape(2, 3, 37, 35, 19, 7, 3, 2); /* 7x7 stride 2 (a ResNet stem): its fixed kernel */
    check_shape(2, 6, 13, 37, 33, 1, 0, 2); /* 1x1 stride 2 (a projection shortcut); K 2 blocks + 1 */
    check_shape(2, 5, 15, 15, 17, 1, 0, 2); /* 1x1 stride 2, OW 8: two rows a work-item */
    check_shape(2, 5, 13, 14, 18, 3, 1, 2); /* 3x3 stride 2, OW 7 */
    check_shape(2, 9, 7, 7, 35, 3, 1, 1);   /* 7x7 planes (ResNet's layer4) */
    check_shape(1, 33, 9, 70, 9, 3, 1, 1);  /* Winograd: 18 tiles a row (a vector and part of one) */
    check_shape(3, 16, 30, 29, 16, 3, 1, 1); /* Winograd: 8 tiles a row, two rows a vector */
    check_shape(2, 40, 14, 15, 33, 3, 1, 1); /* Winograd: 4 tiles a row, 40 channels, K 4 blocks + 1 */
    check_shape(3, 12, 9, 61, 19, 3, 1, 1);  /* Winograd: 9 vectors of 16 tiles, a pair's second missing */
    check_tuning_file();
    cl_ctx_free(&ctx);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return test_finish("test_conv_methods");
}
