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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(dout), CL_ARG(db), CL_ARG(C), CL_ARG(HW), CL_ARG(batch),
                CL_ARG_LOCAL(local * sizeof(float))));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(logits), CL_ARG(labels), CL_ARG(dlogits), CL_ARG(loss),
                CL_ARG(correct), CL_ARG(classes), CL_ARG(inv_batch), CL_ARG(batch)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(w), CL_ARG(grad), CL_ARG(buf), CL_ARG(lr), CL_ARG(momentum),
                CL_ARG(weight_decay), CL_ARG(nesterov), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(src), CL_ARG(dst), CL_ARG(index), CL_ARG(s), CL_ARG(e),
                CL_ARG(H), CL_ARG(W), CL_ARG(C), CL_ARG(pad), CL_ARG(flip), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(src), CL_ARG(dst), CL_ARG(K), CL_ARG(HW), CL_ARG(batch),
                CL_ARG(packed), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, kn, err, CL_ARG(in), CL_ARG(dst), CL_ARG(C), CL_ARG(H), CL_ARG(W), CL_ARG(k),
                CL_ARG(pad), CL_ARG(stride), CL_ARG(OH), CL_ARG(OW), CL_ARG(batch), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(src), CL_ARG(dst), CL_ARG(rows), CL_ARG(cols), CL_ARG(n)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(x), CL_ARG(mean), CL_ARG(invstd), CL_ARG(running_mean),
                CL_ARG(running_var), CL_ARG(C), CL_ARG(HW), CL_ARG(batch), CL_ARG(eps),
                CL_ARG(momentum), CL_ARG(update), CL_ARG_LOCAL(local * sizeof(float))));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(x), CL_ARG(y), CL_ARG(mean), CL_ARG(invstd), CL_ARG(gamma),
                CL_ARG(beta), CL_ARG(C), CL_ARG(HW), CL_ARG(rows)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(x), CL_ARG(dy), CL_ARG(mean), CL_ARG(invstd), CL_ARG(dgamma),
                CL_ARG(dbeta), CL_ARG(C), CL_ARG(HW), CL_ARG(batch),
                CL_ARG_LOCAL(local * sizeof(float))));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(x), CL_ARG(dy), CL_ARG(dx), CL_ARG(mean), CL_ARG(invstd),
                CL_ARG(gamma), CL_ARG(dgamma), CL_ARG(dbeta), CL_ARG(C), CL_ARG(HW), CL_ARG(batch),
                CL_ARG(rows)));
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
    TRY(CL_ARGS(ctx, k, err, CL_ARG(running_mean), CL_ARG(running_var), CL_ARG(mean),
                CL_ARG(invstd), CL_ARG(eps), CL_ARG(C)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)C, err));
exit:
    return st;
}
