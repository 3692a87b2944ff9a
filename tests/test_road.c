/* op_metric_road (cl/ops_road.c) against the plain-C reference (pipeline/metrics/
 * reference_road.c): odd, small and full sizes, MoRF and LeRF at several percentiles, noise
 * off and on, maps with ties, and the all-removed case whose imputation must stay 0; and the
 * CPU devices' solver (road_solve_lanes, 16 solves per work-item) bitwise equal to one
 * work-item per solve (road_solve) on every case, lanes left unused included, and on 1.5
 * million noise values.
 * `test_road --dump C H W PCT LERF IN OUT` imputes one raw float32 image (C*H*W values, then
 * the H*W map) without noise, for tests/road_scipy.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/ops_metrics.h"
#include "pipeline/metrics/reference_road.h"
#include "testutil.h"

typedef struct {
    float v;
    int i;
} ranked;

static int ranked_desc(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->v != b->v) return a->v > b->v ? -1 : 1;
    return a->i - b->i;
}

/* sorted [batch, HW]: each image's map (rank rank_t) descending, ties by pixel index, as
 * op_metric_order gives it. */
static void host_sorted(const float *maps, int batch, int T, int rank_t, int HW, float *sorted)
{
    ranked *r = malloc((size_t)HW * sizeof *r);
    if (!r) abort();
    for (int b = 0; b < batch; b++) {
        for (int p = 0; p < HW; p++) r[p] = (ranked){maps[(size_t)(b * T + rank_t) * HW + p], p};
        qsort(r, (size_t)HW, sizeof *r, ranked_desc);
        for (int p = 0; p < HW; p++) sorted[(size_t)b * HW + p] = r[p].v;
    }
    free(r);
}

typedef struct {
    int batch, T, rank_t, C, H, W, n_pct;
    int pct[4];
    float noise;
    int kind;  /* 0: uniform map, 1: few distinct values (ties), 2: constant (all removed),
                * 3: smooth */
    int chunk; /* copies per launch */
} road_case;

/* Runs one case on the device and the reference; returns max |diff| (-1 on a device error). */
static double road_run(cl_ctx *ctx, const road_case *k, float **got_out, float **want_out)
{
    int HW = k->H * k->W, S = 2 * k->n_pct, copies = k->batch * S;
    size_t n_in = (size_t)k->batch * k->C * HW, n_map = (size_t)k->batch * k->T * HW;
    size_t n_out = (size_t)copies * k->C * HW;
    float *input = malloc(n_in * sizeof(float)), *maps = malloc(n_map * sizeof(float));
    float *sorted = malloc((size_t)k->batch * HW * sizeof(float));
    float *got = malloc(n_out * sizeof(float)), *want = malloc(n_out * sizeof(float));
    int *index = malloc((size_t)k->batch * sizeof(int));
    unsigned seed = 1234u + (unsigned)(HW * 7 + k->kind);
    cl_mem d_in = NULL, d_maps = NULL, d_sorted = NULL, d_pct = NULL, d_index = NULL;
    cl_mem d_chunk = NULL, d_scratch = NULL;
    clcam_err err = {0};
    double worst = -1.0;
    if (!input || !maps || !sorted || !got || !want || !index) abort();
    test_fill_uniform(input, n_in, -2.0f, 2.5f, &seed);
    test_fill_uniform(maps, n_map, 0.0f, 1.0f, &seed);
    for (size_t i = 0; i < n_map; i++) {
        if (k->kind == 1) maps[i] = floorf(maps[i] * 4.0f) / 4.0f;
        if (k->kind == 2) maps[i] = 0.5f;
    }
    if (k->kind == 3) /* smooth blobs: large connected removed regions, the slowest to solve */
        for (int b = 0; b < k->batch * k->T; b++)
            for (int y = 0; y < k->H; y++)
                for (int x = 0; x < k->W; x++) {
                    float u = (float)x / (float)k->W, w = (float)y / (float)k->H;
                    maps[(size_t)b * HW + y * k->W + x] =
                        0.5f + 0.25f * sinf(6.0f * u + (float)b) * cosf(4.0f * w) +
                        0.2f * expf(-20.0f * ((u - 0.4f) * (u - 0.4f) + (w - 0.6f) * (w - 0.6f)));
                }
    for (int b = 0; b < k->batch; b++) index[b] = 1000 + 17 * b;
    host_sorted(maps, k->batch, k->T, k->rank_t, HW, sorted);
    size_t scratch = op_metric_road_scratch_bytes(k->chunk, k->C, k->H, k->W);
    if (cl_ctx_alloc(ctx, n_in * 4, &d_in, "input", &err) ||
        cl_ctx_alloc(ctx, n_map * 4, &d_maps, "maps", &err) ||
        cl_ctx_alloc(ctx, (size_t)k->batch * HW * 4, &d_sorted, "sorted", &err) ||
        cl_ctx_alloc(ctx, sizeof k->pct, &d_pct, "pct", &err) ||
        cl_ctx_alloc(ctx, (size_t)k->batch * 4, &d_index, "index", &err) ||
        cl_ctx_alloc(ctx, (size_t)k->chunk * k->C * HW * 4, &d_chunk, "chunk", &err) ||
        cl_ctx_alloc(ctx, scratch, &d_scratch, "scratch", &err) ||
        cl_ctx_upload(ctx, d_in, input, n_in * 4, &err) ||
        cl_ctx_upload(ctx, d_maps, maps, n_map * 4, &err) ||
        cl_ctx_upload(ctx, d_sorted, sorted, (size_t)k->batch * HW * 4, &err) ||
        cl_ctx_upload(ctx, d_pct, k->pct, sizeof k->pct, &err) ||
        cl_ctx_upload(ctx, d_index, index, (size_t)k->batch * 4, &err))
        goto done;
    for (int first = 0; first < copies; first += k->chunk) {
        int count = copies - first < k->chunk ? copies - first : k->chunk;
        size_t bytes = (size_t)count * k->C * HW * 4;
        if (op_metric_road(ctx, d_in, d_maps, k->T, k->rank_t, d_sorted, d_pct, k->n_pct,
                           k->noise, 77u, d_index, d_chunk, d_scratch, k->C, k->H, k->W, first,
                           count, &err) ||
            cl_ctx_download(ctx, d_chunk, got + (size_t)first * k->C * HW, bytes, &err))
            goto done;
    }
    ref_metric_road(input, maps, k->T, k->rank_t, sorted, k->pct, k->n_pct, k->noise, 77u, index,
                    want, k->C, k->H, k->W, 0, copies);
    worst = 0.0;
    for (size_t i = 0; i < n_out; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= worst)) worst = d; /* NaN becomes the worst */
    }
