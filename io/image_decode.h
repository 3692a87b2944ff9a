/* JPEG and PNG files to 8-bit RGB, as Pillow's Image.open(path).convert("RGB") gives them. */
#ifndef CLCAM_IMAGE_DECODE_H
#define CLCAM_IMAGE_DECODE_H

#include <stdint.h>

#include "../base/error.h"

/* Limits checked on the header, before any pixel memory is allocated. */
#define IMAGE_MAX_SIDE 32768
#define IMAGE_MAX_PIXELS (1L << 28) /* 268 M pixels, 805 MB as RGB */

typedef struct {
    int w, h;
    uint8_t *rgb; /* h rows of w pixels, R G B bytes; malloc'd, free with image_rgb_free */
} image_rgb;

/* Decodes the file at path (JPEG or PNG, told by its first bytes, not its name): grayscale
 * replicated, palette looked up (transparency ignored), alpha dropped without compositing,
 * CMYK/YCCK JPEG as Pillow converts it, 16-bit PNG channels by their high byte except 16-bit
 * grayscale without alpha, which Pillow opens as mode I and clips to 255. No gamma, no EXIF
 * rotation. Errors (CLCAM_ERR_INPUT, CLCAM_ERR_IO for a file that cannot be read) name the
 * file and give the decoder's message. */
clcam_status image_decode_file(const char *path, image_rgb *out, clcam_err *err);
void image_rgb_free(image_rgb *im);

#endif
