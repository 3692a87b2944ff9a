/* The faithfulness metrics' kernels (cl/ops_metrics.h: order, mult, steps, blur, score) against
 * their plain-C references (pipeline/metrics/reference_metrics.c) on odd sizes, 1x1 and 224x224:
 * equal bit for bit where the kernel only moves or multiplies values (order, rank, steps, mult
 * in the normalised space), within a small tolerance where it divides or calls exp (mult in
 * the image space, blur, score). Outputs carry a canary after their end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/ops_metrics.h"
#include "pipeline/metrics/reference_metrics.h"
#include "testutil.h"

#define CANARY -7.25f

static unsigned seed = 15;

/* A device buffer of n floats (or ints) and the canary after them, from host (NULL: canaries). */
static cl_mem dev_new(cl_ctx *ctx, const void *host, size_t n)
{
    clcam_err err = {0};
    cl_mem m = NULL;
    float *tmp = malloc((n + 1) * sizeof(float));
    if (!tmp) return NULL;
    for (size_t i = 0; i <= n; i++) tmp[i] = CANARY;
    if (host) memcpy(tmp, host, n * sizeof(float));
    if (cl_ctx_alloc(ctx, (n + 1) * sizeof(float), &m, "test buffer", &err) != CLCAM_OK ||
        cl_ctx_upload(ctx, m, tmp, (n + 1) * sizeof(float), &err) != CLCAM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        if (m) clReleaseMemObject(m);
        m = NULL;
    }
    free(tmp);
    return m;
}

/* Downloads n values and checks the canary after them. */
static int dev_get(cl_ctx *ctx, cl_mem m, void *host, size_t n, const char *what)
{
    clcam_err err = {0};
    float *tmp = malloc((n + 1) * sizeof(float));
    int ok = tmp && cl_ctx_download(ctx, m, tmp, (n + 1) * sizeof(float), &err) == CLCAM_OK;
    CHECK(ok, "%s: download: %s", what, err.msg);
    if (ok) {
        CHECK(tmp[n] == CANARY, "%s: canary after %zu values overwritten", what, n);
        memcpy(host, tmp, n * sizeof(float));
    }
    free(tmp);
    return ok;
}

static void release(cl_mem *m, int n)
{
    for (int i = 0; i < n; i++)
        if (m[i]) clReleaseMemObject(m[i]);
}

