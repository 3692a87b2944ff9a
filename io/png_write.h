/* Writes an 8-bit RGB picture as a PNG file through libpng. */
#ifndef CLCAM_PNG_WRITE_H
#define CLCAM_PNG_WRITE_H

#include <stdint.h>

#include "../base/error.h"

/* rgb: height rows of width * 3 bytes. On failure the partial file is removed and the error
 * names the file and libpng's or the system's message. */
clcam_status image_png_write(const char *path, const uint8_t *rgb, int width, int height,
                             clcam_err *err);

#endif
