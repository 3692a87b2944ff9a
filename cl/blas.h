/* CLBlast calls on our queue, with checked status codes. Row-major throughout. */
#ifndef CLCAM_CL_BLAS_H
#define CLCAM_CL_BLAS_H

#include "runtime.h"

/* C[m,n] = A[m,k] * op(B) (+ beta C); b_trans: B is stored [n,k] (PyTorch's linear weight). */
clcam_status blas_sgemm(cl_ctx *ctx, int b_trans, size_t m, size_t n, size_t k, cl_mem a,
                        cl_mem b, float beta, cl_mem c, clcam_err *err);

/* The same with A optionally transposed too: a_trans: A is stored [k,m]. */
clcam_status blas_sgemm_ex(cl_ctx *ctx, int a_trans, int b_trans, size_t m, size_t n, size_t k,
                           cl_mem a, cl_mem b, float beta, cl_mem c, clcam_err *err);

/* Cross-correlation of NCHW input [batch, C, H, W] with weights [K, C, kh, kw] into
 * [batch, K, OH, OW] (PyTorch's Conv2d without bias). */
clcam_status blas_conv2d(cl_ctx *ctx, size_t batch, size_t C, size_t H, size_t W, size_t K,
                         size_t kernel, size_t pad, size_t stride, cl_mem in, cl_mem weight,
                         cl_mem out, clcam_err *err);

#endif
