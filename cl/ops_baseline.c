/* Launchers of the baseline maps (cl/ops_metrics.h, cl/kernels/baseline.cl). */
#include "ops_metrics.h"

clcam_status op_baseline_random(cl_ctx *ctx, cl_mem index, uint32_t seed, cl_mem out,
                                int batch, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    cl_uint s = seed;
    int n = batch * HW;
    TRY(cl_ctx_kernel(ctx, "baseline_random", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(index), CL_ARG(s), CL_ARG(out), CL_ARG(HW), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_baseline_sobel(cl_ctx *ctx, cl_mem images, cl_mem out, int batch, int H, int W,
                               int C, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = batch * H * W;
    if (C != 1 && C != 3)
        return err_set(err, CLCAM_ERR_LIMIT, "sobel: images of %d channels (1 or 3 only)", C);
    TRY(cl_ctx_kernel(ctx, "baseline_sobel", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(images), CL_ARG(out), CL_ARG(H), CL_ARG(W), CL_ARG(C), CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}
