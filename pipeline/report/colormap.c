#include "colormap.h"

#include <math.h>

/* matplotlib's _cm.py segment data for 'jet': rows of (x, y0, y1). Jet is continuous, so the
 * two y values of a row are equal and one is kept. */
typedef struct {
    double x, y;
} jet_point;

static const jet_point JET_RED[] = {{0, 0}, {0.35, 0}, {0.66, 1}, {0.89, 1}, {1, 0.5}};
static const jet_point JET_GREEN[] = {{0, 0}, {0.125, 0}, {0.375, 1}, {0.64, 1}, {0.91, 0}, {1, 0}};
static const jet_point JET_BLUE[] = {{0, 0.5}, {0.11, 1}, {0.34, 1}, {0.65, 0}, {1, 0}};

/* One entry of matplotlib's colors._create_lookup_table(256, data), in double like numpy:
 * breakpoints and samples are both scaled by N - 1 = 255, the sample being
 * 255 * (i * (1/255)) as numpy's linspace computes it; the segment is found as
 * searchsorted(side='left') finds it; then distance * (y[k] - y[k-1]) + y[k-1], clipped. */
static double jet_channel(const jet_point *seg, int n_seg, int i)
{
    double x, x0, x1, d;
    int k = 1;
    if (i <= 0) return seg[0].y;
    if (i >= 255) return seg[n_seg - 1].y;
    x = 255.0 * (i * (1.0 / 255.0));
    while (k < n_seg - 1 && seg[k].x * 255.0 < x) k++;
    x0 = seg[k - 1].x * 255.0;
    x1 = seg[k].x * 255.0;
    d = (x - x0) / (x1 - x0);
    d = d * (seg[k].y - seg[k - 1].y) + seg[k - 1].y;
    return d < 0 ? 0 : d > 1 ? 1 : d;
}

void colormap_jet_rgb(float v, uint8_t rgb[3])
{
    float xa;
    int i;
    if (isnan(v)) {
        rgb[0] = rgb[1] = rgb[2] = 0;
        return;
    }
    xa = v * 256.0f; /* exact in float: matplotlib multiplies the float32 array by N */
    i = xa < 0 ? 0 : xa >= 255.0f ? 255 : (int)xa;
    rgb[0] = (uint8_t)(jet_channel(JET_RED, (int)(sizeof JET_RED / sizeof *JET_RED), i) * 255.0);
    rgb[1] = (uint8_t)(jet_channel(JET_GREEN, (int)(sizeof JET_GREEN / sizeof *JET_GREEN), i) * 255.0);
    rgb[2] = (uint8_t)(jet_channel(JET_BLUE, (int)(sizeof JET_BLUE / sizeof *JET_BLUE), i) * 255.0);
}

void colormap_jet_image(const float *v, size_t n, uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) colormap_jet_rgb(v[i], rgb + 3 * i);
}

void colormap_overlay(const uint8_t *heat, const uint8_t *image, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)((4u * heat[i] + 6u * image[i] + 5u) / 10u);
}

void colormap_upscale(const uint8_t *src, int w, int h, int scale, uint8_t *dst, size_t dst_stride)
{
    for (int y = 0; y < h * scale; y++) {
        const uint8_t *srow = src + (size_t)(y / scale) * (size_t)w * 3;
        uint8_t *drow = dst + (size_t)y * dst_stride;
        for (int x = 0; x < w * scale; x++) {
            const uint8_t *p = srow + (size_t)(x / scale) * 3;
            drow[3 * x] = p[0];
            drow[3 * x + 1] = p[1];
            drow[3 * x + 2] = p[2];
        }
    }
}
