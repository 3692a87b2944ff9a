/* Average pooling (floor mode; with zero padding pad > 0 and count_include_pad as PyTorch's
 * AvgPool2d, through the avgpool_pad kernels), or a global average pool over the whole plane
 * (global_pool, PyTorch's AdaptiveAvgPool2d(1)). */
#include "layer.h"

#include "../../cl/ops.h"
#include "../../cl/ops_layers.h"
#include "reference.h"

/* The window and strides: the layer's kernel and stride, or the whole plane. */
static void avgpool_window(const layer *l, int *kh, int *kw, int *sh, int *sw)
{
    *kh = l->global_pool ? l->in.h : l->kernel;
    *kw = l->global_pool ? l->in.w : l->kernel;
    *sh = l->global_pool ? 1 : l->stride;
    *sw = l->global_pool ? 1 : l->stride;
}

static clcam_status avgpool_output_shape(layer *l, clcam_err *err)
{
    int kh, kw, sh, sw;
    avgpool_window(l, &kh, &kw, &sh, &sw);
    if (l->pad > 0) {
        if (l->global_pool || 2 * l->pad > l->kernel)
            return err_set(err, CLCAM_ERR_INPUT, "layer %s: an average pool takes padding 0..%d "
                           "(at most half the kernel, not with global: true), got %d", l->name,
                           l->global_pool ? 0 : l->kernel / 2, l->pad);
        if (l->kernel < 1 || l->stride < 1 || l->in.h + 2 * l->pad < l->kernel ||
            l->in.w + 2 * l->pad < l->kernel)
            return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %dx%d average pool (stride %d, padding "
                           "%d) does not fit its %dx%d input", l->name, l->kernel, l->kernel,
                           l->stride, l->pad, l->in.h, l->in.w);
        l->out = (layer_shape){l->in.c, pool_out_size_pad(l->in.h, l->kernel, l->stride, l->pad),
                               pool_out_size_pad(l->in.w, l->kernel, l->stride, l->pad)};
        return CLCAM_OK;
    }
    if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || l->in.h < kh || l->in.w < kw)
        return err_set(err, CLCAM_ERR_INPUT, "layer %s: a %dx%d average pool (stride %d) does not "
                       "fit its %dx%d input", l->name, kh, kw, sh, l->in.h, l->in.w);
    l->out = (layer_shape){l->in.c, pool_out_size(l->in.h, kh, sh), pool_out_size(l->in.w, kw, sw)};
    return CLCAM_OK;
}

static clcam_status avgpool_forward(cl_ctx *ctx, layer *l, cl_mem in, int batch, clcam_err *err)
{
    int kh, kw, sh, sw;
    avgpool_window(l, &kh, &kw, &sh, &sw);
    if (l->pad > 0)
        return op_avgpool_pad_forward(ctx, in, l->d_out, batch * l->in.c, l->in.h, l->in.w,
                                      l->kernel, l->stride, l->pad, l->count_include_pad, err);
    return op_avgpool_forward(ctx, in, l->d_out, batch * l->in.c, l->in.h, l->in.w, kh, kw, sh, sw,
                              err);
}

static clcam_status avgpool_backward(cl_ctx *ctx, layer *l, cl_mem in, cl_mem dout, cl_mem din,
                                     int batch, clcam_err *err)
{
    int kh, kw, sh, sw;
    (void)in;
    avgpool_window(l, &kh, &kw, &sh, &sw);
    if (l->pad > 0)
        return op_avgpool_pad_backward(ctx, dout, din, batch * l->in.c, l->in.h, l->in.w,
                                       l->kernel, l->stride, l->pad, l->count_include_pad, err);
    return op_avgpool_backward(ctx, dout, din, batch * l->in.c, l->in.h, l->in.w, kh, kw, sh, sw,
                               err);
}

static void avgpool_ref_forward(const layer *l, const float *in, float *out, int *aux, int batch)
{
    int kh, kw, sh, sw;
    (void)aux;
    avgpool_window(l, &kh, &kw, &sh, &sw);
    if (l->pad > 0) {
        ref_avgpool_pad_forward(in, out, batch * l->in.c, l->in.h, l->in.w, l->kernel, l->stride,
                                l->pad, l->count_include_pad);
        return;
    }
    ref_avgpool_forward(in, out, batch * l->in.c, l->in.h, l->in.w, kh, kw, sh, sw);
}

static void avgpool_ref_backward(const layer *l, const float *in, const float *out,
                                 const int *aux, const float *dout, float *din, int batch)
{
    int kh, kw, sh, sw;
    (void)in, (void)out, (void)aux;
    avgpool_window(l, &kh, &kw, &sh, &sw);
    if (l->pad > 0) {
        ref_avgpool_pad_backward(dout, din, batch * l->in.c, l->in.h, l->in.w, l->kernel,
                                 l->stride, l->pad, l->count_include_pad);
        return;
    }
    ref_avgpool_backward(dout, din, batch * l->in.c, l->in.h, l->in.w, kh, kw, sh, sw);
}

const layer_ops layer_avgpool_ops = {
    .kind_name = "avgpool",
    .bwd_no_in = 1,
    .bwd_no_out = 1,
    .output_shape = avgpool_output_shape,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
    .ref_forward = avgpool_ref_forward,
    .ref_backward = avgpool_ref_backward,
};
