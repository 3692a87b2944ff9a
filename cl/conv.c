#include "conv.h"

#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "conv_winograd.h"
#include "ops.h"
#include "ops_train.h"

/* Largest column matrix: bounds memory by this, not by the batch. 16 MiB keeps GEMMs long
 * (conv2 of SimpleCNN: 56 images per slice). */
#define CONV_COL_BYTES ((size_t)16 << 20)

static const char *const CONV_METHOD_NAMES[CONV_METHOD_COUNT] = {"im2col", "convgemm", "packed",
                                                                   "direct", "winograd"};

const char *conv_method_name(conv_method m)
{
    return (unsigned)m < CONV_METHOD_COUNT ? CONV_METHOD_NAMES[m] : "?";
}

int conv_method_parse(const char *name)
{
    for (int i = 0; name && i < CONV_METHOD_COUNT; i++)
        if (strcmp(name, CONV_METHOD_NAMES[i]) == 0) return i;
    return -1;
}

/* Pixels a direct work-item takes from one output row: 16, or the power of two >= OW. */
static int direct_width(const conv_shape *s)
{
    int sw = 16;
    while (sw > 1 && sw / 2 >= s->OW) sw /= 2;
    return sw;
}

/* conv_direct.cl's kernels with the kernel size, stride and output width fixed. */
#define DIRECT_RB 8 /* output channels per work-item, as conv_direct.cl */
#define DIRECT_ROWS 32 /* output pixels per work-item */
static const struct { int ks, stride, sw; const char *name; } DIRECT_FIXED[] = {
    {3, 1, 16, "conv_direct_k3s1w16"}, {3, 1, 8, "conv_direct_k3s1w8"},
    {3, 2, 16, "conv_direct_k3s2w16"}, {3, 2, 8, "conv_direct_k3s2w8"},
    {1, 1, 16, "conv_direct_k1s1w16"}, {1, 1, 8, "conv_direct_k1s1w8"},
    {1, 2, 16, "conv_direct_k1s2w16"}, {1, 2, 8, "conv_direct_k1s2w8"},
    {7, 2, 16, "conv_direct_k7s2w16"},
};

/* The conv_direct.cl kernel with s's geometry fixed, or NULL (the run-time one). */
static const char *direct_fixed_kernel(const conv_shape *s)
{
    int sw = direct_width(s);
    for (size_t i = 0; i < sizeof DIRECT_FIXED / sizeof *DIRECT_FIXED; i++)
        if (DIRECT_FIXED[i].ks == s->kernel && DIRECT_FIXED[i].stride == s->stride && DIRECT_FIXED[i].sw == sw)
            return DIRECT_FIXED[i].name;
    return NULL;
}

/* Winograd (its float32 error about 10x direct's, tests/test_conv_methods.c) by default where it
 * fits and pays most: 64 channels and up in and out on planes of 14x14 and up (resnet18's
 * 56x56 to 14x14: 1.4-1.7x direct, build/conv_direct_bench), 256 and up on smaller ones (its
 * 7x7: 1.5x). Not on SimpleCNN's 64-channel 8x8 conv3, its CAM layer, where torch_precision
 * holds clcam's maps to 1.5x PyTorch's float32 error and Winograd's would not pass. */
static int winograd_default(const conv_shape *s)
{
    int side = s->OH < s->OW ? s->OH : s->OW, channels = s->C < s->K ? s->C : s->K;
    return conv_winograd_fits(s) && ((side >= 14 && channels >= 64) || (side >= 7 && channels >= 256));
}

