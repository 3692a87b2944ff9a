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

#endif
