/* Pillow 9's ImagingResample (bilinear, 8 bits a channel) and torchvision's size rules. */
#include "image_resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Pillow's PRECISION_BITS: 8 bits of result and 2 of headroom in an int. */
#define PRECISION_BITS (32 - 8 - 2)

void image_resize_shorter_dims(int w, int h, int s, int *out_w, int *out_h)
{
    const int shorter = w <= h ? w : h, longer = w <= h ? h : w;
    /* Python: int(s * long / short), a true division of two ints rounded once to double. */
    const int new_long = (int)((double)((long long)s * longer) / (double)shorter);
    *out_w = w <= h ? s : new_long;
    *out_h = w <= h ? new_long : s;
}

static double bilinear_filter(double x)
{
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Pillow's precompute_coeffs and normalize_coeffs_8bpc for one axis (in0 = 0, in1 = in_size):
 * for each output position, the first input index, the count, and ksize fixed-point weights. */
typedef struct {
    int ksize;
    int *bounds; /* [out_size][2]: xmin, count */
    int32_t *k;  /* [out_size][ksize] */
} resample_axis;

static int axis_init(resample_axis *a, int in_size, int out_size)
{
    const double scale = (double)in_size / out_size;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = 1.0 * filterscale;
    double *w = NULL;
    a->ksize = (int)ceil(support) * 2 + 1;
    a->bounds = malloc(sizeof *a->bounds * 2 * (size_t)out_size);
    a->k = malloc(sizeof *a->k * (size_t)a->ksize * (size_t)out_size);
    w = malloc(sizeof *w * (size_t)a->ksize);
    if (!a->bounds || !a->k || !w) {
        free(w);
        return -1;
    }
    for (int xx = 0; xx < out_size; xx++) {
        const double center = (xx + 0.5) * scale;
        const double ss = 1.0 / filterscale;
        double ww = 0.0;
        int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
        int x;
        if (xmin < 0) xmin = 0;
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        for (x = 0; x < xmax; x++) {
            w[x] = bilinear_filter((x + xmin - center + 0.5) * ss);
            ww += w[x];
        }
        for (x = 0; x < xmax; x++)
            if (ww != 0.0) w[x] /= ww;
        for (; x < a->ksize; x++) w[x] = 0.0;
        for (x = 0; x < a->ksize; x++) {
            const double v = w[x] * (1 << PRECISION_BITS);
            a->k[(size_t)xx * a->ksize + x] = (int32_t)(w[x] < 0 ? -0.5 + v : 0.5 + v);
        }
        a->bounds[2 * xx] = xmin;
        a->bounds[2 * xx + 1] = xmax;
    }
    free(w);
    return 0;
}

static void axis_free(resample_axis *a)
{
    free(a->bounds);
    free(a->k);
}

/* Pillow's clip8: the sum (with its rounding half already added) shifted down and clipped. */
static inline uint8_t clip8(int32_t ss)
{
    const int32_t v = ss < 0 ? -1 : ss >> PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Rows [y0, y0 + rows) of in (w wide) to ow wide. */
static void pass_horizontal(const uint8_t *in, int w, int y0, int rows, uint8_t *out, int ow,
                            const resample_axis *a)
{
    for (int y = 0; y < rows; y++) {
        const uint8_t *src = in + (size_t)(y0 + y) * w * 3;
        uint8_t *dst = out + (size_t)y * ow * 3;
        for (int xx = 0; xx < ow; xx++) {
            const int xmin = a->bounds[2 * xx], n = a->bounds[2 * xx + 1];
            const int32_t *k = a->k + (size_t)xx * a->ksize;
            int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
            for (int x = 0; x < n; x++) {
                const uint8_t *p = src + (size_t)(x + xmin) * 3;
                s0 += p[0] * k[x];
                s1 += p[1] * k[x];
                s2 += p[2] * k[x];
            }
            dst[3 * xx] = clip8(s0);
            dst[3 * xx + 1] = clip8(s1);
            dst[3 * xx + 2] = clip8(s2);
        }
    }
}

/* in (w wide, rows starting at input row y_first) to oh rows. */
static void pass_vertical(const uint8_t *in, int w, int y_first, uint8_t *out, int oh,
                          const resample_axis *a)
{
    const size_t stride = (size_t)w * 3;
    for (int yy = 0; yy < oh; yy++) {
        const int ymin = a->bounds[2 * yy] - y_first, n = a->bounds[2 * yy + 1];
        const int32_t *k = a->k + (size_t)yy * a->ksize;
        uint8_t *dst = out + (size_t)yy * stride;
        for (size_t xc = 0; xc < stride; xc++) {
            int32_t s = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < n; y++) s += in[(size_t)(y + ymin) * stride + xc] * k[y];
            dst[xc] = clip8(s);
        }
    }
}

clcam_status image_resize_bilinear(const uint8_t *in, int w, int h, uint8_t *out, int ow, int oh,
                                   clcam_err *err)
{
    resample_axis ax = {0, NULL, NULL}, ay = {0, NULL, NULL};
    uint8_t *tmp = NULL;
    clcam_status st = CLCAM_OK;
    if (ow == w && oh == h) {
        memcpy(out, in, (size_t)w * h * 3);
        goto exit;
    }
    if (axis_init(&ax, w, ow) != 0 || axis_init(&ay, h, oh) != 0) {
        st = err_set(err, CLCAM_ERR_NOMEM, "resize %dx%d to %dx%d: out of memory", w, h, ow, oh);
        goto exit;
    }
    if (ow == w) { /* vertical only */
        pass_vertical(in, w, 0, out, oh, &ay);
    } else if (oh == h) { /* horizontal only */
        pass_horizontal(in, w, 0, h, out, ow, &ax);
    } else {
        /* Only the input rows the vertical pass reads, as Pillow does. */
        const int y_first = ay.bounds[0];
        const int y_last = ay.bounds[2 * oh - 2] + ay.bounds[2 * oh - 1];
        if ((tmp = malloc((size_t)ow * (size_t)(y_last - y_first) * 3)) == NULL) {
            st = err_set(err, CLCAM_ERR_NOMEM, "resize %dx%d to %dx%d: out of memory", w, h, ow,
                         oh);
            goto exit;
        }
        pass_horizontal(in, w, y_first, y_last - y_first, tmp, ow, &ax);
        pass_vertical(tmp, ow, y_first, out, oh, &ay);
    }
exit:
    free(tmp);
    axis_free(&ax);
    axis_free(&ay);
    return st;
}

/* Python's int(round(d / 2.0)) for d >= 0: halves go to the even neighbour. */
static int half_round_even(int d)
{
    const int q = d / 2;
    return d % 2 == 0 ? d / 2 : q % 2 == 0 ? q : q + 1;
}

void image_center_crop(const uint8_t *in, int w, int h, uint8_t *out, int cw, int ch)
{
    const int top = half_round_even(h - ch), left = half_round_even(w - cw);
    for (int y = 0; y < ch; y++)
        memcpy(out + (size_t)y * cw * 3, in + ((size_t)(top + y) * w + left) * 3, (size_t)cw * 3);
}
