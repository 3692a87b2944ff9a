#include "ops_train.h"

clcam_status op_bias_grad(cl_ctx *ctx, cl_mem dout, cl_mem db, int batch, int C, int HW,
                          clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    size_t local;
    TRY(cl_ctx_kernel(ctx, "bias_grad_nchw", &k, err));
    /* Work-group size from the kernel's and device's limits, and local memory to match. */
    local = cl_ctx_reduce_wg(ctx, "bias_grad_nchw", 256);
    while (local > 1 && local * sizeof(float) > ctx->local_mem) local /= 2;
    KARG(k, 0, dout); KARG(k, 1, db); KARG(k, 2, C); KARG(k, 3, HW); KARG(k, 4, batch);
    CL_TRY(clSetKernelArg(k, 5, local * sizeof(float), NULL));
    TRY(cl_ctx_launch_groups(ctx, k, (size_t)C, local, err));
exit:
    return st;
}

clcam_status op_softmax_xent(cl_ctx *ctx, cl_mem logits, cl_mem labels, cl_mem dlogits,
                             cl_mem loss, cl_mem correct, int batch, int classes, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    float inv_batch = 1.0f / (float)batch;
    TRY(cl_ctx_kernel(ctx, "softmax_xent", &k, err));
    KARG(k, 0, logits); KARG(k, 1, labels); KARG(k, 2, dlogits); KARG(k, 3, loss);
    KARG(k, 4, correct); KARG(k, 5, classes); KARG(k, 6, inv_batch); KARG(k, 7, batch);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)batch, err));
exit:
    return st;
}