static conv_method conv_method_chosen(const cl_ctx *ctx, const conv_shape *s)
{
    int forced = conv_method_parse(getenv("CLCAM_CONV"));
    if (forced >= 0) return (conv_method)forced;
    for (int i = 0; i < ctx->n_conv; i++) {
        const cl_conv_choice *c = &ctx->conv_choice[i];
        if (c->C == s->C && c->H == s->H && c->W == s->W && c->K == s->K && c->kernel == s->kernel &&
            c->pad == s->pad && c->stride == s->stride)
            return (conv_method)c->method;
    }
    if (!ctx->gemm_own) return CONV_IM2COL;
    if (winograd_default(s)) return CONV_WINOGRAD;
    /* direct's other geometries gather their inputs: unmeasured */
    return s->stride == 1 || direct_fixed_kernel(s) ? CONV_DIRECT : CONV_PACKED;
}

conv_method conv_method_for(const cl_ctx *ctx, const conv_shape *s)
{
    conv_method m = conv_method_chosen(ctx, s);
    return m == CONV_WINOGRAD && !conv_winograd_fits(s) ? CONV_DIRECT : m; /* asked for anyway */
}

/* The backward passes: our GEMM or CLBlast's, by the engine, as before per-shape choices
 * existed (the forward choice says nothing about the GEMMs of the backward passes). */
static int conv_backward_packed(const cl_ctx *ctx)
{
    int forced = conv_method_parse(getenv("CLCAM_CONV"));
    if (forced == CONV_PACKED) return 1;
    if (forced == CONV_IM2COL || forced == CONV_CONVGEMM) return 0;
    return ctx->gemm_own;
}

clcam_status conv_check(const conv_shape *s, const char *buffer, size_t n, clcam_err *err)
{
    char what[192];
    if (n <= CL_CTX_MAX_ELEMS) return CLCAM_OK;
    snprintf(what, sizeof what, "convolution %dx%dx%d -> %d (%dx%d, stride %d, pad %d), batch %d: %s",
             s->C, s->H, s->W, s->K, s->kernel, s->kernel, s->stride, s->pad, s->batch, buffer);
    return cl_check_elems(what, n, err);
}

/* The repacked weights' element count: K rounded up to whole blocks of DIRECT_RB. */
static size_t direct_packed_elems(const conv_shape *s)
{
    return (size_t)(s->K + DIRECT_RB - 1) / DIRECT_RB * DIRECT_RB * (size_t)s->C * s->kernel * s->kernel;
}

/* Channel blocks a direct work-group sweeps an image's pixels with: as many as keep their
 * repacked weights in 512 KiB (half this CPU's L2 per core): resnet18's 56x56 convolution
 * went from about 280 to 340 GFLOP/s against one block at a time (build/conv_direct_bench),
 * the other shapes unchanged. CLCAM_DIRECT_GROUP=N forces N (the tests: partial groups). */
static int direct_group(const conv_shape *s, int n_kb)
{
    size_t block = sizeof(float) * DIRECT_RB * s->C * s->kernel * s->kernel;
    const char *env = getenv("CLCAM_DIRECT_GROUP");
    size_t g = env && atoi(env) > 0 ? (size_t)atoi(env) : ((size_t)512 << 10) / block;
    return g < 1 ? 1 : g > (size_t)n_kb ? n_kb : (int)g;
}

/* wp = weight repacked (conv_direct_pack); the caller checked direct_packed_elems(s). */
static clcam_status direct_pack(cl_ctx *ctx, const conv_shape *s, cl_mem weight, cl_mem wp,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel kw;
    size_t packed = direct_packed_elems(s);
    int ckk = s->C * s->kernel * s->kernel, n_w = (int)packed;
    TRY(cl_ctx_kernel(ctx, "conv_direct_pack", &kw, err));
    TRY(CL_ARGS(ctx, kw, err, CL_ARG(weight), CL_ARG(wp), CL_ARG(s->K), CL_ARG(ckk), CL_ARG(n_w)));
    TRY(cl_ctx_launch1d(ctx, kw, packed, err));
exit:
    return st;
}

