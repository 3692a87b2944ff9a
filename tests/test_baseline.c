/* The baseline maps (cl/kernels/baseline.cl) against their plain-C references on odd sizes,
 * with a canary after each output: sobel within float rounding of the reference, and the
 * reference itself against a hand-computed edge; random bitwise equal to the reference, the
 * same for the same dataset row whatever the batch, different for another seed, in [0, 1).
 * tests/baseline_check.py checks sobel against an independent numpy cv2.Sobel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/ops_metrics.h"
#include "pipeline/cam/cam_method.h"
#include "pipeline/model/reference.h"
#include "testutil.h"

#define CANARY 32
#define CANARY_VALUE 12345.0f

static cl_ctx ctx;

/* Runs one baseline (sobel when images, else random) into n + CANARY floats of got. */
static int run_op(cl_mem images, cl_mem index, uint32_t seed, int batch, int H, int W, int C,
                  float *got)
{
    clcam_err e = {0}, *err = &e;
    clcam_status st = CLCAM_OK;
    size_t n = (size_t)batch * H * W;
    float canary = CANARY_VALUE;
    cl_mem out = NULL;
    TRY(cl_ctx_alloc(&ctx, sizeof(float) * (n + CANARY), &out, "baseline out", err));
    CL_TRY(clEnqueueFillBuffer(ctx.queue, out, &canary, sizeof canary, 0, sizeof(float) * (n + CANARY),
                               0, NULL, NULL));
    if (images) TRY(op_baseline_sobel(&ctx, images, out, batch, H, W, C, err));
    else TRY(op_baseline_random(&ctx, index, seed, out, batch, H * W, err));
    TRY(cl_ctx_download(&ctx, out, got, sizeof(float) * (n + CANARY), err));
exit:
    if (out) clReleaseMemObject(out);
    CHECK(st == CLCAM_OK, "%s: %s", images ? "sobel" : "random", e.msg);
    for (int i = 0; st == CLCAM_OK && i < CANARY; i++)
        if (got[n + i] != CANARY_VALUE) {
            CHECK(0, "%s %dx%dx%dx%d: canary %d overwritten", images ? "sobel" : "random", batch, H, W, C, i);
            break;
        }
    return st == CLCAM_OK;
}

static void check_sobel(int batch, int H, int W, int C)
{
    clcam_err err = {0};
    size_t n = (size_t)batch * H * W, px = n * C;
    uint8_t *img = malloc(px);
    float *want = malloc(sizeof(float) * n), *got = malloc(sizeof(float) * (n + CANARY));
    cl_mem d_img = NULL;
    unsigned seed = 77u + (unsigned)(H * 31 + W * 7 + C);
    if (!img || !want || !got) {
        CHECK(0, "out of memory");
        goto exit;
    }
    for (size_t i = 0; i < px; i++) {
        seed = seed * 1103515245u + 12345u;
        img[i] = (uint8_t)(seed >> 16);
    }
    CHECK(cl_ctx_alloc(&ctx, px, &d_img, "images", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_img, img, px, &err) == CLCAM_OK, "%s", err.msg);
    ref_baseline_sobel(img, want, batch, H, W, C);
    if (d_img && run_op(d_img, NULL, 0, batch, H, W, C, got)) {
        size_t w;
        /* float sums of 8 grey values below 1 (possibly contracted to fma on the device) */
        double r = test_tol_ratio(got, want, n, 1e-5, 1e-5, &w);
        CHECK(r <= 1, "sobel %dx%dx%dx%d: [%zu] %g vs %g", batch, H, W, C, w, (double)got[w], (double)want[w]);
    }
exit:
    if (d_img) clReleaseMemObject(d_img);
    free(img), free(want), free(got);
}