done:
    if (worst < 0) fprintf(stderr, "road %dx%d: %s\n", k->H, k->W, err.msg);
    cl_mem all[] = {d_in, d_maps, d_sorted, d_pct, d_index, d_chunk, d_scratch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) clReleaseMemObject(all[i]);
    free(input);
    free(maps);
    free(sorted);
    free(index);
    *got_out = got;
    *want_out = want;
    return worst;
}

/* Sets CLCAM_ROAD_SOLVER and CLCAM_ROAD_WG (NULL: unset). */
static void road_env(const char *solver, const char *wg)
{
    if (solver) setenv("CLCAM_ROAD_SOLVER", solver, 1);
    else unsetenv("CLCAM_ROAD_SOLVER");
    if (wg) setenv("CLCAM_ROAD_WG", wg, 1);
    else unsetenv("CLCAM_ROAD_WG");
}

/* Case k's imputations by road_solve_lanes and by road_solve with one item per solve: the
 * number of values whose bits differ (-1 on a device error). */
static long road_lanes_diff(cl_ctx *ctx, const road_case *k)
{
    float *lanes, *one, *w0, *w1;
    size_t n_out = (size_t)k->batch * 2 * k->n_pct * k->C * k->H * k->W;
    long differ = -1;
    road_env("lanes", NULL);
    double d0 = road_run(ctx, k, &lanes, &w0);
    road_env("groups", "1");
    double d1 = road_run(ctx, k, &one, &w1);
    if (d0 >= 0 && d1 >= 0) {
        differ = 0;
        for (size_t j = 0; j < n_out; j++) differ += memcmp(&lanes[j], &one[j], sizeof(float)) != 0;
    }
    free(lanes);
    free(one);
    free(w0);
    free(w1);
    return differ;
}

