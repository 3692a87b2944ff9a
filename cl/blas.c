#include "blas.h"

#include <clblast_c.h>

#include "profile.h"

static clcam_status blas_check(cl_ctx *ctx, CLBlastStatusCode rc, const char *call,
                               const char *what, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (rc != CLBlastSuccess) {
        st = err_set_cl(err, (int)rc, "%s (%s) failed: %d (%s)", call, what, (int)rc,
                        clblast_status_name(rc));
        goto exit;
    }
    TRY(cl_ctx_after_enqueue(ctx, call, err));
exit:
    return st;
}

clcam_status blas_sgemm_ex(cl_ctx *ctx, int a_trans, int b_trans, size_t m, size_t n, size_t k,
                           cl_mem a, cl_mem b, float beta, cl_mem c, clcam_err *err)
{
    char what[96];
    CLBlastStatusCode rc = CLBlastSgemm(CLBlastLayoutRowMajor,
                                        a_trans ? CLBlastTransposeYes : CLBlastTransposeNo,
                                        b_trans ? CLBlastTransposeYes : CLBlastTransposeNo, m, n,
                                        k, 1.0f, a, 0, a_trans ? m : k, b, 0, b_trans ? k : n,
                                        beta, c, 0, n, &ctx->queue,
                                        cl_profile_slot(ctx, "CLBlastSgemm"));
    snprintf(what, sizeof what, "m=%zu n=%zu k=%zu%s%s", m, n, k, a_trans ? " A^T" : "",
             b_trans ? " B^T" : "");
    return blas_check(ctx, rc, "CLBlastSgemm", what, err);
}

clcam_status blas_sgemm(cl_ctx *ctx, int b_trans, size_t m, size_t n, size_t k, cl_mem a,
                        cl_mem b, float beta, cl_mem c, clcam_err *err)
{
    return blas_sgemm_ex(ctx, 0, b_trans, m, n, k, a, b, beta, c, err);
}

clcam_status blas_conv2d(cl_ctx *ctx, size_t batch, size_t C, size_t H, size_t W, size_t K,
                         size_t kernel, size_t pad, size_t stride, cl_mem in, cl_mem weight,
                         cl_mem out, clcam_err *err)
{
    char what[128];
    CLBlastStatusCode rc = CLBlastSconvgemm(CLBlastKernelModeCrossCorrelation, C, H, W, kernel,
                                            kernel, pad, pad, stride, stride, 1, 1, K, batch,
                                            in, 0, weight, 0, out, 0, &ctx->queue,
                                            cl_profile_slot(ctx, "CLBlastSconvgemm"));
    snprintf(what, sizeof what, "batch=%zu %zux%zux%zu -> %zu, %zux%zu pad %zu stride %zu", batch,
             C, H, W, K, kernel, kernel, pad, stride);
    return blas_check(ctx, rc, "CLBlastSconvgemm", what, err);
}