clcam_status conv_direct_pack_weights(cl_ctx *ctx, const conv_shape *s, cl_mem weight,
                                      cl_mem *packed, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    *packed = NULL;
    TRY(conv_check(s, "direct's packed weights", direct_packed_elems(s), err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * direct_packed_elems(s), packed, "repacked conv weights", err));
    TRY(direct_pack(ctx, s, weight, *packed, err));
exit:
    if (st != CLCAM_OK && *packed) clReleaseMemObject(*packed), *packed = NULL;
    return st;
}

/* Two vectors of 16 output pixels a work-item: rows of 16, or SW columns of 16 / SW rows
 * where the output is narrower (SW a power of two >= OW), so 8x8 planes fill the float16
 * lanes; the input copied with its
 * padding into scratch buffer 0 first, big enough for every read of the last, partial
 * segments and row groups (a stride-2 block loads 2 x 16 values a row), and the weights
 * repacked into scratch buffer 1 unless packed already holds them. See conv_direct.cl: a
 * kernel with the geometry fixed where one exists, else the one that takes it at run time. */
static clcam_status conv_direct(cl_ctx *ctx, const conv_shape *s, cl_mem in, cl_mem weight,
                                cl_mem packed, cl_mem bias, cl_mem residual, int relu, cl_mem out,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_mem res = residual ? residual : out; /* a valid buffer the kernel does not read */
    int has_res = residual != NULL;
    cl_kernel kp, k;
    cl_mem inp, wpk;
    int sw = direct_width(s);
    int rw = DIRECT_ROWS / sw; /* output rows per work-item */
    int n_seg = (s->OW + sw - 1) / sw, n_rows = (s->OH + rw - 1) / rw;
    int hp = s->H + 2 * s->pad, wp = s->W + 2 * s->pad;
    int hp_read = (n_rows * rw - 1) * s->stride + s->kernel;
    int wp_read = n_seg * sw * s->stride + s->kernel;
    if (hp_read > hp) hp = hp_read;
    if (wp_read > wp) wp = wp_read;
    size_t padded = (size_t)s->batch * s->C * hp * wp;
    size_t n_kb = (size_t)(s->K + DIRECT_RB - 1) / DIRECT_RB;
    size_t items = (size_t)n_seg * n_rows * n_kb * (size_t)s->batch;
    /* CLCAM_CONV_DIRECT_GENERIC: the tests run the run-time kernel on every shape too */
    const char *fixed = getenv("CLCAM_CONV_DIRECT_GENERIC") ? NULL : direct_fixed_kernel(s);
    int n, n_pad, kbg = direct_group(s, (int)n_kb), zero = 0;
    TRY(conv_check(s, "direct's padded input", padded, err));
    TRY(conv_check(s, "direct's work-items", items, err));
    TRY(conv_check(s, "direct's packed weights", direct_packed_elems(s), err));
    n = (int)items;
    n_pad = (int)((size_t)s->batch * s->C * hp);
    TRY(cl_ctx_scratch(ctx, 0, sizeof(float) * padded, &inp, err));
    if (packed) {
        wpk = packed;
    } else {
        TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * direct_packed_elems(s), &wpk, err));
        TRY(direct_pack(ctx, s, weight, wpk, err));
    }
    TRY(cl_ctx_kernel(ctx, "conv_direct_pad", &kp, err));
    TRY(CL_ARGS(ctx, kp, err, CL_ARG(in), CL_ARG(inp), CL_ARG(s->H), CL_ARG(s->W), CL_ARG(s->pad),
                CL_ARG(hp), CL_ARG(wp), CL_ARG(zero), CL_ARG(n_pad)));
    TRY(cl_ctx_launch1d(ctx, kp, (size_t)n_pad, err));
    if (fixed) {
        TRY(cl_ctx_kernel(ctx, fixed, &k, err));
        TRY(CL_ARGS(ctx, k, err, CL_ARG(inp), CL_ARG(wpk), CL_ARG(bias), CL_ARG(out), CL_ARG(s->C),
                    CL_ARG(hp), CL_ARG(wp), CL_ARG(s->K), CL_ARG(s->OH), CL_ARG(s->OW), CL_ARG(res),
                    CL_ARG(has_res), CL_ARG(relu), CL_ARG(kbg), CL_ARG(n)));
    } else {
        TRY(cl_ctx_kernel(ctx, "conv_direct_forward", &k, err));
        TRY(CL_ARGS(ctx, k, err, CL_ARG(inp), CL_ARG(wpk), CL_ARG(bias), CL_ARG(out), CL_ARG(s->C),
                    CL_ARG(hp), CL_ARG(wp), CL_ARG(s->K), CL_ARG(s->kernel), CL_ARG(s->stride),
                    CL_ARG(s->OH), CL_ARG(s->OW), CL_ARG(sw), CL_ARG(res), CL_ARG(has_res),
                    CL_ARG(relu), CL_ARG(kbg), CL_ARG(n)));
    }
    TRY(cl_ctx_launch1d(ctx, k, items, err));