/* The --dump mode: one image, one copy, noise 0. */
static int road_dump(cl_ctx *ctx, char **argv)
{
    road_case k = {1, 1, 0, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), 1, {atoi(argv[5])},
                   0.0f, 0, 1};
    int lerf = atoi(argv[6]), HW = k.H * k.W;
    size_t n_in = (size_t)k.C * HW;
    float *buf = malloc((n_in + HW) * sizeof(float)), *sorted = malloc((size_t)HW * sizeof(float));
    float *out = malloc(n_in * sizeof(float));
    cl_mem d_in = NULL, d_maps = NULL, d_sorted = NULL, d_pct = NULL, d_index = NULL;
    cl_mem d_chunk = NULL, d_scratch = NULL;
    clcam_err err = {0};
    int zero = 0, rc = 1;
    FILE *f = fopen(argv[7], "rb");
    if (!buf || !sorted || !out) abort();
    if (!f || fread(buf, sizeof(float), n_in + HW, f) != n_in + HW) {
        fprintf(stderr, "test_road: cannot read %s\n", argv[7]);
        goto done;
    }
    host_sorted(buf + n_in, 1, 1, 0, HW, sorted);
    if (cl_ctx_alloc(ctx, n_in * 4, &d_in, "input", &err) ||
        cl_ctx_alloc(ctx, (size_t)HW * 4, &d_maps, "maps", &err) ||
        cl_ctx_alloc(ctx, (size_t)HW * 4, &d_sorted, "sorted", &err) ||
        cl_ctx_alloc(ctx, 4, &d_pct, "pct", &err) ||
        cl_ctx_alloc(ctx, 4, &d_index, "index", &err) ||
        cl_ctx_alloc(ctx, n_in * 4, &d_chunk, "chunk", &err) ||
        cl_ctx_alloc(ctx, op_metric_road_scratch_bytes(1, k.C, k.H, k.W), &d_scratch, "scratch",
                     &err) ||
        cl_ctx_upload(ctx, d_in, buf, n_in * 4, &err) ||
        cl_ctx_upload(ctx, d_maps, buf + n_in, (size_t)HW * 4, &err) ||
        cl_ctx_upload(ctx, d_sorted, sorted, (size_t)HW * 4, &err) ||
        cl_ctx_upload(ctx, d_pct, k.pct, 4, &err) || cl_ctx_upload(ctx, d_index, &zero, 4, &err) ||
        op_metric_road(ctx, d_in, d_maps, 1, 0, d_sorted, d_pct, 1, 0.0f, 0u, d_index, d_chunk,
                       d_scratch, k.C, k.H, k.W, lerf, 1, &err) ||
        cl_ctx_download(ctx, d_chunk, out, n_in * 4, &err)) {
        fprintf(stderr, "test_road: %s\n", err.msg);
        goto done;
    }
    FILE *o = fopen(argv[8], "wb");
    if (!o || fwrite(out, sizeof(float), n_in, o) != n_in || fclose(o) != 0) {
        fprintf(stderr, "test_road: cannot write %s\n", argv[8]);
        goto done;
    }
    rc = 0;
done:
    if (f) fclose(f);
    cl_mem all[] = {d_in, d_maps, d_sorted, d_pct, d_index, d_chunk, d_scratch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) clReleaseMemObject(all[i]);
    free(buf);
    free(sorted);
    free(out);
    return rc;
}

