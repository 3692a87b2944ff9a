#include "png_write.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char msg[256];
} png_failure;

/* libpng's error callback must not return: record the message and jump back to the setjmp. */
static void on_png_error(png_structp png, png_const_charp msg)
{
    png_failure *f = png_get_error_ptr(png);
    if (f) snprintf(f->msg, sizeof f->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Every libpng call after the setjmp reports failure by jumping there. Kept apart from the
 * caller so no local that changes after setjmp is read after the jump. Returns 0 or -1. */
static int png_encode(png_structp png, png_infop info, FILE *fp, const uint8_t *rgb, int width,
                      int height)
{
    if (setjmp(png_jmpbuf(png))) return -1;
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, rgb + (size_t)y * (size_t)width * 3);
    png_write_end(png, info);
    return 0;
}

clcam_status image_png_write(const char *path, const uint8_t *rgb, int width, int height,
                             clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    FILE *fp = NULL;
    png_structp png = NULL;
    png_infop info = NULL;
    png_failure failure = {"unknown libpng error"};
    if (width <= 0 || height <= 0) {
        st = err_set(err, CLCAM_ERR_USAGE, "%s: cannot write a %dx%d picture", path, width, height);
        goto exit;
    }
    if (!(fp = fopen(path, "wb"))) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot create the picture: %s", path, strerror(errno));
        goto exit;
    }
    if (!(png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning)) ||
        !(info = png_create_info_struct(png))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: png_create_write_struct/png_create_info_struct failed", path);
        goto exit;
    }
    if (png_encode(png, info, fp, rgb, width, height) != 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: libpng: %s", path, failure.msg);
        goto exit;
    }
    if (fflush(fp) != 0 || ferror(fp)) {
        st = err_set(err, CLCAM_ERR_IO, "%s: writing the picture failed: %s", path, strerror(errno));
        goto exit;
    }
exit:
    if (png) png_destroy_write_struct(&png, info ? &info : NULL);
    if (fp && fclose(fp) != 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_IO, "%s: closing the picture failed: %s", path, strerror(errno));
    if (fp && st != CLCAM_OK) remove(path);
    return st;
}
