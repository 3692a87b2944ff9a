/* Gradients for training. (1) Finite differences: each layer type's backward (data, and weight
 * and bias for conv and linear) through the plain-C references against central differences of
 * a double-precision forward written here, for L = sum(R * layer(x)) with random R, at tiny odd
 * sizes. (2) Device against reference: backward_params of conv and linear through LAYER_OPS,
 * the softmax cross-entropy head, the SGD step and the augmentation kernel. (3) Batch
 * normalisation in training mode: the references against finite differences and PyTorch's
 * running-statistics rule, the kernels against the references. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/ops_train.h"
#include "pipeline/model/layer.h"
#include "pipeline/train/reference_train.h"
#include "pipeline/train/train_rng.h"
#include "testutil.h"

static cl_ctx ctx;

/* ---- double-precision forwards, straight from the definitions ---- */

static double d_forward_sum(const layer *l, const double *x, const double *w, const double *b,
                            const float *R, int batch)
{
    layer_shape in = l->in, out = l->out;
    double L = 0.0;
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < out.c; c++)
            for (int oy = 0; oy < out.h; oy++)
                for (int ox = 0; ox < out.w; ox++) {
                    double y = 0.0;
                    const double *xn = x + (size_t)n * layer_shape_size(in);
                    switch (l->kind) {
                    case LAYER_CONV:
                        y = b[c];
                        for (int ci = 0; ci < in.c; ci++)
                            for (int ky = 0; ky < l->kernel; ky++)
                                for (int kx = 0; kx < l->kernel; kx++) {
                                    int iy = oy * l->stride + ky - l->pad, ix = ox * l->stride + kx - l->pad;
                                    if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                                    y += w[((c * in.c + ci) * l->kernel + ky) * l->kernel + kx] *
                                         xn[(ci * in.h + iy) * in.w + ix];
                                }
                        break;
                    case LAYER_LINEAR:
                        y = b[c];
                        for (int i = 0; i < in.c; i++) y += w[c * in.c + i] * xn[i];
                        break;
                    case LAYER_RELU: y = fmax(xn[(c * in.h + oy) * in.w + ox], 0.0); break;
                    case LAYER_FLATTEN: y = xn[c]; break;
                    case LAYER_MAXPOOL:
                    case LAYER_AVGPOOL: {
                        int kh = l->global_pool ? in.h : l->kernel, kw = l->global_pool ? in.w : l->kernel;
                        int s = l->global_pool ? 1 : l->stride;
                        y = l->kind == LAYER_MAXPOOL ? -INFINITY : 0.0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++) {
                                double v = xn[(c * in.h + oy * s + ky) * in.w + ox * s + kx];
                                y = l->kind == LAYER_MAXPOOL ? fmax(y, v) : y + v / (kh * kw);
                            }
                        break;
                    }
                    default: break;
                    }
                    L += (double)R[((n * out.c + c) * out.h + oy) * out.w + ox] * y;
                }
    return L;
}

/* max |a - fd| / (abs + rel |fd|) of the analytic a against central differences of L in v. */
static double fd_ratio(const layer *l, double *x, double *w, double *b, double *v, const float *a,
                       int n, const float *R, int batch, double tol_abs)
{
    double worst = 0.0, h = 1e-6;
    for (int i = 0; i < n; i++) {
        double keep = v[i], lp, lm, fd, r;
        v[i] = keep + h;
        lp = d_forward_sum(l, x, w, b, R, batch);
        v[i] = keep - h;
        lm = d_forward_sum(l, x, w, b, R, batch);
        v[i] = keep;
        fd = (lp - lm) / (2 * h);
        r = fabs(a[i] - fd) / (tol_abs + 1e-4 * fabs(fd));
        if (!(r <= worst)) worst = isnan(r) ? INFINITY : r;
    }
    return worst;
}

