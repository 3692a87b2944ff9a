/* JPEG (TurboJPEG API of libjpeg-turbo) and PNG (libpng) to 8-bit RGB, matching Pillow. */
#include "image_decode.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <turbojpeg.h>

#define FILE_MAX_BYTES ((long long)1 << 31) /* a compressed image past 2 GiB is not a photo */

void image_rgb_free(image_rgb *im)
{
    free(im->rgb);
    im->rgb = NULL;
    im->w = im->h = 0;
}

static clcam_status check_dims(const char *path, const char *fmt, long w, long h, clcam_err *err)
{
    if (w <= 0 || h <= 0 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE ||
        w * h > IMAGE_MAX_PIXELS)
        return err_set(err, CLCAM_ERR_INPUT,
                       "%s: %s of %ldx%ld pixels, over clcam's limit (%d a side, %ld pixels)",
                       path, fmt, w, h, IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS);
    return CLCAM_OK;
}

/* ---- JPEG ---- */

/* Pillow reads 4-component JPEGs as Adobe's inverted CMYK ("CMYK;I") and converts to RGB with
 * its cmyk2rgb: nk = 255 - K, out = nk - C*nk/255 (rounded as below). */
static uint8_t cmyk_channel(int c, int nk)
{
    int t = c * nk + 128;
    int v = nk - (((t >> 8) + t) >> 8);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static clcam_status jpeg_decode(const char *path, const unsigned char *buf, size_t size,
                                image_rgb *out, clcam_err *err)
{
    tjhandle tj = NULL;
    int w = 0, h = 0, subsamp = 0, cs = 0;
    uint8_t *px = NULL, *cmyk = NULL;
    clcam_status st = CLCAM_OK;
    if ((tj = tjInitDecompress()) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: tjInitDecompress failed: %s", path,
                     tjGetErrorStr2(NULL));
        goto exit;
    }
    if (tjDecompressHeader3(tj, buf, (unsigned long)size, &w, &h, &subsamp, &cs) != 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: JPEG: %s", path, tjGetErrorStr2(tj));
        goto exit;
    }
    TRY(check_dims(path, "JPEG", w, h, err));
    if ((px = malloc((size_t)w * (size_t)h * 3)) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for %dx%d pixels", path, w, h);
        goto exit;
    }
    {
        const int four = cs == TJCS_CMYK || cs == TJCS_YCCK;
        uint8_t *dst = px;
        int rc;
        if (four && (cmyk = malloc((size_t)w * (size_t)h * 4)) == NULL) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for %dx%d pixels", path, w, h);
            goto exit;
        }
        if (four) dst = cmyk;
        rc = tjDecompress2(tj, buf, (unsigned long)size, dst, w, 0, h, four ? TJPF_CMYK : TJPF_RGB,
                           TJFLAG_ACCURATEDCT);
        /* Warnings (extraneous bytes, a bad Huffman code) are decoded through, as Pillow does;
         * a file cut short is an error, as in Pillow ("image file is truncated"). */
        if (rc != 0 && (tjGetErrorCode(tj) != TJERR_WARNING ||
                        strstr(tjGetErrorStr2(tj), "Premature end") != NULL)) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: JPEG: %s", path, tjGetErrorStr2(tj));
            goto exit;
        }
        if (four) {
            const size_t n = (size_t)w * (size_t)h;
            for (size_t i = 0; i < n; i++) {
                const uint8_t *p = cmyk + 4 * i;
                int nk = p[3]; /* 255 - (255 - raw K) */
                px[3 * i + 0] = cmyk_channel(255 - p[0], nk);
                px[3 * i + 1] = cmyk_channel(255 - p[1], nk);
                px[3 * i + 2] = cmyk_channel(255 - p[2], nk);
            }
        }
    }
    out->w = w;
    out->h = h;
    out->rgb = px;
    px = NULL;
exit:
    free(cmyk);
    free(px);
    if (tj) tjDestroy(tj);
    return st;
}

/* ---- PNG ---- */

typedef struct {
    jmp_buf jmp;
    char msg[256];
    const unsigned char *buf;
    size_t size, pos;
} png_ctx;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    longjmp(c->jmp, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* Pillow goes on past warnings (a bad CRC of an ancillary chunk, ...) */
}

static void png_on_read(png_structp png, png_bytep data, png_size_t n)
{
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->size - c->pos) png_error(png, "file truncated (read past its end)");
    memcpy(data, c->buf + c->pos, n);
    c->pos += n;
}

/* Everything the setjmp'd function modifies lives here, not in its registers. */
typedef struct {
    png_structp png;
    png_infop info;
    uint8_t *raw;     /* the transformed rows */
    png_bytep *rows;
    uint8_t *px;
} png_state;

/* The part that libpng may longjmp out of: what it changes lives in *ctx and *s, outside
 * this function's frame, so it survives the jump. */