/* fill: 0 uniform, 1 four levels (many ties), 2 all zero, 3 uniform with one NaN, 4 +0 and -0. */
static void test_order(cl_ctx *ctx, int batch, int T, int rank_t, int H, int W, int fill)
{
    int HW = H * W;
    size_t nm = (size_t)batch * T * HW, nr = (size_t)batch * HW;
    float *maps = malloc(nm * sizeof(float)), *sorted = malloc(nr * sizeof(float));
    float *want_sorted = malloc(nr * sizeof(float));
    int *rank = malloc(nr * sizeof(int)), *want_rank = malloc(nr * sizeof(int));
    cl_mem d[4] = {NULL, NULL, NULL, NULL};
    clcam_err err = {0};
    size_t sb = op_metric_order_scratch_bytes(batch, HW);
    char what[96];
    snprintf(what, sizeof what, "order %dx%dx%d rank %d/%d fill %d", batch, H, W, rank_t, T, fill);
    if (!maps || !sorted || !want_sorted || !rank || !want_rank) {
        CHECK(0, "%s: out of memory", what);
        goto exit;
    }
    test_fill_uniform(maps, nm, 0.0f, 1.0f, &seed);
    for (size_t i = 0; i < nm; i++) {
        if (fill == 1) maps[i] = floorf(maps[i] * 4.0f) / 4.0f;
        if (fill == 2) maps[i] = 0.0f;
        if (fill == 4) maps[i] = maps[i] < 0.5f ? 0.0f : -0.0f;
    }
    if (fill == 3) maps[(size_t)rank_t * HW + HW / 2] = NAN;
    CHECK(sb > 0, "%s: scratch bytes 0", what);
    d[0] = dev_new(ctx, maps, nm);
    d[1] = dev_new(ctx, NULL, nr);
    d[2] = dev_new(ctx, NULL, nr);
    if (cl_ctx_alloc(ctx, sb, &d[3], "order scratch", &err) != CLCAM_OK || !d[0] || !d[1] || !d[2]) {
        CHECK(0, "%s: alloc: %s", what, err.msg);
        goto exit;
    }
    if (op_metric_order(ctx, d[0], T, rank_t, d[1], d[2], d[3], batch, HW, &err) != CLCAM_OK) {
        CHECK(0, "%s: %s", what, err.msg);
        goto exit;
    }
    if (!dev_get(ctx, d[1], rank, nr, what) || !dev_get(ctx, d[2], sorted, nr, what)) goto exit;
    CHECK(ref_metric_order(maps, T, rank_t, want_rank, want_sorted, batch, HW) == 0, "%s: ref", what);
    CHECK(memcmp(rank, want_rank, nr * sizeof(int)) == 0, "%s: rank differs", what);
    CHECK(memcmp(sorted, want_sorted, nr * sizeof(float)) == 0, "%s: sorted differs", what);
    /* What the references could share with the kernels by mistake, checked directly. */
    for (int b = 0; b < batch; b++) {
        const int *r = rank + (size_t)b * HW;
        const float *s = sorted + (size_t)b * HW, *m = maps + ((size_t)b * T + rank_t) * HW;
        int ok = 1;
        for (int p = 0; p < HW && ok; p++) {
            ok = r[p] >= 0 && r[p] < HW && memcmp(&s[r[p]], &m[p], sizeof(float)) == 0;
            if (fill == 2 || fill == 4) ok = ok && r[p] == p; /* all tied: rank = pixel */
            if (ok && p > 0 && !isnan(s[p])) ok = !isnan(s[p - 1]) && s[p - 1] >= s[p];
        }
        CHECK(ok, "%s: image %d: rank is no descending order of the map", what, b);
        if (fill == 3 && b == 0)
            CHECK(r[HW / 2] == HW - 1, "%s: the NaN pixel has rank %d, not last", what, r[HW / 2]);
    }
exit:
    release(d, 4);
    free(maps), free(sorted), free(want_sorted), free(rank), free(want_rank);
}

static void test_mult(cl_ctx *ctx, int space)
{
    int batch = 3, T = 2, rank_t = 1, C = 3, HW = 7 * 5, first = 1, count = 2;
    size_t nx = (size_t)batch * C * HW, nm = (size_t)batch * T * HW, nc = (size_t)count * C * HW;
    float *x = malloc(nx * sizeof(float)), *m = malloc(nm * sizeof(float));
    float *got = malloc(nc * sizeof(float)), *want = malloc(nc * sizeof(float));
    float ms[6] = {0.485f, 0.456f, 0.406f, 0.229f, 0.224f, 0.225f};
    cl_mem d[4] = {NULL, NULL, NULL, NULL};
    clcam_err err = {0};
    if (!x || !m || !got || !want) {
        CHECK(0, "mult: out of memory");
        goto exit;
    }
    test_fill_uniform(x, nx, -2.0f, 2.0f, &seed);
    test_fill_uniform(m, nm, 0.0f, 1.0f, &seed);
    d[0] = dev_new(ctx, x, nx), d[1] = dev_new(ctx, m, nm), d[2] = dev_new(ctx, ms, 6);
    d[3] = dev_new(ctx, NULL, nc);
    if (!d[0] || !d[1] || !d[2] || !d[3] ||
        op_metric_mult(ctx, d[0], d[1], T, rank_t, d[2], space, d[3], C, HW, first, count, &err) !=
            CLCAM_OK) {
        CHECK(0, "mult space %d: %s", space, err.msg);
        goto exit;
    }
    if (!dev_get(ctx, d[3], got, nc, "mult")) goto exit;
    ref_metric_mult(x, m, T, rank_t, ms, space, want, C, HW, first, count);
    if (space == 0) {
        CHECK(memcmp(got, want, nc * sizeof(float)) == 0, "mult space 0 differs");
    } else { /* OpenCL's float division may be 2.5 ulp off */
        size_t worst = 0;
        double ratio = test_tol_ratio(got, want, nc, 1e-6, 1e-6, &worst);
        CHECK(ratio <= 1.0, "mult space 1: ratio %g at %zu (%g vs %g)", ratio, worst,
              (double)got[worst], (double)want[worst]);
    }
    if (space == 0) /* directly: the input times the map of rank rank_t */
        CHECK(got[0] == x[(size_t)first * C * HW] * m[((size_t)first * T + rank_t) * HW],
              "mult space 0: first value %g", (double)got[0]);
exit:
    release(d, 4);
    free(x), free(m), free(got), free(want);
}

