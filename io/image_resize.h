/* torchvision's Resize and CenterCrop on PIL images, in C: Pillow's antialiased bilinear
 * resampling with its fixed-point arithmetic, so the pixels match Pillow's (bitwise where
 * the decoded input matches). */
#ifndef CLCAM_IMAGE_RESIZE_H
#define CLCAM_IMAGE_RESIZE_H

#include <stdint.h>

#include "../base/error.h"

/* torchvision's Resize(s) size rule: the shorter side to s, the longer to
 * int(s * long / short) (truncated, as torchvision 0.14 computes it). */
void image_resize_shorter_dims(int w, int h, int s, int *out_w, int *out_h);

/* Pillow's Image.resize((ow, oh), BILINEAR) of an RGB image (rows of w pixels, 3 bytes each):
 * a triangle filter whose support grows with the reduction, horizontal pass first, 22-bit
 * fixed-point coefficients, the sums rounded and clipped to 0..255. out holds ow * oh * 3
 * bytes. Only CLCAM_ERR_NOMEM can fail. */
clcam_status image_resize_bilinear(const uint8_t *in, int w, int h, uint8_t *out, int ow, int oh,
                                   clcam_err *err);

/* torchvision's CenterCrop: top = round((h - ch) / 2) with Python's round (half to even),
 * left likewise; needs ch <= h and cw <= w. */
void image_center_crop(const uint8_t *in, int w, int h, uint8_t *out, int cw, int ch);

#endif
