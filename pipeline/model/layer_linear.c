/* Fully connected layer, y = x W^T + b, as CLBlast GEMMs plus a bias kernel. */
#include "layer.h"

#include "../../cl/blas.h"
#include "../../cl/ops.h"
#include "../../cl/ops_train.h"
#include "reference.h"
#include "../train/reference_train.h"

static clcam_status linear_output_shape(layer *l, clcam_err *err)
{
    if (l->in.h != 1 || l->in.w != 1)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a linear layer needs a flat input, got "
                       "%dx%dx%d (add a flatten layer before it)", l->name, l->in.c, l->in.h, l->in.w);
    l->out = (layer_shape){l->out_features, 1, 1};
    return CLCAM_OK;
}

static clcam_status linear_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_mem xt;
    if (ctx->gemm_own) {
        /* Our GEMM: y^T [out, batch] = W [out, in] x x^T packed; P = 1 stores it transposed,
         * as y [batch, out], with the bias */
        TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * l->in.c * (size_t)((batch + 15) / 16 * 16), &xt, err));
        TRY(op_nchw_rows16(ctx, in, xt, batch, l->in.c, 1, 1, err));
        TRY(op_gemm_nchw(ctx, l->out.c, batch, l->in.c, l->d_weight, xt, l->d_bias, l->d_out, 0, 1, err));
        goto exit;
    }
    TRY(blas_sgemm(ctx, 1, (size_t)batch, l->out.c, l->in.c, in, l->d_weight, 0.0f, l->d_out, err));
    TRY(op_bias_add(ctx, l->d_out, l->d_bias, batch, l->out.c, 1, err));
exit:
    return st;
}

static clcam_status linear_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                    int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_mem wp;
    (void)in;
    if (ctx->gemm_own) {
        /* Our GEMM: dx [batch, in] = dy [batch, out] x W [out, in] packed in panels */
        TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * l->out.c * (size_t)((l->in.c + 15) / 16 * 16), &wp, err));
        TRY(op_nchw_rows16(ctx, l->d_weight, wp, 1, l->out.c, l->in.c, 1, err));
        TRY(op_gemm_nchw(ctx, batch, l->in.c, l->out.c, dout, wp, NULL, din, 0, l->in.c, err));
        goto exit;
    }
    TRY(blas_sgemm(ctx, 0, (size_t)batch, l->in.c, l->out.c, dout, l->d_weight, 0.0f, din, err));
exit:
    return st;
}

static clcam_status linear_backward_params(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout,
                                           cl_mem dweight, cl_mem dbias, int batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_mem dyt, xp;
    if (ctx->gemm_own) {
        /* Our GEMM: dW [out, in] = dy^T [out, batch] x x [batch, in] packed in panels */
        TRY(cl_ctx_scratch(ctx, 2, sizeof(float) * l->out.c * (size_t)batch, &dyt, err));
        TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * batch * (size_t)((l->in.c + 15) / 16 * 16), &xp, err));
        TRY(op_transpose(ctx, dout, dyt, batch, l->out.c, err));
        TRY(op_nchw_rows16(ctx, in, xp, 1, batch, l->in.c, 1, err));
        TRY(op_gemm_nchw(ctx, l->out.c, l->in.c, batch, dyt, xp, NULL, dweight, 0, l->in.c, err));
    } else {
        /* [batch, out]^T x [batch, in] -> [out, in] */
        TRY(blas_sgemm_ex(ctx, 1, 0, l->out.c, l->in.c, (size_t)batch, dout, in, 0.0f, dweight, err));
    }
    TRY(op_bias_grad(ctx, dout, dbias, batch, l->out.c, 1, err));
exit:
    return st;
}

static void linear_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    (void)aux;
    ref_linear(in, l->weight, l->bias, out, batch, l->in.c, l->out.c);
}

static void linear_ref_backward(const layer *l, const float *in, const float *out,
                                const int *aux, const float *dout, float *din, int batch)
{
    (void)in, (void)out, (void)aux;
    ref_linear_backward(dout, l->weight, din, batch, l->in.c, l->out.c);
}

static void linear_ref_backward_params(const layer *l, const float *in, const float *dout,
                                       float *dweight, float *dbias, int batch)
{
    ref_linear_backward_weight(in, dout, dweight, batch, l->in.c, l->out.c);
    ref_bias_grad(dout, dbias, batch, l->out.c, 1);
}

const layer_ops layer_linear_ops = {
    .kind_name = "linear",
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .output_shape = linear_output_shape,
    .forward = linear_forward,
    .backward = linear_backward,
    .ref_forward = linear_ref_forward,
    .ref_backward = linear_ref_backward,
    .backward_params = linear_backward_params,
    .ref_backward_params = linear_ref_backward_params,
};