/* The reference on hand-made images: a vertical step edge and a flat image. */
static void check_sobel_reference(void)
{
    enum { H = 4, W = 5 };
    uint8_t img[H * W * 3];
    float out[H * W];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) img[(y * W + x) * 3 + c] = x >= 2 ? 255 : 0;
    ref_baseline_sobel(img, out, 1, H, W, 3);
    /* grey 0 | 1 between x = 1 and 2: |dx| = 1 + 2 + 1 there, 0 two columns away; rows
     * reflected, so dy = 0 everywhere. x = 0 reflects x - 1 onto x = 1 (0), so 0 too. */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float want = x == 1 || x == 2 ? 4.0f : 0.0f;
            CHECK(fabsf(out[y * W + x] - want) < 1e-5f, "step edge (%d, %d): %g, want %g", y, x,
                  (double)out[y * W + x], (double)want);
        }
    /* a row step seen from the last row: y = H reflects onto H - 2 */
    memset(img, 0, sizeof img);
    for (int x = 0; x < W; x++) img[((H - 1) * W + x) * 3 + 1] = 255; /* green only */
    ref_baseline_sobel(img, out, 1, H, W, 3);
    CHECK(fabsf(out[(H - 1) * W + 2]) < 1e-6f, "last row: %g, want 0 (reflect-101)", (double)out[(H - 1) * W + 2]);
    CHECK(fabsf(out[(H - 2) * W + 2] - 4.0f * 0.587f) < 1e-5f, "row before last: %g, want %g",
          (double)out[(H - 2) * W + 2], 4.0 * 0.587);
}

static void check_random(void)
{
    enum { H = 7, W = 13, HW = H * W, B = 5 };
    const int32_t rows[B] = {5, 0, 123456, 5, 2147483647};
    clcam_err err = {0};
    float *got = malloc(sizeof(float) * (B * HW + CANARY)), want[B * HW];
    float *one = malloc(sizeof(float) * (HW + CANARY)), *other = malloc(sizeof(float) * (B * HW + CANARY));
    cl_mem d_rows = NULL, d_one = NULL;
    int32_t single = rows[2];
    if (!got || !one || !other) {
        CHECK(0, "out of memory");
        goto exit;
    }
    CHECK(cl_ctx_alloc(&ctx, sizeof rows, &d_rows, "rows", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_rows, rows, sizeof rows, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof single, &d_one, "row", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_one, &single, sizeof single, &err) == CLCAM_OK, "%s", err.msg);
    if (!d_rows || !d_one) goto exit;
    ref_baseline_random(rows, 3u, want, B, HW);
    if (!run_op(NULL, d_rows, 3u, B, H, W, 1, got)) goto exit;
    CHECK(memcmp(got, want, sizeof want) == 0, "random: device differs from the reference");
    int in_range = 1;
    double mean = 0;
    for (int i = 0; i < B * HW; i++) {
        in_range &= got[i] >= 0.0f && got[i] < 1.0f;
        mean += got[i] / (B * HW);
    }
    CHECK(in_range, "random: a value outside [0, 1)");
    CHECK(fabs(mean - 0.5) < 0.05, "random: mean %g of %d values", mean, B * HW);
    /* the same row, the same map, wherever it sits in whichever batch */
    CHECK(memcmp(got, got + 3 * HW, sizeof(float) * HW) == 0, "random: row 5 at places 0 and 3 differ");
    if (run_op(NULL, d_one, 3u, 1, H, W, 1, one))
        CHECK(memcmp(one, got + 2 * HW, sizeof(float) * HW) == 0, "random: row 123456 alone differs from in a batch");
    /* another row, another seed: other maps */
    int same = 0;
    for (int p = 0; p < HW; p++) same += got[p] == got[HW + p];
    CHECK(same <= 2, "random: rows 5 and 0 share %d of %d values", same, HW);
    if (run_op(NULL, d_rows, 4u, B, H, W, 1, other)) {
        same = 0;
        for (int i = 0; i < B * HW; i++) same += got[i] == other[i];
        CHECK(same <= 2, "random: seeds 3 and 4 share %d of %d values", same, B * HW);
    }
exit:
    if (d_rows) clReleaseMemObject(d_rows);
    if (d_one) clReleaseMemObject(d_one);
    free(got), free(one), free(other);
}

int main(void)
{
    clcam_err err = {0};
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "cannot open an OpenCL device: %s\n", err.msg);
        return 1; /* CI always has PoCL: no device is a failure, not a skip */
    }
    const int sizes[][4] = {{3, 7, 5, 3}, {2, 1, 9, 3}, {1, 2, 2, 1}, {2, 13, 17, 1}, {2, 32, 32, 3},
                            {1, 9, 1, 3}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        check_sobel(sizes[i][0], sizes[i][1], sizes[i][2], sizes[i][3]);
    check_sobel_reference();
    check_random();
    for (int k = CAM_RANDOM; k <= CAM_SOBEL; k++)
        CHECK(CAM_METHODS[k]->full_res && !CAM_METHODS[k]->needs_grad && !CAM_METHODS[k]->reruns_forward,
              "%s: full_res, no gradient, no forward pass", CAM_METHODS[k]->name);
    cl_ctx_free(&ctx);
    return test_finish("test_baseline");
}
