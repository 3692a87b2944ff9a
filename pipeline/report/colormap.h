/* Pure pixel functions for the report: matplotlib's 'jet' colour map, the heatmap-over-image
 * blend and nearest-neighbour upscaling. RGB images are uint8, interleaved, row-major. */
#ifndef CLCAM_COLORMAP_H
#define CLCAM_COLORMAP_H

#include <stddef.h>
#include <stdint.h>

/* matplotlib's cm.jet(v, bytes=True) without alpha: the 256-entry table of its segment data,
 * index (int)(v * 256) clamped to 0..255, each channel truncated as (uint8)(c * 255).
 * NaN gives black (matplotlib's 'bad' colour is transparent black). */
void colormap_jet_rgb(float v, uint8_t rgb[3]);

/* jet of n values into n RGB triples. */
void colormap_jet_image(const float *v, size_t n, uint8_t *rgb);

/* out = round(0.4 * heat + 0.6 * image) per byte, halves rounded up, done in integers:
 * (4 * heat + 6 * image + 5) / 10. n is the number of bytes. */
void colormap_overlay(const uint8_t *heat, const uint8_t *image, size_t n, uint8_t *out);

/* Nearest-neighbour upscaling of a w x h RGB image by an integer factor into dst, which is
 * (w * scale) x (h * scale) pixels and dst_stride bytes per row, so a tile can go straight
 * into a larger picture. */
void colormap_upscale(const uint8_t *src, int w, int h, int scale, uint8_t *dst, size_t dst_stride);

#endif