static void check_fd(layer_kind kind, layer_shape in, int kernel, int stride, int pad, int outf,
                     int global_pool, int batch)
{
    layer l = {.kind = kind, .in = in, .kernel = kernel, .stride = stride, .pad = pad,
               .out_features = outf, .global_pool = global_pool};
    const layer_ops *ops = LAYER_OPS[kind];
    clcam_err err = {0};
    unsigned seed = 1234u + (unsigned)kind * 7u;
    size_t ni, no;
    float *x, *y, *R, *dx, *dw = NULL, *db = NULL;
    double *xd, *wd = NULL, *bd = NULL;
    int *aux;
    snprintf(l.name, sizeof l.name, "%s_fd", ops->kind_name);
    CHECK(ops->output_shape(&l, &err) == CLCAM_OK, "%s", err.msg);
    ni = (size_t)batch * layer_shape_size(l.in);
    no = (size_t)batch * layer_shape_size(l.out);
    x = malloc(sizeof(float) * ni), dx = malloc(sizeof(float) * ni), xd = malloc(sizeof(double) * ni);
    y = malloc(sizeof(float) * no), R = malloc(sizeof(float) * no), aux = malloc(sizeof(int) * no);
    /* inputs away from ReLU's kink and from max-pool ties: distinct values, |x| >= 0.05 */
    test_fill_uniform(x, ni, -1.0f, 1.0f, &seed);
    for (size_t i = 0; i < ni; i++) {
        x[i] += (float)i * 1e-4f;
        if (fabsf(x[i]) < 0.05f) x[i] = x[i] < 0 ? -0.05f - (float)i * 1e-4f : 0.05f + (float)i * 1e-4f;
        xd[i] = x[i];
    }
    test_fill_uniform(R, no, -1.0f, 1.0f, &seed);
    if (kind == LAYER_CONV || kind == LAYER_LINEAR) {
        l.n_weight = outf * in.c * (kind == LAYER_CONV ? kernel * kernel : 1);
        l.n_bias = outf;
        l.weight = malloc(sizeof(float) * l.n_weight), l.bias = malloc(sizeof(float) * l.n_bias);
        dw = malloc(sizeof(float) * l.n_weight), db = malloc(sizeof(float) * l.n_bias);
        wd = malloc(sizeof(double) * l.n_weight), bd = malloc(sizeof(double) * l.n_bias);
        test_fill_uniform(l.weight, (size_t)l.n_weight, -0.5f, 0.5f, &seed);
        test_fill_uniform(l.bias, (size_t)l.n_bias, -0.5f, 0.5f, &seed);
        for (int i = 0; i < l.n_weight; i++) wd[i] = l.weight[i];
        for (int i = 0; i < l.n_bias; i++) bd[i] = l.bias[i];
    }
    ops->ref_forward(&l, x, y, aux, batch);
    ops->ref_backward(&l, x, y, aux, R, dx, batch);
    CHECK(fd_ratio(&l, xd, wd, bd, xd, dx, (int)ni, R, batch, 1e-4) <= 1.0, "%s: d/dx vs finite differences",
          l.name);
    if (ops->ref_backward_params) {
        ops->ref_backward_params(&l, x, R, dw, db, batch);
        CHECK(fd_ratio(&l, xd, wd, bd, wd, dw, l.n_weight, R, batch, 1e-4) <= 1.0,
              "%s: d/dweight vs finite differences", l.name);
        CHECK(fd_ratio(&l, xd, wd, bd, bd, db, l.n_bias, R, batch, 1e-4) <= 1.0,
              "%s: d/dbias vs finite differences", l.name);
    }
    layer_free(&l);
    free(x), free(y), free(R), free(dx), free(dw), free(db), free(xd), free(wd), free(bd), free(aux);
}

