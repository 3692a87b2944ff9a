/* Plain-C references of every kernel: the oracle for selftest and the tests.
 * Written for clarity, same conventions and summation order as the kernels. */
#ifndef CLCAM_REFERENCE_H
#define CLCAM_REFERENCE_H

#include <stdint.h>

void ref_preprocess(const uint8_t *src, float *dst, const float *mean, const float *std,
                    float scale, int batch, int C, int HW);
void ref_conv2d(const float *in, const float *weight, const float *bias, float *out, int batch,
                int C, int H, int W, int K, int kernel, int pad, int stride);
/* dX = dLoss/d(in) of ref_conv2d from dY = dLoss/d(out), by scatter: each output's gradient
 * times each weight is added to the input it read (the kernels gather instead). */
void ref_conv2d_backward_data(const float *dout, const float *weight, float *din, int batch,
                              int C, int H, int W, int K, int kernel, int pad, int stride);
void ref_linear(const float *in, const float *weight, const float *bias, float *out, int batch,
                int in_f, int out_f);
/* dX[n, i] = sum_o dY[n, o] * W[o, i]. */
void ref_linear_backward(const float *dout, const float *weight, float *din, int batch,
                         int in_f, int out_f);
void ref_relu_forward(const float *in, float *out, int n);
void ref_relu_backward(const float *out, const float *dout, float *din, int n);
void ref_add_inplace(float *acc, const float *x, int n);
void ref_concat_copy(const float *in, float *out, int batch, int chunk, int total, int offset);
void ref_concat_slice(const float *out, float *in, int batch, int chunk, int total, int offset);
void ref_maxpool_forward(const float *in, float *out, int *argmax, int planes, int H, int W,
                         int K, int S);
void ref_maxpool_backward(const float *dout, const int *argmax, float *din, int planes, int H,
                          int W, int K, int S);
void ref_avgpool_forward(const float *in, float *out, int planes, int H, int W, int KH, int KW,
                         int SH, int SW);
/* Scatter form: each window's gradient / (KH*KW) added to its inputs. */
void ref_avgpool_backward(const float *dout, float *din, int planes, int H, int W, int KH, int KW,
                          int SH, int SW);
void ref_softmax(const float *logits, float *probs, int batch, int classes);
/* As the select_targets kernel; top-k (mode 3) by sorting indices, an independent method. */
void ref_select_targets(const float *logits, const int *labels, int *pred, int *targets,
                        int batch, int classes, int mode, int cls, int T);
void ref_onehot_rank(const int *targets, float *dlogits, int batch, int classes, int T, int rank);
void ref_gradcam_weights(const float *dA, float *w, int batch, int K, int HW);
void ref_cam_weighted_relu(const float *A, const float *w, float *raw, int batch, int K, int HW);
void ref_cam_upsample(const float *raw, float *up, int batch, int h, int w, int H, int W);
/* cam [batch, T, HW] at rank. */
void ref_cam_normalise(const float *up, float *cam, int batch, int HW, int T, int rank);

/* The CAM methods (pipeline/cam/reference_cam.c). */
void ref_gradcampp_weights(const float *A, const float *G, float *w, int batch, int K, int HW);
void ref_xgradcam_weights(const float *A, const float *G, float *w, int batch, int K, int HW);
/* mode 0 HiResCAM, 1 LayerCAM, 2 Grad-CAM element-wise. */
void ref_cam_elementwise_relu(const float *A, const float *G, float *raw, int batch, int K,
                              int HW, int mode);
/* The whole EigenCAM raw map with `squarings` squarings and iters power steps, as the
 * kernels. */
void ref_eigencam(const float *A, float *raw, int batch, int K, int HW, int squarings, int iters);
void ref_scorecam_minmax(const float *A, float *mm, int batch, int K, int h, int w, int H, int W);
void ref_scorecam_mask_input(const float *input, const float *A, const float *mm, float *masked,
                             int C, int K, int h, int w, int H, int W, int first, int count);
void ref_scorecam_weights(const float *logits, const int *targets, float *w, int batch, int K,
                          int classes, int T, int rank);
/* The baseline maps (pipeline/cam/reference_baseline.c), [batch, H, W] as
 * cl/kernels/baseline.cl: random from (seed, index[b], pixel); sobel of uint8 NHWC images,
 * C 1 or 3. */
uint32_t ref_baseline_hash3(uint32_t a, uint32_t b, uint32_t c);
void ref_baseline_random(const int32_t *index, uint32_t seed, float *out, int batch, int HW);
void ref_baseline_sobel(const uint8_t *images, float *out, int batch, int H, int W, int C);

/* The layers graph models brought in (pipeline/model/reference_layers.c). G groups: weight
 * [K, C/G, k, k]. */
void ref_conv2d_grouped(const float *in, const float *weight, const float *bias, float *out,
                        int batch, int C, int H, int W, int K, int G, int k, int pad, int stride);
void ref_conv2d_grouped_backward_data(const float *dout, const float *weight, float *din,
                                      int batch, int C, int H, int W, int K, int G, int k,
                                      int pad, int stride);
/* Hardtanh's backward (ReLU6): the gradient passes where lo < x < hi. */
void ref_clip_forward(const float *in, float *out, float lo, float hi, int n);
void ref_clip_backward(const float *in, const float *dout, float *din, float lo, float hi, int n);
/* pads: top, left, bottom, right. */
void ref_pad_forward(const float *in, float *out, int planes, int H, int W, const int pads[4]);
void ref_pad_backward(const float *dout, float *din, int planes, int H, int W, const int pads[4]);
void ref_maxpool_pad_forward(const float *in, float *out, int *argmax, int planes, int H, int W,
                             int K, int S, int P);
void ref_maxpool_pad_backward(const float *dout, const int *argmax, float *din, int planes,
                              int H, int W, int K, int S, int P);
void ref_avgpool_pad_forward(const float *in, float *out, int planes, int H, int W, int K, int S,
                             int P, int include_pad);
void ref_avgpool_pad_backward(const float *dout, float *din, int planes, int H, int W, int K,
                              int S, int P, int include_pad);
/* Eval-mode batchnorm with the running statistics, and its backward pass dy * gamma / sqrt(var
 * + eps). */
void ref_bn_eval_forward(const float *x, float *y, const float *gamma, const float *beta,
                         const float *mean, const float *var, float eps, int batch, int C, int HW);
void ref_bn_eval_backward(const float *dy, float *dx, const float *gamma, const float *var,
                          float eps, int batch, int C, int HW);

#endif