int main(int argc, char **argv)
{
    cl_ctx ctx;
    clcam_err err = {0};
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "cannot open an OpenCL device: %s\n", err.msg);
        return 1;
    }
    if (argc == 9 && strcmp(argv[1], "--dump") == 0) {
        int rc = road_dump(&ctx, argv);
        cl_ctx_free(&ctx);
        return rc;
    }
    const road_case cases[] = {
        /* batch T rank C H W n_pct pct noise kind chunk */
        {2, 2, 1, 3, 5, 7, 4, {0, 20, 50, 100}, 0.0f, 0, 5},
        {2, 1, 0, 3, 5, 7, 2, {20, 80}, 0.01f, 0, 8},
        {3, 2, 0, 3, 32, 32, 4, {20, 40, 60, 80}, 0.0f, 0, 7},
        {2, 1, 0, 3, 32, 32, 4, {20, 40, 60, 80}, 0.01f, 1, 16},
        {1, 1, 0, 2, 32, 32, 2, {20, 80}, 0.0f, 2, 4},
        {1, 1, 0, 1, 224, 224, 2, {20, 80}, 0.0f, 0, 4},
        {2, 1, 0, 2, 9, 31, 4, {10, 40, 70, 90}, 0.0f, 3, 5},
        {1, 1, 0, 1, 224, 224, 2, {50, 90}, 0.0f, 3, 4},
        {1, 1, 0, 2, 6, 6, 2, {-5, 130}, 0.0f, 0, 4}, /* out of range: clamped to 0 and 100 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const road_case *k = &cases[i];
        float *got, *want;
        double worst = road_run(&ctx, k, &got, &want);
        CHECK(worst >= 0.0 && worst <= 1e-5, "%dx%d C=%d kind %d noise %g: max |diff| %.3g", k->H,
              k->W, k->C, k->kind, k->noise, worst);
        printf("road %dx%d C=%d kind %d noise %g: max |diff| vs reference %.3g\n", k->H, k->W, k->C,
               k->kind, k->noise, worst);
        size_t n_out = (size_t)k->batch * 2 * k->n_pct * k->C * k->H * k->W;
        if (k->kind == 2) { /* constant map: every pixel removed, no kept neighbour: all 0 */
            int nonzero = 0;
            for (size_t j = 0; j < n_out; j++) nonzero += got[j] != 0.0f;
            CHECK(nonzero == 0, "all-removed case: %d values are not 0", nonzero);
        }
        free(got);
        free(want);
    }
    /* The lanes solver against one item per solve, bitwise, whatever this run's environment
     * chose above (tests/scripts.cmake runs this test with CLCAM_ROAD_WG=256 too). */
    const char *env_solver = getenv("CLCAM_ROAD_SOLVER"), *env_wg = getenv("CLCAM_ROAD_WG");
    char *keep_solver = env_solver ? strdup(env_solver) : NULL;
    char *keep_wg = env_wg ? strdup(env_wg) : NULL;
    /* every pixel removed, nothing to solve: 1.5 million noise values (PoCL's float16 log
     * differs from its scalar log in about 1 of 100,000: the noise must stay scalar) */
    const road_case noisy = {4, 1, 0, 3, 128, 128, 4, {20, 40, 60, 80}, 0.01f, 2, 32};
    for (size_t i = 0; i <= sizeof cases / sizeof cases[0]; i++) {
        const road_case *k = i < sizeof cases / sizeof cases[0] ? &cases[i] : &noisy;
        long differ = road_lanes_diff(&ctx, k);
        CHECK(differ == 0, "%dx%d C=%d kind %d noise %g chunk %d: lanes and one item per solve "
              "differ in %ld values", k->H, k->W, k->C, k->kind, k->noise, k->chunk, differ);
        printf("road %dx%d C=%d kind %d noise %g chunk %d: lanes bitwise equal to one item: %s\n",
               k->H, k->W, k->C, k->kind, k->noise, k->chunk, differ == 0 ? "yes" : "NO");
    }
    road_env(keep_solver, keep_wg);
    free(keep_solver);
    free(keep_wg);
    /* The generator is N(0, 1): mean and deviation over 200,000 keys. */
    double sum = 0.0, sum2 = 0.0;
    const int draws = 200000;
    for (int i = 0; i < draws; i++) {
        double z = ref_road_normal(5u, (uint32_t)(i / 1000), 1u, 2u, (uint32_t)(i % 1000));
        sum += z;
        sum2 += z * z;
    }
    double mean = sum / draws, sd = sqrt(sum2 / draws - mean * mean);
    CHECK(fabs(mean) < 0.01 && fabs(sd - 1.0) < 0.01, "noise mean %.4f, deviation %.4f", mean, sd);
    /* The noise is there: the same case with and without it differs at removed pixels. */
    road_case quiet = cases[1], loud = cases[1];
    quiet.noise = 0.0f;
    float *g0, *w0, *g1, *w1;
    double d0 = road_run(&ctx, &quiet, &g0, &w0), d1 = road_run(&ctx, &loud, &g1, &w1);
    size_t n_out = (size_t)quiet.batch * 2 * quiet.n_pct * quiet.C * quiet.H * quiet.W;
    double moved = 0.0;
    for (size_t j = 0; j < n_out; j++) moved = fmax(moved, fabs((double)g1[j] - g0[j]));
    CHECK(d0 >= 0 && d1 >= 0 && moved > 0.005 && moved < 0.1, "noise 0.01 moved values by %.3g",
          moved);
    free(g0);
    free(w0);
    free(g1);
    free(w1);
    cl_ctx_free(&ctx);
    return test_finish("test_road");
}
