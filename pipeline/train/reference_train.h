/* Plain-C references of the training kernels and parameter gradients (the oracle for the
 * tests), written for clarity; sums in double where the kernels' order differs anyway. */
#ifndef CLCAM_REFERENCE_TRAIN_H
#define CLCAM_REFERENCE_TRAIN_H

#include <stdint.h>

/* dW [K, C, k, k] = sum over images and output positions of dout * the input it multiplied. */
void ref_conv2d_backward_weight(const float *in, const float *dout, float *dweight, int batch,
                                int C, int H, int W, int K, int kernel, int pad, int stride);
/* dW [out, in] = dout^T x in. */
void ref_linear_backward_weight(const float *in, const float *dout, float *dweight, int batch,
                                int in_f, int out_f);
/* db [C] = sum over n and p of dout [batch, C, HW]. */
void ref_bias_grad(const float *dout, float *db, int batch, int C, int HW);
void ref_softmax_xent(const float *logits, const int32_t *labels, float *dlogits, float *loss,
                      int32_t *correct, int batch, int classes);
void ref_sgd_step(float *w, const float *grad, float *buf, float lr, float momentum, float wd,
                  int nesterov, int n);
void ref_augment(const uint8_t *src, uint8_t *dst, const int32_t *index, uint32_t seed,
                 uint32_t epoch, int batch, int H, int W, int C, int pad, int flip);

/* Batch normalisation in training mode, x NCHW [batch, C, HW]: mean [C] and invstd [C] =
 * 1/sqrt(biased var + eps) of the batch, y the normalised output; running_mean and running_var
 * (may be NULL) updated by PyTorch's rule with the unbiased variance. */
void ref_bn_forward_train(const float *x, float *y, const float *gamma, const float *beta,
                          float *mean, float *invstd, float *running_mean, float *running_var,
                          int batch, int C, int HW, float eps, float momentum);
/* dgamma, dbeta [C] (sums over the batch) and dx from dy through the batch statistics. */
void ref_bn_backward(const float *x, const float *dy, const float *gamma, const float *mean,
                     const float *invstd, float *dx, float *dgamma, float *dbeta, int batch,
                     int C, int HW);

#endif
