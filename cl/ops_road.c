/* ROAD's perturbed copies (cl/kernels/road.cl): the kept-pixel masks, then the imputation of
 * every (copy, channel) by conjugate gradient, one work-group per solve (road_solve) or, on CPU
 * devices, ROAD_LANES solves per work-item in vector lanes (road_solve_lanes). scratch holds
 * the masks [count, HW], then the solver's vectors (op_metric_road_scratch_bytes). */
#include "ops_metrics.h"

#include <stdlib.h>
#include <string.h>

/* Each of CG's passes (road.cl) stops when |r| <= ROAD_TOL |b|, which keeps the solution
 * within 3e-7 of a double solve on a 224x224 map whose removed region spans the image
 * (tests/test_road.c), or after ROAD_ITER_PER_SIDE * (H + W) iterations: such a region needs
 * about 2 * (H + W) in all. */
#define ROAD_TOL 1e-8f
#define ROAD_ITER_PER_SIDE 10
#define ROAD_WG_CAP 256

/* Solves per work-item of road_solve_lanes (its ROAD_LANES). */
#define ROAD_LANES 16

/* Work-items per solve of road_solve. A GPU wants many per (copy, channel); a CPU device runs
 * a group's items one after another between barriers (PoCL, 256 CIFAR images x 8 copies:
 * 2.1 s with one item against 4.4 s with groups of 256). CLCAM_ROAD_WG=N caps the size. */
static size_t road_group_size(cl_ctx *ctx)
{
    const char *env = getenv("CLCAM_ROAD_WG");
    size_t cap = (ctx->type & CL_DEVICE_TYPE_CPU) ? 1 : ROAD_WG_CAP;
    if (env && atoi(env) >= 1) cap = (size_t)atoi(env);
    size_t wg = cl_ctx_reduce_wg(ctx, "road_solve", cap);
    while (wg > 1 && wg * sizeof(float) > ctx->local_mem) wg /= 2;
    return wg;
}

/* Lanes or groups. A CPU device vectorises only explicit vectors, so there one item runs
 * ROAD_LANES solves in the lanes of a float16, bitwise the same results as one item per solve
 * (tests/test_road.c), 3.9x faster (PoCL on AVX-512, 256 CIFAR-10 images x 8 copies x 3
 * channels: 1.49 s -> 0.38 s; 8 lanes were slower than 16); GPUs keep the groups.
 * CLCAM_ROAD_SOLVER=lanes|groups overrides the device's choice, and CLCAM_ROAD_WG=N alone
 * means groups (the tests run both). */
static int road_use_lanes(const cl_ctx *ctx)
{
    const char *solver = getenv("CLCAM_ROAD_SOLVER");
    if (solver && strcmp(solver, "lanes") == 0) return 1;
    if (solver && strcmp(solver, "groups") == 0) return 0;
    if (getenv("CLCAM_ROAD_WG")) return 0;
    return (ctx->type & CL_DEVICE_TYPE_CPU) != 0;
}

/* Vectors of ROAD_LANES solves for count copies of C channels. */
static size_t road_vectors(int count, int C)
{
    return ((size_t)count * (size_t)C + ROAD_LANES - 1) / ROAD_LANES;
}

/* The masks, then the larger of road_solve's r, p and A p (12 bytes per solve and pixel) and
 * road_solve_lanes's x, r, p, A p and removed flags (17 bytes per solve and pixel, solves
 * rounded up to ROAD_LANES), so at most 17/12 of the groups' size plus 15 solves' worth. */
size_t op_metric_road_scratch_bytes(int count, int C, int H, int W)
{
    size_t hw = (size_t)H * (size_t)W, plane = (size_t)count * hw;
    size_t groups = 3 * plane * (size_t)C * sizeof(float);
    size_t lanes = road_vectors(count, C) * ROAD_LANES * hw * (4 * sizeof(float) + 1);
    return plane * sizeof(float) + (groups > lanes ? groups : lanes);
}

clcam_status op_metric_road(cl_ctx *ctx, cl_mem input, cl_mem maps, int T, int rank_t,
                            cl_mem sorted, cl_mem pct, int n_pct, float noise, uint32_t seed,
                            cl_mem index, cl_mem chunk, cl_mem scratch, int C, int H, int W,
                            int first, int count, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int HW = H * W, S = 2 * n_pct, n = count * HW;
    float tol2 = ROAD_TOL * ROAD_TOL;
    int max_iter = ROAD_ITER_PER_SIDE * (H + W);
    if (count <= 0) return CLCAM_OK;
    TRY(cl_check_elems("ROAD scratch", 3ull * (unsigned long long)count * C * HW, err));
    TRY(cl_ctx_kernel(ctx, "road_mask", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(maps), CL_ARG(sorted), CL_ARG(pct), CL_ARG(scratch), CL_ARG(T),
                CL_ARG(rank_t), CL_ARG(S), CL_ARG(HW), CL_ARG(first), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));

    if (road_use_lanes(ctx)) {
        int n_vec = (int)road_vectors(count, C);
        TRY(cl_check_elems("ROAD scratch", (unsigned long long)n_vec * ROAD_LANES * 5 * HW, err));
        TRY(cl_ctx_kernel(ctx, "road_solve_lanes", &k, err));
        TRY(CL_ARGS(ctx, k, err, CL_ARG(input), CL_ARG(scratch), CL_ARG(index), CL_ARG(sorted),
                    CL_ARG(pct), CL_ARG(chunk), CL_ARG(C), CL_ARG(H), CL_ARG(W), CL_ARG(S),
                    CL_ARG(first), CL_ARG(count),
                    CL_ARG(noise), CL_ARG(seed), CL_ARG(tol2), CL_ARG(max_iter), CL_ARG(n_vec)));
        /* groups of one item: nothing is vectorised across items, as in road_solve on a CPU */
        TRY(cl_ctx_launch_groups(ctx, k, (size_t)n_vec, 1, err));
        goto exit;
    }
    TRY(cl_ctx_kernel(ctx, "road_solve", &k, err));
    size_t wg = road_group_size(ctx);
    TRY(CL_ARGS(ctx, k, err, CL_ARG(input), CL_ARG(scratch), CL_ARG(index), CL_ARG(chunk),
                CL_ARG_LOCAL(wg * sizeof(float)), CL_ARG(C), CL_ARG(H), CL_ARG(W),
                CL_ARG(S), CL_ARG(first), CL_ARG(count), CL_ARG(noise), CL_ARG(seed),
                CL_ARG(tol2), CL_ARG(max_iter)));
    TRY(cl_ctx_launch_groups(ctx, k, (size_t)count * (size_t)C, wg, err));
exit:
    return st;
}