static void test_steps(cl_ctx *ctx, int insertion, int K, int H, int W)
{
    int batch = 2, C = 3, HW = H * W, first = K > 2 ? K - 2 : 0, count = K + 1;
    size_t nx = (size_t)batch * C * HW, nr = (size_t)batch * HW, nc = (size_t)count * C * HW;
    float *x = malloc(nx * sizeof(float)), *bl = malloc(nx * sizeof(float)), *m = malloc(nr * sizeof(float));
    float *sorted = malloc(nr * sizeof(float)), *got = malloc(nc * sizeof(float)), *want = malloc(nc * sizeof(float));
    int *rank = malloc(nr * sizeof(int));
    cl_mem d[4] = {NULL, NULL, NULL, NULL};
    clcam_err err = {0};
    char what[64];
    snprintf(what, sizeof what, "%s K %d %dx%d", insertion ? "insertion" : "deletion", K, H, W);
    if (!x || !bl || !m || !sorted || !got || !want || !rank) {
        CHECK(0, "%s: out of memory", what);
        goto exit;
    }
    test_fill_uniform(x, nx, -2.0f, 2.0f, &seed);
    test_fill_uniform(bl, nx, 5.0f, 6.0f, &seed); /* apart from x, so a mix-up shows */
    test_fill_uniform(m, nr, 0.0f, 1.0f, &seed);
    for (int i = 0; i < HW; i++) x[i] = x[i] == 0.0f ? 1.0f : x[i]; /* 0 only where deleted */
    if (ref_metric_order(m, 1, 0, rank, sorted, batch, HW) != 0) {
        CHECK(0, "%s: ref order", what);
        goto exit;
    }
    d[0] = dev_new(ctx, x, nx), d[1] = dev_new(ctx, bl, nx), d[2] = dev_new(ctx, rank, nr);
    d[3] = dev_new(ctx, NULL, nc);
    if (!d[0] || !d[1] || !d[2] || !d[3] ||
        op_metric_steps(ctx, d[0], insertion ? d[1] : NULL, d[2], insertion, K, d[3], C, HW, first,
                        count, &err) != CLCAM_OK) {
        CHECK(0, "%s: %s", what, err.msg);
        goto exit;
    }
    if (!dev_get(ctx, d[3], got, nc, what)) goto exit;
    ref_metric_steps(x, bl, rank, insertion, K, want, C, HW, first, count);
    CHECK(memcmp(got, want, nc * sizeof(float)) == 0, "%s: differs from the reference", what);
    /* Directly: copy j (q = first + j) of image q / K has exactly floor(step * HW / K) pixels
     * from `from` in every channel. */
    for (int j = 0; j < count; j++) {
        int q = first + j, b = q / K, step = q % K + (insertion ? 0 : 1);
        int n = (int)((long long)step * HW / K), seen = 0;
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++) {
                float v = got[((size_t)j * C + c) * HW + p];
                float xv = x[((size_t)b * C + c) * HW + p];
                seen += insertion ? (v == xv) : (v == 0.0f);
            }
        CHECK(seen == n * C, "%s: copy %d: %d values from `from`, not %d", what, q, seen, n * C);
    }