static clcam_status png_decode_rows(const char *path, png_ctx *ctx, png_state *s, image_rgb *out,
                                    clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (setjmp(ctx->jmp)) return err_set(err, CLCAM_ERR_INPUT, "%s: PNG: %s", path, ctx->msg);
    png_set_read_fn(s->png, ctx, png_on_read);
    png_read_info(s->png, s->info);
    {
        const png_uint_32 w = png_get_image_width(s->png, s->info);
        const png_uint_32 h = png_get_image_height(s->png, s->info);
        const int depth = png_get_bit_depth(s->png, s->info);
        const int type = png_get_color_type(s->png, s->info);
        /* Pillow opens 16-bit grayscale as mode I (the full value) and clips it to 255 in
         * convert("RGB"); every other 16-bit image by its high byte. */
        const int gray16 = depth == 16 && type == PNG_COLOR_TYPE_GRAY;
        size_t rowbytes, channels;
        if ((st = check_dims(path, "PNG", (long)w, (long)h, err)) != CLCAM_OK) goto exit;
        if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s->png);
        if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(s->png);
        if (depth == 16 && !gray16) png_set_strip_16(s->png);
        (void)png_set_interlace_handling(s->png);
        png_read_update_info(s->png, s->info);
        rowbytes = png_get_rowbytes(s->png, s->info);
        channels = png_get_channels(s->png, s->info);
        if ((s->raw = malloc(rowbytes * h)) == NULL ||
            (s->rows = malloc(sizeof *s->rows * h)) == NULL ||
            (s->px = malloc((size_t)w * h * 3)) == NULL) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for %ux%u pixels", path,
                         (unsigned)w, (unsigned)h);
            goto exit;
        }
        for (png_uint_32 y = 0; y < h; y++) s->rows[y] = s->raw + rowbytes * y;
        png_read_image(s->png, s->rows);
        /* No png_read_end: what follows the pixels (text, IEND) is not needed, and Pillow
         * opens a file cut after its image data. */
        for (png_uint_32 y = 0; y < h; y++) {
            const uint8_t *r = s->rows[y];
            uint8_t *o = s->px + (size_t)w * 3 * y;
            for (png_uint_32 x = 0; x < w; x++, o += 3) {
                if (gray16) {
                    unsigned v = (unsigned)r[2 * x] << 8 | r[2 * x + 1]; /* big-endian */
                    o[0] = o[1] = o[2] = (uint8_t)(v > 255 ? 255 : v);
                } else if (channels <= 2) { /* gray, gray + alpha */
                    o[0] = o[1] = o[2] = r[channels * x];
                } else { /* RGB, RGBA (palette with tRNS comes out as RGBA) */
                    o[0] = r[channels * x];
                    o[1] = r[channels * x + 1];
                    o[2] = r[channels * x + 2];
                }
            }
        }
        out->w = (int)w;
        out->h = (int)h;
        out->rgb = s->px;
        s->px = NULL;
    }
exit:
    return st;
}

static clcam_status png_decode(const char *path, const unsigned char *buf, size_t size,
                               image_rgb *out, clcam_err *err)
{
    png_ctx ctx;
    png_state s_, *const s = &s_;
    clcam_status st = CLCAM_OK;
    memset(&ctx, 0, sizeof ctx);
    memset(s, 0, sizeof *s);
    ctx.buf = buf;
    ctx.size = size;
    s->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_on_error, png_on_warning);
    if (!s->png || (s->info = png_create_info_struct(s->png)) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: png_create_read_struct failed", path);
        goto exit;
    }
    st = png_decode_rows(path, &ctx, s, out, err);
exit:
    if (s->png) png_destroy_read_struct(&s->png, s->info ? &s->info : NULL, NULL);
    free(s->px);
    free(s->rows);
    free(s->raw);
    return st;
}

/* ---- file ---- */

static clcam_status file_read(const char *path, unsigned char **buf, size_t *size, clcam_err *err)
{
    FILE *fp = NULL;
    struct stat sb;
    clcam_status st = CLCAM_OK;
    *buf = NULL;
    if ((fp = fopen(path, "rb")) == NULL) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
        goto exit;
    }
    if (fstat(fileno(fp), &sb) != 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
        goto exit;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: not a regular file", path);
        goto exit;
    }
    if ((long long)sb.st_size > FILE_MAX_BYTES) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %lld bytes, over clcam's limit for an image file",
                     path, (long long)sb.st_size);
        goto exit;
    }
    if ((*buf = malloc((size_t)sb.st_size + 1)) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for %lld bytes", path,
                     (long long)sb.st_size);
        goto exit;
    }
    *size = fread(*buf, 1, (size_t)sb.st_size, fp);
    if (*size != (size_t)sb.st_size) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read: %s", path,
                     ferror(fp) ? strerror(errno) : "shorter than its size");
        goto exit;
    }
exit:
    if (fp) fclose(fp);
    if (st != CLCAM_OK) {
        free(*buf);
        *buf = NULL;
    }
    return st;
}

clcam_status image_decode_file(const char *path, image_rgb *out, clcam_err *err)
{
    static const unsigned char PNG_SIG[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char *buf = NULL;
    size_t size = 0;
    clcam_status st = CLCAM_OK;
    memset(out, 0, sizeof *out);
    TRY(file_read(path, &buf, &size, err));
    if (size >= 3 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF)
        st = jpeg_decode(path, buf, size, out, err);
    else if (size >= 8 && memcmp(buf, PNG_SIG, 8) == 0)
        st = png_decode(path, buf, size, out, err);
    else
        st = err_set(err, CLCAM_ERR_INPUT, "%s: not a JPEG or PNG file (%zu bytes; clcam reads "
                     "those two formats)", path, size);
exit:
    free(buf);
    return st;
}