clcam_status op_sgd_step(cl_ctx *ctx, cl_mem w, cl_mem grad, cl_mem buf, float lr, float momentum,
                         float weight_decay, int nesterov, int n, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "sgd_step", &k, err));
    KARG(k, 0, w); KARG(k, 1, grad); KARG(k, 2, buf); KARG(k, 3, lr); KARG(k, 4, momentum);
    KARG(k, 5, weight_decay); KARG(k, 6, nesterov); KARG(k, 7, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_augment(cl_ctx *ctx, cl_mem src, cl_mem dst, cl_mem index, unsigned seed,
                        unsigned epoch, int batch, int H, int W, int C, int pad, int flip,
                        clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    cl_uint s = seed, e = epoch;
    int n = batch * H * W * C;
    TRY(cl_ctx_kernel(ctx, "augment_crop_flip", &k, err));
    KARG(k, 0, src); KARG(k, 1, dst); KARG(k, 2, index); KARG(k, 3, s); KARG(k, 4, e);
    KARG(k, 5, H); KARG(k, 6, W); KARG(k, 7, C); KARG(k, 8, pad); KARG(k, 9, flip); KARG(k, 10, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_nchw_rows16(cl_ctx *ctx, cl_mem src, cl_mem dst, int batch, int K, int HW,
                            int packed, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = K * ((batch * HW + 15) / 16);
    TRY(cl_ctx_kernel(ctx, "nchw_rows16", &k, err));
    KARG(k, 0, src); KARG(k, 1, dst); KARG(k, 2, K); KARG(k, 3, HW); KARG(k, 4, batch);
    KARG(k, 5, packed); KARG(k, 6, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

clcam_status op_im2col_tpacked(cl_ctx *ctx, cl_mem in, cl_mem dst, int batch, int C, int H,
                               int W, int k, int pad, int stride, int OH, int OW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel kn;
    int n = (C * k * k + 15) / 16 * batch * OH;
    TRY(cl_ctx_kernel(ctx, "im2col_tpacked", &kn, err));
    KARG(kn, 0, in); KARG(kn, 1, dst); KARG(kn, 2, C); KARG(kn, 3, H); KARG(kn, 4, W);
    KARG(kn, 5, k); KARG(kn, 6, pad); KARG(kn, 7, stride); KARG(kn, 8, OH); KARG(kn, 9, OW);
    KARG(kn, 10, batch); KARG(kn, 11, n);
    TRY(cl_ctx_launch1d(ctx, kn, (size_t)n, err));
exit:
    return st;
}

clcam_status op_transpose(cl_ctx *ctx, cl_mem src, cl_mem dst, int rows, int cols, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n = rows * cols;
    TRY(cl_ctx_kernel(ctx, "transpose_rows", &k, err));
    KARG(k, 0, src); KARG(k, 1, dst); KARG(k, 2, rows); KARG(k, 3, cols); KARG(k, 4, n);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

/* Work-group size for a per-channel reduction kernel, and local memory to match. */
static size_t bn_group(cl_ctx *ctx, const char *name)
{
    size_t local = cl_ctx_reduce_wg(ctx, name, 256);
    while (local > 1 && local * sizeof(float) > ctx->local_mem) local /= 2;
    return local;
}

clcam_status op_bn_stats(cl_ctx *ctx, cl_mem x, cl_mem mean, cl_mem invstd, cl_mem running_mean,
                         cl_mem running_var, int batch, int C, int HW, float eps, float momentum,
                         int update, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    size_t local;
    if ((long)batch * HW < 2) {
        st = err_set(err, CLCAM_ERR_INPUT, "batchnorm in training needs more than one value per "
                     "channel (batch %d, %d positions)", batch, HW);
        goto exit;
    }
    TRY(cl_ctx_kernel(ctx, "bn_stats", &k, err));
    local = bn_group(ctx, "bn_stats");
    KARG(k, 0, x); KARG(k, 1, mean); KARG(k, 2, invstd); KARG(k, 3, running_mean);
    KARG(k, 4, running_var); KARG(k, 5, C); KARG(k, 6, HW); KARG(k, 7, batch); KARG(k, 8, eps);
    KARG(k, 9, momentum); KARG(k, 10, update);
    CL_TRY(clSetKernelArg(k, 11, local * sizeof(float), NULL));
    TRY(cl_ctx_launch_groups(ctx, k, (size_t)C, local, err));
exit:
    return st;
}

clcam_status op_bn_forward(cl_ctx *ctx, cl_mem x, cl_mem y, cl_mem mean, cl_mem invstd,
                           cl_mem gamma, cl_mem beta, int batch, int C, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int rows = batch * C;
    TRY(cl_ctx_kernel(ctx, "bn_forward", &k, err));
    KARG(k, 0, x); KARG(k, 1, y); KARG(k, 2, mean); KARG(k, 3, invstd); KARG(k, 4, gamma);
    KARG(k, 5, beta); KARG(k, 6, C); KARG(k, 7, HW); KARG(k, 8, rows);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)rows, err));
exit:
    return st;
}

clcam_status op_bn_backward_params(cl_ctx *ctx, cl_mem x, cl_mem dy, cl_mem mean, cl_mem invstd,
                                   cl_mem dgamma, cl_mem dbeta, int batch, int C, int HW,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    size_t local;
    TRY(cl_ctx_kernel(ctx, "bn_backward_params", &k, err));
    local = bn_group(ctx, "bn_backward_params");
    KARG(k, 0, x); KARG(k, 1, dy); KARG(k, 2, mean); KARG(k, 3, invstd); KARG(k, 4, dgamma);
    KARG(k, 5, dbeta); KARG(k, 6, C); KARG(k, 7, HW); KARG(k, 8, batch);
    CL_TRY(clSetKernelArg(k, 9, local * sizeof(float), NULL));
    TRY(cl_ctx_launch_groups(ctx, k, (size_t)C, local, err));
exit:
    return st;
}

clcam_status op_bn_backward_data(cl_ctx *ctx, cl_mem x, cl_mem dy, cl_mem dx, cl_mem mean,
                                 cl_mem invstd, cl_mem gamma, cl_mem dgamma, cl_mem dbeta,
                                 int batch, int C, int HW, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int rows = batch * C;
    TRY(cl_ctx_kernel(ctx, "bn_backward_data", &k, err));
    KARG(k, 0, x); KARG(k, 1, dy); KARG(k, 2, dx); KARG(k, 3, mean); KARG(k, 4, invstd);
    KARG(k, 5, gamma); KARG(k, 6, dgamma); KARG(k, 7, dbeta); KARG(k, 8, C); KARG(k, 9, HW);
    KARG(k, 10, batch); KARG(k, 11, rows);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)rows, err));
exit:
    return st;
}

clcam_status op_bn_running(cl_ctx *ctx, cl_mem running_mean, cl_mem running_var, cl_mem mean,
                           cl_mem invstd, int C, float eps, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    TRY(cl_ctx_kernel(ctx, "bn_running", &k, err));
    KARG(k, 0, running_mean); KARG(k, 1, running_var); KARG(k, 2, mean); KARG(k, 3, invstd);
    KARG(k, 4, eps); KARG(k, 5, C);
    TRY(cl_ctx_launch1d(ctx, k, (size_t)C, err));
exit:
    return st;
}