exit:
    return st;
}

clcam_status conv_prepare_weights(cl_ctx *ctx, conv_method method, const conv_shape *s,
                                  cl_mem weight, cl_mem *packed, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    *packed = NULL;
    if (method == CONV_WINOGRAD && conv_winograd_fits(s)) {
        TRY(cl_ctx_alloc(ctx, sizeof(float) * conv_winograd_weights_elems(s), packed,
                         "transformed conv weights", err));
        TRY(conv_winograd_weights(ctx, s, weight, *packed, err));
    } else if (method == CONV_DIRECT || method == CONV_WINOGRAD) {
        TRY(conv_direct_pack_weights(ctx, s, weight, packed, err));
    }
exit:
    if (st != CLCAM_OK && *packed) clReleaseMemObject(*packed), *packed = NULL;
    return st;
}

clcam_status conv_forward(cl_ctx *ctx, conv_method method, const conv_shape *s, cl_mem in,
                          cl_mem weight, cl_mem bias, cl_mem out, clcam_err *err)
{
    return conv_forward_packed(ctx, method, s, in, weight, NULL, bias, 0, out, err);
}

clcam_status conv_forward_packed(cl_ctx *ctx, conv_method method, const conv_shape *s, cl_mem in,
                                 cl_mem weight, cl_mem packed, cl_mem bias, int relu, cl_mem out,
                                 clcam_err *err)
{
    return conv_forward_fused(ctx, method, s, in, weight, packed, bias, NULL, relu, out, err);
}