exit:
    release(d, 4);
    free(x), free(bl), free(m), free(sorted), free(got), free(want), free(rank);
}

static void test_blur(cl_ctx *ctx, int batch, int C, int H, int W, float sigma)
{
    size_t n = (size_t)batch * C * H * W;
    float *x = malloc(n * sizeof(float)), *got = malloc(n * sizeof(float));
    float *want = malloc(n * sizeof(float)), *tmp = malloc(n * sizeof(float));
    cl_mem d[3] = {NULL, NULL, NULL};
    clcam_err err = {0};
    size_t worst = 0;
    char what[64];
    snprintf(what, sizeof what, "blur %dx%dx%dx%d sigma %g", batch, C, H, W, (double)sigma);
    if (!x || !got || !want || !tmp) {
        CHECK(0, "%s: out of memory", what);
        goto exit;
    }
    test_fill_uniform(x, n, -2.0f, 2.0f, &seed);
    d[0] = dev_new(ctx, x, n), d[1] = dev_new(ctx, NULL, n), d[2] = dev_new(ctx, NULL, n);
    if (!d[0] || !d[1] || !d[2] ||
        op_metric_blur(ctx, d[0], d[1], d[2], batch, C, H, W, sigma, &err) != CLCAM_OK) {
        CHECK(0, "%s: %s", what, err.msg);
        goto exit;
    }
    if (!dev_get(ctx, d[1], got, n, what) || !dev_get(ctx, d[2], tmp, n, what)) goto exit;
    ref_metric_blur(x, want, tmp, batch, C, H, W, sigma);
    double ratio = test_tol_ratio(got, want, n, 1e-6, 1e-5, &worst);
    CHECK(ratio <= 1.0, "%s: ratio %g at %zu (%g vs %g)", what, ratio, worst, (double)got[worst],
          (double)want[worst]);
    if (sigma == 0.0f) CHECK(memcmp(got, x, n * sizeof(float)) == 0, "%s: not a copy", what);
    else { /* the blur of one pixel is the separable Gaussian with zero padding, checked in double */
        int R = (int)ceilf(3.0f * sigma), y0 = H / 2, x0 = W / 2;
        double s = 0, wy, wx, worst_d = 0;
        for (int e = -R; e <= R; e++) s += exp(-(double)e * e / (2.0 * sigma * sigma));
        for (size_t i = 0; i < n; i++) x[i] = 0.0f;
        x[(size_t)y0 * W + x0] = 1.0f;
        if (cl_ctx_upload(ctx, d[0], x, n * sizeof(float), &err) != CLCAM_OK ||
            op_metric_blur(ctx, d[0], d[1], d[2], batch, C, H, W, sigma, &err) != CLCAM_OK ||
            !dev_get(ctx, d[1], got, n, what)) {
            CHECK(0, "%s: impulse: %s", what, err.msg);
            goto exit;
        }
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++) {
                wy = abs(y - y0) <= R ? exp(-(double)(y - y0) * (y - y0) / (2.0 * sigma * sigma)) / s : 0;
                wx = abs(xx - x0) <= R ? exp(-(double)(xx - x0) * (xx - x0) / (2.0 * sigma * sigma)) / s : 0;
                worst_d = fmax(worst_d, fabs(got[(size_t)y * W + xx] - wy * wx));
            }
        CHECK(worst_d <= 1e-6, "%s: impulse response off by %g", what, worst_d);
    }
exit:
    release(d, 3);
    free(x), free(got), free(want), free(tmp);
}

