/* Launchers of the faithfulness metrics' kernels that rank, perturb and score (the ROAD and
 * baseline launchers are in ops_road.c and ops_baseline.c); conventions in ops_metrics.h.
 * Kernels: cl/kernels/metric_order.cl (the sort) and metric_perturb.cl. */
#include <math.h>

#include "ops_metrics.h"

/* The bitonic sort's length per image: the smallest power of two >= HW. */
static size_t order_padded(int HW)
{
    size_t N = 1;
    while (N < (size_t)HW) N *= 2;
    return N;
}

size_t op_metric_order_scratch_bytes(int batch, int HW)
{
    if (batch <= 0 || HW <= 0) return 0;
    return (size_t)batch * order_padded(HW) * 2 * sizeof(cl_uint); /* (value bits, pixel) */
}

clcam_status op_metric_order(cl_ctx *ctx, cl_mem maps, int T, int rank_t, cl_mem rank,
                             cl_mem sorted, cl_mem scratch, int batch, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int N, n;
    if (batch <= 0 || HW <= 0) return CLCAM_OK;
    if (!scratch)
        return err_set(err, CLCAM_ERR_USAGE, "op_metric_order: no scratch buffer (%zu bytes)",
                       op_metric_order_scratch_bytes(batch, HW));
    TRY(cl_check_elems("metric order keys", (unsigned long long)batch * order_padded(HW) * 2,
                       err));
    N = (int)order_padded(HW);
    n = batch * N;
    TRY(cl_ctx_kernel(ctx, "metric_order_init", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(maps), CL_ARG(scratch), CL_ARG(T), CL_ARG(rank_t), CL_ARG(HW),
                CL_ARG(N), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
    if (N > 1) {
        /* Blocks of L2 places sorted in local memory; for each longer k, the passes of
         * distance >= L2 over global memory, then the rest in local memory again. */
        cl_kernel kl;
        size_t ls;
        int pairs = n / 2, L2, kmin = 2;
        TRY(cl_ctx_kernel(ctx, "metric_order_local", &kl, err));
        TRY(cl_ctx_kernel(ctx, "metric_order_pass", &k, err));
        ls = cl_ctx_reduce_wg(ctx, "metric_order_local", 256);
        while (ls > 1 && (2 * ls > (size_t)N || 2 * ls * 2 * sizeof(cl_uint) > ctx->local_mem / 2))
            ls /= 2;
        L2 = (int)(2 * ls);
        for (int kk = L2; kk <= N; kk *= 2) {
            for (int j = kk / 2; j >= L2; j /= 2) {
                TRY(CL_ARGS(ctx, k, err, CL_ARG(scratch), CL_ARG(HW), CL_ARG(N), CL_ARG(j),
                            CL_ARG(kk), CL_ARG(pairs)));
                TRY(cl_ctx_launch1d(ctx, k, (size_t)pairs, err));
            }
            TRY(CL_ARGS(ctx, kl, err, CL_ARG(scratch), CL_ARG(HW), CL_ARG(N), CL_ARG(kmin),
                        CL_ARG(kk), CL_ARG_LOCAL((size_t)L2 * 2 * sizeof(cl_uint))));
            TRY(cl_ctx_launch_groups(ctx, kl, (size_t)(n / L2), ls, err));
            kmin = 2 * kk;
        }
    }
    n = batch * HW;
    TRY(cl_ctx_kernel(ctx, "metric_order_finish", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(scratch), CL_ARG(rank), CL_ARG(sorted), CL_ARG(HW), CL_ARG(N),
                CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_metric_mult(cl_ctx *ctx, cl_mem input, cl_mem maps, int T, int rank_t,
                            cl_mem mean_std, int space, cl_mem chunk, int C, int HW, int first,
                            int count, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n;
    if (space != 0 && space != 1)
        return err_set(err, CLCAM_ERR_USAGE, "op_metric_mult: space %d is neither 0 nor 1", space);
    if (space == 1 && (C != 3 || !mean_std))
        return err_set(err, CLCAM_ERR_USAGE,
                       "op_metric_mult: the image space needs 3 channels and mean_std (C = %d)", C);
    if (!mean_std) mean_std = input; /* unread in space 0 */
    TRY(cl_check_elems("metric_mult chunk", (unsigned long long)count * C * HW, err));
    n = count * C * HW;
    TRY(cl_ctx_kernel(ctx, "metric_mult", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(input), CL_ARG(maps), CL_ARG(T), CL_ARG(rank_t),
                CL_ARG(mean_std), CL_ARG(space), CL_ARG(chunk), CL_ARG(C), CL_ARG(HW),
                CL_ARG(first), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_metric_steps(cl_ctx *ctx, cl_mem input, cl_mem blurred, cl_mem rank,
                             int insertion, int K, cl_mem chunk, int C, int HW, int first,
                             int count, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n;
    if (K <= 0) return err_set(err, CLCAM_ERR_USAGE, "op_metric_steps: %d steps", K);
    if (insertion && !blurred)
        return err_set(err, CLCAM_ERR_USAGE, "op_metric_steps: insertion needs the blurred input");
    if (!blurred) blurred = input; /* unread by deletion */
    TRY(cl_check_elems("metric_steps chunk", (unsigned long long)count * C * HW, err));
    n = count * ((HW + 15) / 16); /* a work-item per 16 pixels of a copy */
    TRY(cl_ctx_kernel(ctx, "metric_steps", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(input), CL_ARG(blurred), CL_ARG(rank), CL_ARG(insertion),
                CL_ARG(K), CL_ARG(chunk), CL_ARG(C), CL_ARG(HW), CL_ARG(first), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

/* scratch: [batch, C, H, W] floats, the horizontal pass's output (the vertical pass reads it
 * into blurred). */
clcam_status op_metric_blur(cl_ctx *ctx, cl_mem input, cl_mem blurred, cl_mem scratch,
                            int batch, int C, int H, int W, float sigma, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n, R, along_x = 1, along_y = 0;
    if (!(sigma >= 0.0f) || sigma > 1e5f)
        return err_set(err, CLCAM_ERR_USAGE, "op_metric_blur: sigma %g is not in [0, 1e5]",
                       (double)sigma);
    R = (int)ceilf(3.0f * sigma);
    TRY(cl_check_elems("metric_blur planes", (unsigned long long)batch * C * H * W, err));
    n = batch * C * H * W;
    TRY(cl_ctx_kernel(ctx, "metric_blur_pass", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(input), CL_ARG(scratch), CL_ARG(H), CL_ARG(W), CL_ARG(R),
                CL_ARG(sigma), CL_ARG(along_x), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(scratch), CL_ARG(blurred), CL_ARG(H), CL_ARG(W), CL_ARG(R),
                CL_ARG(sigma), CL_ARG(along_y), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_metric_score(cl_ctx *ctx, cl_mem logits, cl_mem targets, int T, int rank_t,
                             int classes, int S, cl_mem scores, int first, int count,
                             clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    if (S <= 0 || classes <= 0)
        return err_set(err, CLCAM_ERR_USAGE, "op_metric_score: %d copies per image, %d classes", S,
                       classes);
    TRY(cl_ctx_kernel(ctx, "metric_score", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(logits), CL_ARG(targets), CL_ARG(T), CL_ARG(rank_t),
                CL_ARG(classes), CL_ARG(S), CL_ARG(scores), CL_ARG(first), CL_ARG(count)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)count, err));
exit:
    return st;
}