clcam_status conv_forward_fused(cl_ctx *ctx, conv_method method, const conv_shape *s, cl_mem in,
                                cl_mem weight, cl_mem packed, cl_mem bias, cl_mem residual,
                                int relu, cl_mem out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t ohw = (size_t)s->OH * s->OW, ckk = (size_t)s->C * s->kernel * s->kernel;
    cl_mem col, tmp;
    if (method == CONV_WINOGRAD && conv_winograd_fits(s)) {
        TRY(conv_winograd(ctx, s, in, weight, packed, bias, residual, relu, out, err));
        goto exit;
    }
    if (method == CONV_DIRECT || method == CONV_WINOGRAD) {
        TRY(conv_direct(ctx, s, in, weight, packed, bias, residual, relu, out, err));
        goto exit;
    }
    if (method == CONV_CONVGEMM) {
        TRY(blas_conv2d(ctx, (size_t)s->batch, (size_t)s->C, (size_t)s->H, (size_t)s->W, (size_t)s->K,
                        (size_t)s->kernel, (size_t)s->pad, (size_t)s->stride, in, weight, out, err));
        TRY(op_bias_add(ctx, out, bias, s->batch, s->K, (int)ohw, err));
        goto apply_relu;
    }
    /* [K, C*k*k] x [C*k*k, b*OH*OW] -> [K, b*OH*OW] -> NCHW + bias, in slices of b images
     * so the column matrix stays under CONV_COL_BYTES whatever the batch. */
    {
        size_t per_image = sizeof(float) * (ckk > (size_t)s->K ? ckk : (size_t)s->K) * ohw;
        const char *env = getenv("CLCAM_CONV_COL_BYTES"); /* tests: force several slices */
        size_t limit = env && atol(env) > 0 ? (size_t)atol(env) : CONV_COL_BYTES;
        int slice = (int)(limit / per_image);
        if (slice < 1) slice = 1;
        if (slice > s->batch) slice = s->batch;
        if (method == CONV_PACKED) { /* columns rounded up to whole panels of 16 */
            size_t n_col = ckk * ((slice * ohw + 15) / 16 * 16);
            TRY(conv_check(s, "packed im2col columns", n_col, err));
            TRY(cl_ctx_scratch(ctx, 0, sizeof(float) * n_col, &col, err));
            for (int img0 = 0; img0 < s->batch; img0 += slice) {
                int b = s->batch - img0 < slice ? s->batch - img0 : slice;
                TRY(op_im2col_packed(ctx, in, img0, col, b, s->C, s->H, s->W, s->kernel, s->pad,
                                     s->stride, s->OH, s->OW, err));
                TRY(op_gemm_nchw(ctx, s->K, b * (int)ohw, (int)ckk, weight, col, bias, out,
                                 img0 * s->K * (int)ohw, (int)ohw, err));
            }
            goto apply_relu;
        }
        TRY(conv_check(s, "im2col columns", ckk * slice * ohw, err));
        TRY(conv_check(s, "GEMM output", (size_t)s->K * slice * ohw, err));
        TRY(cl_ctx_scratch(ctx, 0, sizeof(float) * ckk * slice * ohw, &col, err));
        TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * (size_t)s->K * slice * ohw, &tmp, err));
        for (int img0 = 0; img0 < s->batch; img0 += slice) {
            int b = s->batch - img0 < slice ? s->batch - img0 : slice;
            TRY(op_im2col(ctx, in, img0, col, b, s->C, s->H, s->W, s->kernel, s->pad, s->stride,
                          s->OH, s->OW, err));
            TRY(blas_sgemm(ctx, 0, (size_t)s->K, (size_t)b * ohw, ckk, weight, col, 0.0f, tmp, err));
            TRY(op_conv_permute_bias(ctx, tmp, bias, out, img0, b, s->K, (int)ohw, err));
        }
    }
apply_relu: /* direct and Winograd did both in their stores */
    if (residual) /* out + residual, as the add's op_add_pair (a sum's order does not matter) */
        TRY(op_add_pair(ctx, out, residual, out, relu, s->batch * s->K * (int)ohw, err));
    else if (relu)
        TRY(op_relu_forward(ctx, out, out, s->batch * s->K * (int)ohw, err));
exit:
    return st;
}