static void test_score(cl_ctx *ctx, float scale)
{
    int batch = 3, T = 2, rank_t = 1, classes = 11, S = 3, first = 2, count = 5, total = batch * S;
    size_t nl = (size_t)count * classes;
    float *lg = malloc(nl * sizeof(float)), got[16], want[16];
    int tg[6] = {3, 7, 0, 10, 5, 2};
    cl_mem d[3] = {NULL, NULL, NULL};
    clcam_err err = {0};
    size_t worst = 0;
    if (!lg) {
        CHECK(0, "score: out of memory");
        goto exit;
    }
    test_fill_uniform(lg, nl, -scale, scale, &seed);
    for (int i = 0; i < total; i++) want[i] = CANARY;
    d[0] = dev_new(ctx, lg, nl), d[1] = dev_new(ctx, tg, 6), d[2] = dev_new(ctx, NULL, (size_t)total);
    if (!d[0] || !d[1] || !d[2] ||
        op_metric_score(ctx, d[0], d[1], T, rank_t, classes, S, d[2], first, count, &err) != CLCAM_OK) {
        CHECK(0, "score: %s", err.msg);
        goto exit;
    }
    if (!dev_get(ctx, d[2], got, (size_t)total, "score")) goto exit;
    ref_metric_score(lg, tg, T, rank_t, classes, S, want, first, count);
    double ratio = test_tol_ratio(got, want, (size_t)total, 1e-7, 1e-5, &worst);
    CHECK(ratio <= 1.0, "score scale %g: ratio %g at %zu (%g vs %g)", (double)scale, ratio, worst,
          (double)got[worst], (double)want[worst]);
    for (int q = first; q < first + count; q++) { /* against a double softmax */
        const float *l = lg + (size_t)(q - first) * classes;
        double mx = -INFINITY, s = 0;
        int t = tg[(q / S) * T + rank_t];
        for (int c = 0; c < classes; c++) mx = fmax(mx, l[c]);
        for (int c = 0; c < classes; c++) s += exp(l[c] - mx);
        CHECK(fabs(got[q] - exp(l[t] - mx) / s) <= 1e-6, "score %d: %g vs %g", q, (double)got[q],
              exp(l[t] - mx) / s);
    }
    CHECK(got[0] == CANARY && got[1] == CANARY && got[first + count] == CANARY,
          "score wrote outside [first, first + count)");
exit:
    release(d, 3);
    free(lg);
}

int main(void)
{
    cl_ctx ctx;
    clcam_err err = {0};
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "cannot open an OpenCL device: %s\n", err.msg);
        return 1; /* CI always has PoCL: no device is a failure, not a skip */
    }
    static const int SIZES[][2] = {{1, 1}, {7, 5}, {1, 3}, {32, 32}, {224, 224}};
    for (size_t i = 0; i < sizeof SIZES / sizeof *SIZES; i++)
        for (int fill = 0; fill < 5; fill++) {
            int big = SIZES[i][0] == 224;
            if (big && fill != 0 && fill != 1 && fill != 2) continue;
            test_order(&ctx, big ? 2 : 3, 2, 1, SIZES[i][0], SIZES[i][1], fill);
        }
    test_order(&ctx, 1, 1, 0, 32, 32, 3);
    test_mult(&ctx, 0);
    test_mult(&ctx, 1);
    for (int ins = 0; ins < 2; ins++) {
        test_steps(&ctx, ins, 16, 7, 5);
        test_steps(&ctx, ins, 3, 32, 32);
        test_steps(&ctx, ins, 16, 1, 1);
    }
    test_blur(&ctx, 2, 3, 7, 5, 5.0f * 7 / 224);
    test_blur(&ctx, 2, 3, 7, 5, 0.0f);
    test_blur(&ctx, 1, 3, 7, 5, 3.0f); /* radius past the image */
    test_blur(&ctx, 2, 3, 32, 32, 5.0f * 32 / 224);
    test_blur(&ctx, 1, 3, 224, 224, 5.0f);
    test_score(&ctx, 3.0f);
    test_score(&ctx, 500.0f); /* exp overflows without the max subtracted */
    cl_ctx_free(&ctx);
    return test_finish("test_metric_ops");
}