/* backward_params on the device against ref_backward_params. */
static void check_params_device(layer_kind kind, layer_shape in, int kernel, int stride, int pad,
                                int outf, int batch)
{
    layer l = {.kind = kind, .in = in, .kernel = kernel, .stride = stride, .pad = pad, .out_features = outf};
    const layer_ops *ops = LAYER_OPS[kind];
    clcam_err err = {0};
    unsigned seed = 99u + (unsigned)batch;
    cl_mem d_in = NULL, d_dout = NULL, d_dw = NULL, d_db = NULL;
    size_t ni, no, worst;
    float *x, *dy, *dw, *db, *dw_ref, *db_ref;
    snprintf(l.name, sizeof l.name, "%s_params", ops->kind_name);
    CHECK(ops->output_shape(&l, &err) == CLCAM_OK, "%s", err.msg);
    ni = (size_t)batch * layer_shape_size(l.in);
    no = (size_t)batch * layer_shape_size(l.out);
    l.n_weight = outf * in.c * (kind == LAYER_CONV ? kernel * kernel : 1);
    l.n_bias = outf;
    l.weight = calloc((size_t)l.n_weight, sizeof(float));
    l.bias = calloc((size_t)l.n_bias, sizeof(float));
    x = malloc(sizeof(float) * ni), dy = malloc(sizeof(float) * no);
    dw = malloc(sizeof(float) * (l.n_weight + 1)), dw_ref = malloc(sizeof(float) * l.n_weight);
    db = malloc(sizeof(float) * (l.n_bias + 1)), db_ref = malloc(sizeof(float) * l.n_bias);
    test_fill_uniform(x, ni, -1.0f, 1.0f, &seed);
    test_fill_uniform(dy, no, -1.0f, 1.0f, &seed);
    dw[l.n_weight] = db[l.n_bias] = 12345.0f; /* canaries */
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * ni, &d_in, "in", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * no, &d_dout, "dout", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * l.n_weight, &d_dw, "dw", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * l.n_bias, &d_db, "db", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_in, x, sizeof(float) * ni, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_dout, dy, sizeof(float) * no, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(layer_upload(&ctx, &l, batch, d_in, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(ops->backward_params(&ctx, &l, d_in, d_dout, d_dw, d_db, batch, &err) == CLCAM_OK, "%s: %s",
          l.name, err.msg);
    CHECK(cl_ctx_download(&ctx, d_dw, dw, sizeof(float) * l.n_weight, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_download(&ctx, d_db, db, sizeof(float) * l.n_bias, &err) == CLCAM_OK, "%s", err.msg);
    ops->ref_backward_params(&l, x, dy, dw_ref, db_ref, batch);
    /* sums of batch*OH*OW products of values in [-1, 1]: absolute floor grows with their count */
    double tol = 1e-6 * (double)no / outf;
    CHECK(test_tol_ratio(dw, dw_ref, (size_t)l.n_weight, tol, 1e-5, &worst) <= 1.0,
          "%s batch %d dweight: got %g want %g at %zu", l.name, batch, (double)dw[worst], (double)dw_ref[worst], worst);
    CHECK(test_tol_ratio(db, db_ref, (size_t)l.n_bias, tol, 1e-5, &worst) <= 1.0,
          "%s batch %d dbias: got %g want %g at %zu", l.name, batch, (double)db[worst], (double)db_ref[worst], worst);
    CHECK(dw[l.n_weight] == 12345.0f && db[l.n_bias] == 12345.0f, "%s: canary", l.name);
    clReleaseMemObject(d_in), clReleaseMemObject(d_dout), clReleaseMemObject(d_dw), clReleaseMemObject(d_db);
    layer_free(&l);
    free(x), free(dy), free(dw), free(db), free(dw_ref), free(db_ref);
}

/* The loss head: device vs reference, and the reference's gradient vs finite differences of
 * the mean loss in double. */
static void check_xent(int batch, int classes)
{
    clcam_err err = {0};
    unsigned seed = 5u + (unsigned)batch;
    size_t n = (size_t)batch * classes, worst;
    float *x = malloc(sizeof(float) * n), *g = malloc(sizeof(float) * n), *g_ref = malloc(sizeof(float) * n);
    float *loss = malloc(sizeof(float) * batch), *loss_ref = malloc(sizeof(float) * batch);
    int32_t *lab = malloc(sizeof(int32_t) * batch), *cor = malloc(sizeof(int32_t) * batch),
            *cor_ref = malloc(sizeof(int32_t) * batch);
    cl_mem d_x = NULL, d_lab = NULL, d_g = NULL, d_loss = NULL, d_cor = NULL;
    test_fill_uniform(x, n, -4.0f, 4.0f, &seed);
    for (int i = 0; i < batch; i++) lab[i] = (int32_t)((unsigned)(i * 7 + 3) % (unsigned)classes);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * n, &d_x, "x", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * n, &d_g, "g", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(int32_t) * batch, &d_lab, "lab", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * batch, &d_loss, "loss", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(int32_t) * batch, &d_cor, "cor", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_x, x, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_lab, lab, sizeof(int32_t) * batch, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(op_softmax_xent(&ctx, d_x, d_lab, d_g, d_loss, d_cor, batch, classes, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_download(&ctx, d_g, g, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_download(&ctx, d_loss, loss, sizeof(float) * batch, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_download(&ctx, d_cor, cor, sizeof(int32_t) * batch, &err) == CLCAM_OK, "%s", err.msg);
    ref_softmax_xent(x, lab, g_ref, loss_ref, cor_ref, batch, classes);
    CHECK(test_tol_ratio(g, g_ref, n, 1e-7, 1e-5, &worst) <= 1.0, "xent grad: %g vs %g at %zu",
          (double)g[worst], (double)g_ref[worst], worst);
    CHECK(test_tol_ratio(loss, loss_ref, (size_t)batch, 1e-6, 1e-5, &worst) <= 1.0, "xent loss: %g vs %g",
          (double)loss[worst], (double)loss_ref[worst]);
    CHECK(memcmp(cor, cor_ref, sizeof(int32_t) * batch) == 0, "xent correct flags");
    {   /* finite differences of the mean loss, in double */
        double worst_r = 0.0, h = 1e-6;
        for (size_t i = 0; i < n; i++) {
            double lp = 0, lm = 0;
            for (int s = 0; s < 2; s++) {
                double tot = 0.0;
                for (int b = 0; b < batch; b++) {
                    double m = -INFINITY, sum = 0.0, xy = 0.0;
                    for (int j = 0; j < classes; j++) {
                        double v = x[b * classes + j] + ((size_t)(b * classes + j) == i ? (s ? -h : h) : 0.0);
                        m = fmax(m, v);
                    }
                    for (int j = 0; j < classes; j++) {
                        double v = x[b * classes + j] + ((size_t)(b * classes + j) == i ? (s ? -h : h) : 0.0);
                        sum += exp(v - m);
                        if (j == lab[b]) xy = v;
                    }
                    tot += m + log(sum) - xy;
                }
                *(s ? &lm : &lp) = tot / batch;
            }
            double fd = (lp - lm) / (2 * h), r = fabs(g_ref[i] - fd) / (1e-6 + 1e-4 * fabs(fd));
            if (!(r <= worst_r)) worst_r = r;
        }
        CHECK(worst_r <= 1.0, "xent gradient vs finite differences: ratio %g", worst_r);
    }
    clReleaseMemObject(d_x), clReleaseMemObject(d_g), clReleaseMemObject(d_lab), clReleaseMemObject(d_loss),
        clReleaseMemObject(d_cor);
    free(x), free(g), free(g_ref), free(loss), free(loss_ref), free(lab), free(cor), free(cor_ref);
}

/* Three SGD steps on the device against the reference: bitwise (same operations, no fma). */
static void check_sgd(int n, int nesterov, float wd)
{
    clcam_err err = {0};
    unsigned seed = 17u + (unsigned)n;
    float *w = malloc(sizeof(float) * n), *g = malloc(sizeof(float) * n), *buf = calloc((size_t)n, sizeof(float));
    float *w_dev = malloc(sizeof(float) * n), *buf_dev = malloc(sizeof(float) * n);
    cl_mem d_w = NULL, d_g = NULL, d_buf = NULL;
    test_fill_uniform(w, (size_t)n, -1.0f, 1.0f, &seed);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * n, &d_w, "w", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * n, &d_g, "g", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * n, &d_buf, "buf", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_w, w, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_buf, buf, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
    for (int step = 0; step < 3; step++) {
        float lr = 0.05f / (float)(step + 1);
        test_fill_uniform(g, (size_t)n, -1.0f, 1.0f, &seed);
        CHECK(cl_ctx_upload(&ctx, d_g, g, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(op_sgd_step(&ctx, d_w, d_g, d_buf, lr, 0.9f, wd, nesterov, n, &err) == CLCAM_OK, "%s", err.msg);
        ref_sgd_step(w, g, buf, lr, 0.9f, wd, nesterov, n);
    }
    CHECK(cl_ctx_download(&ctx, d_w, w_dev, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_download(&ctx, d_buf, buf_dev, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(memcmp(w, w_dev, sizeof(float) * n) == 0 && memcmp(buf, buf_dev, sizeof(float) * n) == 0,
          "sgd n=%d nesterov=%d: device differs from the reference", n, nesterov);
    {   /* the first step by hand: buf = g + wd w; w -= lr (g' + 0.9 buf) */
        float w0 = 0.5f, g0 = 0.25f, b0 = 0.0f;
        ref_sgd_step(&w0, &g0, &b0, 0.1f, 0.9f, 0.01f, 1, 1);
        float gg = 0.25f + 0.01f * 0.5f;
        CHECK(b0 == gg && w0 == 0.5f - 0.1f * (gg + 0.9f * gg), "sgd first step by hand: %g", (double)w0);
    }
    clReleaseMemObject(d_w), clReleaseMemObject(d_g), clReleaseMemObject(d_buf);
    free(w), free(g), free(buf), free(w_dev), free(buf_dev);
}

static void check_augment(int batch, int H, int W, int pad, int flip)
{
    clcam_err err = {0};
    size_t n = (size_t)batch * H * W * 3;
    uint8_t *src = malloc(n), *dst = malloc(n), *ref = malloc(n);
    int32_t *idx = malloc(sizeof(int32_t) * batch);
    cl_mem d_src = NULL, d_dst = NULL, d_idx = NULL;
    int flips = 0;
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(1 + i % 251);
    for (int i = 0; i < batch; i++) idx[i] = 1000 + 3 * i;
    CHECK(cl_ctx_alloc(&ctx, n, &d_src, "src", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, n, &d_dst, "dst", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(int32_t) * batch, &d_idx, "idx", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_src, src, n, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d_idx, idx, sizeof(int32_t) * batch, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(op_augment(&ctx, d_src, d_dst, d_idx, 7u, 2u, batch, H, W, 3, pad, flip, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_download(&ctx, d_dst, dst, n, &err) == CLCAM_OK, "%s", err.msg);
    ref_augment(src, ref, idx, 7u, 2u, batch, H, W, 3, pad, flip);
    CHECK(memcmp(dst, ref, n) == 0, "augment %dx%d pad %d flip %d: device differs", H, W, pad, flip);
    for (int i = 0; i < batch; i++) {
        int dy, dx, f;
        train_augment_params(7u, 2u, (uint32_t)idx[i], pad, flip, &dy, &dx, &f);
        CHECK(dy >= -pad && dy <= pad && dx >= -pad && dx <= pad, "crop offsets in range");
        flips += f;
    }
    CHECK(flip ? flips > 0 && flips < batch : flips == 0, "flips %d of %d", flips, batch);
    clReleaseMemObject(d_src), clReleaseMemObject(d_dst), clReleaseMemObject(d_idx);
    free(src), free(dst), free(ref), free(idx);
}

/* ---- batch normalisation in training mode ---- */

/* sum(R * bn_train(x)) in double, statistics from the batch (biased variance). */
static double d_bn_sum(const double *x, const double *g, const double *b, const float *R,
                       int batch, int C, int HW, double eps)
{
    double L = 0.0, m = (double)batch * HW;
    for (int c = 0; c < C; c++) {
        double s = 0.0, ss = 0.0, mu;
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) s += x[(n * C + c) * HW + p];
        mu = s / m;
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) ss += (x[(n * C + c) * HW + p] - mu) * (x[(n * C + c) * HW + p] - mu);
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < HW; p++) {
                int i = (n * C + c) * HW + p;
                L += (double)R[i] * ((x[i] - mu) / sqrt(ss / m + eps) * g[c] + b[c]);
            }
    }
    return L;
}

static double bn_fd_ratio(double *x, double *g, double *b, double *v, const float *a, int n,
                          const float *R, int batch, int C, int HW, double eps)
{
    double worst = 0.0, h = 1e-6;
    for (int i = 0; i < n; i++) {
        double keep = v[i], lp, lm, fd, r;
        v[i] = keep + h;
        lp = d_bn_sum(x, g, b, R, batch, C, HW, eps);
        v[i] = keep - h;
        lm = d_bn_sum(x, g, b, R, batch, C, HW, eps);
        v[i] = keep;
        fd = (lp - lm) / (2 * h);
        r = fabs(a[i] - fd) / (1e-4 + 1e-4 * fabs(fd));
        if (!(r <= worst)) worst = isnan(r) ? INFINITY : r;
    }
    return worst;
}

/* The reference's dx, dgamma, dbeta against finite differences; its running statistics against
 * PyTorch's rule written out by hand. */
static void check_bn_fd(int batch, int C, int HW)
{
    unsigned seed = 77u + (unsigned)(batch * 31 + C * 7 + HW);
    size_t n = (size_t)batch * C * HW;
    float eps = 1e-5f;
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n), *R = malloc(sizeof(float) * n),
          *dx = malloc(sizeof(float) * n);
    float g[8], b[8], mean[8], invstd[8], dg[8], db[8], rm[8], rv[8];
    double *xd = malloc(sizeof(double) * n), gd[8], bd[8];
    test_fill_uniform(x, n, -1.0f, 2.0f, &seed);
    test_fill_uniform(R, n, -1.0f, 1.0f, &seed);
    test_fill_uniform(g, (size_t)C, 0.5f, 1.5f, &seed);
    test_fill_uniform(b, (size_t)C, -0.5f, 0.5f, &seed);
    for (size_t i = 0; i < n; i++) xd[i] = x[i];
    for (int c = 0; c < C; c++) gd[c] = g[c], bd[c] = b[c], rm[c] = 0.25f, rv[c] = 2.0f;
    ref_bn_forward_train(x, y, g, b, mean, invstd, rm, rv, batch, C, HW, eps, 0.1f);
    ref_bn_backward(x, R, g, mean, invstd, dx, dg, db, batch, C, HW);
    CHECK(bn_fd_ratio(xd, gd, bd, xd, dx, (int)n, R, batch, C, HW, eps) <= 1.0,
          "bn %dx%dx%d: d/dx vs finite differences", batch, C, HW);
    CHECK(bn_fd_ratio(xd, gd, bd, gd, dg, C, R, batch, C, HW, eps) <= 1.0,
          "bn %dx%dx%d: d/dgamma vs finite differences", batch, C, HW);
    CHECK(bn_fd_ratio(xd, gd, bd, bd, db, C, R, batch, C, HW, eps) <= 1.0,
          "bn %dx%dx%d: d/dbeta vs finite differences", batch, C, HW);
    for (int c = 0; c < C; c++) {
        double s = 0.0, ss = 0.0, m = (double)batch * HW;
        for (int i = 0; i < batch; i++)
            for (int p = 0; p < HW; p++) s += x[(i * C + c) * HW + p];
        for (int i = 0; i < batch; i++)
            for (int p = 0; p < HW; p++) ss += pow(x[(i * C + c) * HW + p] - s / m, 2);
        CHECK(fabs(rm[c] - (0.9 * 0.25 + 0.1 * s / m)) <= 1e-6, "bn running_mean[%d]", c);
        CHECK(fabs(rv[c] - (0.9 * 2.0 + 0.1 * ss / (m - 1))) <= 1e-6, "bn running_var[%d] (unbiased)", c);
    }
    free(x), free(y), free(R), free(dx), free(xd);
}

/* The four kernels on the device against the references, twice in a row (running stats). */
static void check_bn_device(int batch, int C, int HW)
{
    clcam_err err = {0};
    unsigned seed = 3u + (unsigned)(batch * 13 + C + HW);
    size_t n = (size_t)batch * C * HW, worst;
    size_t vb = sizeof(float) * (size_t)C;
    float *x = malloc(sizeof(float) * n), *dy = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n),
          *dx = malloc(sizeof(float) * n), *y_ref = malloc(sizeof(float) * n), *dx_ref = malloc(sizeof(float) * n);
    float *v = malloc(vb * 12), *g = v, *b = v + C, *mean = v + 2 * C, *invstd = v + 3 * C, *rm = v + 4 * C,
          *rv = v + 5 * C, *dg = v + 6 * C, *db = v + 7 * C, *rm_dev = v + 8 * C, *rv_dev = v + 9 * C,
          *dg_dev = v + 10 * C, *db_dev = v + 11 * C;
    cl_mem d[11] = {NULL};
    const char *names[11] = {"x", "y", "dy", "dx", "gamma", "beta", "mean", "invstd", "rm", "rv", "dgamma"};
    test_fill_uniform(g, (size_t)C, 0.5f, 1.5f, &seed);
    test_fill_uniform(b, (size_t)C, -0.5f, 0.5f, &seed);
    for (int c = 0; c < C; c++) rm[c] = 0.0f, rv[c] = 1.0f;
    for (int i = 0; i < 11; i++)
        CHECK(cl_ctx_alloc(&ctx, i < 4 ? sizeof(float) * n : vb, &d[i], names[i], &err) ==
                  CLCAM_OK, "%s", err.msg);
    cl_mem d_dg = d[10], d_db = NULL;
    CHECK(cl_ctx_alloc(&ctx, vb, &d_db, "dbeta", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d[4], g, vb, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d[5], b, vb, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d[8], rm, vb, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_upload(&ctx, d[9], rv, vb, &err) == CLCAM_OK, "%s", err.msg);
    for (int step = 0; step < 2; step++) {
        test_fill_uniform(x, n, -1.0f + step, 2.0f + step, &seed);
        test_fill_uniform(dy, n, -1.0f, 1.0f, &seed);
        CHECK(cl_ctx_upload(&ctx, d[0], x, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_upload(&ctx, d[2], dy, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(op_bn_stats(&ctx, d[0], d[6], d[7], d[8], d[9], batch, C, HW, 1e-5f, 0.1f, 1, &err) == CLCAM_OK,
              "%s", err.msg);
        CHECK(op_bn_forward(&ctx, d[0], d[1], d[6], d[7], d[4], d[5], batch, C, HW, &err) == CLCAM_OK, "%s",
              err.msg);
        CHECK(op_bn_backward_params(&ctx, d[0], d[2], d[6], d[7], d_dg, d_db, batch, C, HW, &err) == CLCAM_OK,
              "%s", err.msg);
        CHECK(op_bn_backward_data(&ctx, d[0], d[2], d[3], d[6], d[7], d[4], d_dg, d_db, batch, C, HW, &err) ==
                  CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_download(&ctx, d[1], y, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_download(&ctx, d[3], dx, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_download(&ctx, d[8], rm_dev, vb, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_download(&ctx, d[9], rv_dev, vb, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_download(&ctx, d_dg, dg_dev, vb, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_download(&ctx, d_db, db_dev, vb, &err) == CLCAM_OK, "%s", err.msg);
        ref_bn_forward_train(x, y_ref, g, b, mean, invstd, rm, rv, batch, C, HW, 1e-5f, 0.1f);
        ref_bn_backward(x, dy, g, mean, invstd, dx_ref, dg, db, batch, C, HW);
        /* float sums of batch*HW values against double: floors scale with the count */
        double tol = 1e-6 * (double)batch * HW;
        CHECK(test_tol_ratio(y, y_ref, n, 1e-5, 1e-5, &worst) <= 1.0, "bn %dx%dx%d y: %g vs %g at %zu", batch, C,
              HW, (double)y[worst], (double)y_ref[worst], worst);
        CHECK(test_tol_ratio(dx, dx_ref, n, 1e-5, 1e-4, &worst) <= 1.0, "bn %dx%dx%d dx: %g vs %g at %zu", batch,
              C, HW, (double)dx[worst], (double)dx_ref[worst], worst);
        CHECK(test_tol_ratio(dg_dev, dg, (size_t)C, tol, 1e-5, &worst) <= 1.0, "bn dgamma: %g vs %g",
              (double)dg_dev[worst], (double)dg[worst]);
        CHECK(test_tol_ratio(db_dev, db, (size_t)C, tol, 1e-5, &worst) <= 1.0, "bn dbeta: %g vs %g",
              (double)db_dev[worst], (double)db[worst]);
        CHECK(test_tol_ratio(rm_dev, rm, (size_t)C, 1e-6, 1e-5, &worst) <= 1.0, "bn running_mean step %d: %g vs %g",
              step, (double)rm_dev[worst], (double)rm[worst]);
        CHECK(test_tol_ratio(rv_dev, rv, (size_t)C, 1e-6, 1e-5, &worst) <= 1.0, "bn running_var step %d: %g vs %g",
              step, (double)rv_dev[worst], (double)rv[worst]);
    }
    {   /* eval mode: the running statistics normalise, and stay as they are */
        CHECK(op_bn_running(&ctx, d[8], d[9], d[6], d[7], C, 1e-5f, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(op_bn_forward(&ctx, d[0], d[1], d[6], d[7], d[4], d[5], batch, C, HW, &err) == CLCAM_OK, "%s",
              err.msg);
        CHECK(cl_ctx_download(&ctx, d[1], y, sizeof(float) * n, &err) == CLCAM_OK, "%s", err.msg);
        for (size_t i = 0; i < n; i++) {
            int c = (int)(i / (size_t)HW % (size_t)C);
            y_ref[i] = (float)((x[i] - (double)rm[c]) / sqrt((double)rv[c] + 1e-5) * g[c] + b[c]);
        }
        CHECK(test_tol_ratio(y, y_ref, n, 1e-5, 1e-5, &worst) <= 1.0, "bn eval %dx%dx%d y: %g vs %g at %zu", batch,
              C, HW, (double)y[worst], (double)y_ref[worst], worst);
    }
    {   /* one value per channel has no batch variance: refused, as PyTorch refuses it */
        clcam_err e2 = {0};
        CHECK(op_bn_stats(&ctx, d[0], d[6], d[7], d[8], d[9], 1, C, 1, 1e-5f, 0.1f, 1, &e2) != CLCAM_OK,
              "bn stats of one value per channel refused");
    }
    for (int i = 0; i < 11; i++) clReleaseMemObject(d[i]);
    clReleaseMemObject(d_db);
    free(x), free(dy), free(y), free(dx), free(y_ref), free(dx_ref), free(v);
}

int main(void)
{
    clcam_err err = {0};
    for (int batch = 1; batch <= 2; batch++) {
        check_fd(LAYER_CONV, (layer_shape){2, 5, 7}, 3, 1, 1, 3, 0, batch);
        check_fd(LAYER_CONV, (layer_shape){3, 7, 5}, 3, 2, 1, 2, 0, batch);
        check_fd(LAYER_LINEAR, (layer_shape){7, 1, 1}, 0, 0, 0, 5, 0, batch);
        check_fd(LAYER_RELU, (layer_shape){3, 5, 3}, 0, 0, 0, 0, 0, batch);
        check_fd(LAYER_MAXPOOL, (layer_shape){2, 7, 5}, 2, 2, 0, 0, 0, batch);
        check_fd(LAYER_MAXPOOL, (layer_shape){2, 7, 7}, 3, 2, 0, 0, 0, batch);
        check_fd(LAYER_AVGPOOL, (layer_shape){2, 7, 5}, 2, 2, 0, 0, 0, batch);
        check_fd(LAYER_AVGPOOL, (layer_shape){3, 3, 5}, 0, 0, 0, 0, 1, batch);
        check_fd(LAYER_FLATTEN, (layer_shape){2, 3, 3}, 0, 0, 0, 0, 0, batch);
    }
    check_bn_fd(1, 3, 5);
    check_bn_fd(3, 2, 1);
    check_bn_fd(2, 5, 7);
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "cannot open an OpenCL device: %s\n", err.msg);
        return 1;
    }
    test_check_engine(ctx.gemm_own);
    for (int batch = 1; batch <= 5; batch += 4) {
        check_params_device(LAYER_CONV, (layer_shape){3, 7, 9}, 3, 1, 1, 5, batch);
        check_params_device(LAYER_CONV, (layer_shape){2, 9, 7}, 3, 2, 0, 3, batch);
        check_params_device(LAYER_LINEAR, (layer_shape){37, 1, 1}, 0, 0, 0, 11, batch);
    }
    /* conv weight gradient on our GEMM: C*k*k = 180 in 12 panels of im2col_tpacked, 17 rows
     * (two whole GEMM row blocks and one short one), OH*OW = 64 (whole 16-value runs) */
    check_params_device(LAYER_CONV, (layer_shape){20, 8, 8}, 3, 1, 1, 17, 3);
    check_xent(1, 10);
    check_xent(7, 3);
    check_sgd(1, 1, 5e-4f);
    check_sgd(1001, 1, 5e-4f);
    check_sgd(333, 0, 0.0f);
    check_augment(9, 7, 5, 2, 1);
    check_augment(3, 6, 6, 0, 0);
    check_bn_device(1, 3, 5);
    check_bn_device(3, 5, 7);
    check_bn_device(5, 7, 63);
    cl_ctx_free(&ctx);
    return test_finish("test_train_grad");
}