clcam_status conv_backward_data(cl_ctx *ctx, const conv_shape *s, cl_mem dout, cl_mem weight,
                                cl_mem din, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t ohw = (size_t)s->OH * s->OW, ckk = (size_t)s->C * s->kernel * s->kernel;
    cl_mem col, tmp, wt;
    TRY(conv_check(s, "backward-data columns", ckk * s->batch * ohw, err));
    TRY(conv_check(s, "backward-data gradient rows", (size_t)s->K * ((s->batch * ohw + 15) / 16 * 16), err));
    if (conv_backward_packed(ctx)) {
        /* Our GEMM: W^T [C*k*k, K] x dout packed as [K, batch*OH*OW] -> columns, row-major */
        size_t cols16 = ((size_t)s->batch * ohw + 15) / 16 * 16;
        TRY(cl_ctx_scratch(ctx, 0, sizeof(float) * ckk * s->batch * ohw, &col, err));
        TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * (size_t)s->K * cols16, &tmp, err));
        TRY(cl_ctx_scratch(ctx, 2, sizeof(float) * (size_t)s->K * ckk, &wt, err));
        TRY(op_transpose(ctx, weight, wt, s->K, (int)ckk, err));
        TRY(op_nchw_rows16(ctx, dout, tmp, s->batch, s->K, (int)ohw, 1, err));
        TRY(op_gemm_nchw(ctx, (int)ckk, s->batch * (int)ohw, s->K, wt, tmp, NULL, col, 0,
                         s->batch * (int)ohw, err));
        TRY(op_col2im(ctx, col, din, s->batch, s->C, s->H, s->W, s->kernel, s->pad, s->stride,
                      s->OH, s->OW, err));
        goto exit;
    }
    /* [K, batch*OH*OW] <- NCHW; [C*k*k, K] x [K, batch*OH*OW] -> [C*k*k, batch*OH*OW]; gather */
    TRY(cl_ctx_scratch(ctx, 0, sizeof(float) * ckk * s->batch * ohw, &col, err));
    TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * (size_t)s->K * s->batch * ohw, &tmp, err));
    TRY(op_conv_unpermute(ctx, dout, tmp, s->batch, s->K, (int)ohw, err));
    TRY(blas_sgemm_ex(ctx, 1, 0, ckk, (size_t)s->batch * ohw, (size_t)s->K, weight, tmp, 0.0f,
                      col, err));
    TRY(op_col2im(ctx, col, din, s->batch, s->C, s->H, s->W, s->kernel, s->pad, s->stride, s->OH,
                  s->OW, err));
exit:
    return st;
}

clcam_status conv_backward_weight(cl_ctx *ctx, const conv_shape *s, cl_mem in, cl_mem dout,
                                  cl_mem dweight, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t ohw = (size_t)s->OH * s->OW, ckk = (size_t)s->C * s->kernel * s->kernel;
    cl_mem col, tmp;
    TRY(conv_check(s, "backward-weight columns", (ckk + 15) / 16 * 16 * s->batch * ohw, err));
    TRY(conv_check(s, "backward-weight gradient rows", (size_t)s->K * s->batch * ohw, err));
    if (conv_backward_packed(ctx)) {
        /* Our GEMM: dout as [K, b*OHW] row-major x im2col^T packed [b*OHW, C*k*k] */
        size_t ckk16 = (ckk + 15) / 16 * 16;
        TRY(cl_ctx_scratch(ctx, 0, sizeof(float) * ckk16 * s->batch * ohw, &col, err));
        TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * (size_t)s->K * s->batch * ohw, &tmp, err));
        TRY(op_im2col_tpacked(ctx, in, col, s->batch, s->C, s->H, s->W, s->kernel, s->pad,
                              s->stride, s->OH, s->OW, err));
        TRY(op_nchw_rows16(ctx, dout, tmp, s->batch, s->K, (int)ohw, 0, err));
        TRY(op_gemm_nchw(ctx, s->K, (int)ckk, s->batch * (int)ohw, tmp, col, NULL, dweight, 0,
                         (int)ckk, err));
        goto exit;
    }
    TRY(cl_ctx_scratch(ctx, 0, sizeof(float) * ckk * s->batch * ohw, &col, err));
    TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * (size_t)s->K * s->batch * ohw, &tmp, err));
    TRY(op_im2col(ctx, in, 0, col, s->batch, s->C, s->H, s->W, s->kernel, s->pad, s->stride,
                  s->OH, s->OW, err));
    TRY(op_conv_unpermute(ctx, dout, tmp, s->batch, s->K, (int)ohw, err));
    /* [K, b*OHW] x [C*k*k, b*OHW]^T -> [K, C*k*k], PyTorch's weight layout */
    TRY(blas_sgemm_ex(ctx, 0, 1, (size_t)s->K, ckk, (size_t)s->batch * ohw, tmp, col, 0.0f,
                      dweight, err));
exit:
    return st;
}
