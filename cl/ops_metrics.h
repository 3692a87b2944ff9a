/* Launchers of the faithfulness metrics' kernels (issue 15): the ranking of a map's pixels,
 * the perturbed copies of a batch's inputs that the network is run on, the scores read back,
 * and the two baseline maps. Everything stays on the device; only scores come back.
 *
 * Shared conventions:
 * - input: the network's input [batch, C, H, W] (normalised); HW = H * W.
 * - maps: final CAM maps [batch, T, H, W] in [0, 1]; image b's map for target rank r starts
 *   at (b * T + r) * HW.
 * - Perturbed copies are numbered q = b * S + s (S copies per image); a launcher writes the
 *   copies first .. first + count - 1 into chunk [count, C, H, W], so the caller can run them
 *   through the network in chunks of the model's batch.
 * - index: int32 [batch], the dataset row of each image: seeds depend on it, never on the
 *   batch an image happens to be in. */
#ifndef CLCAM_CL_OPS_METRICS_H
#define CLCAM_CL_OPS_METRICS_H

#include "runtime.h"

/* Orders each image's map pixels by descending value, ties by ascending pixel index (so no
 * result depends on the device): rank [batch, HW] int32, the place of each pixel (0 = most
 * relevant); sorted [batch, HW] float, the values in that order. scratch: what
 * op_metric_order_scratch_bytes asks for (NULL when it asks for 0). */
size_t op_metric_order_scratch_bytes(int batch, int HW);
clcam_status op_metric_order(cl_ctx *ctx, cl_mem maps, int T, int rank_t, cl_mem rank,
                             cl_mem sorted, cl_mem scratch, int batch, int HW, clcam_err *err);

/* Confidence change, S = 1: chunk = input * map (space 0: the normalised tensor, as
 * pytorch-grad-cam) or, space 1, the image in [0, 1] times the map, normalised again with
 * mean_std (6 floats: mean[3], std[3], per channel, C = 3). */
clcam_status op_metric_mult(cl_ctx *ctx, cl_mem input, cl_mem maps, int T, int rank_t,
                            cl_mem mean_std, int space, cl_mem chunk, int C, int HW, int first,
                            int count, clcam_err *err);

/* Deletion (insertion = 0) and insertion (insertion = 1), S = steps. Copy s of image b has
 * n = floor(step * HW / K) pixels of rank < n taken from `from` and the others from `base`,
 * where step = s + 1 for deletion (from = 0: the baseline, base = input) and step = s for
 * insertion (from = input, base = blurred). Deletion's step 0 and insertion's step K are the
 * input itself: their score is the original's, not run again. */
clcam_status op_metric_steps(cl_ctx *ctx, cl_mem input, cl_mem blurred, cl_mem rank,
                             int insertion, int K, cl_mem chunk, int C, int HW, int first,
                             int count, clcam_err *err);

/* blurred [batch, C, H, W] = Gaussian blur of input, separable, sigma given (the caller uses
 * 5 * H / 224, as RISE at 224), radius ceil(3 * sigma), weights normalised to sum 1, zero
 * padding (as RISE's conv2d). scratch: [batch, C, H, W] floats, the horizontal pass's output. */
clcam_status op_metric_blur(cl_ctx *ctx, cl_mem input, cl_mem blurred, cl_mem scratch,
                            int batch, int C, int H, int W, float sigma, clcam_err *err);

/* ROAD (Rong et al. 2022, as pytorch-grad-cam's ROADMostRelevantFirst and ...LeastRelevantFirst
 * compute it), S = 2 * n_pct: copy s of image b uses percentile pct[s / 2], most relevant
 * first when s is even. Kept pixels: map < np.percentile(map, p) (MoRF) or 1 - map <
 * np.percentile(1 - map, p) (LeRF), from sorted; the others are imputed by noisy linear
 * imputation (each the weighted mean of its in-image neighbours, 1/6 direct, 1/12 diagonal,
 * all removed pixels of a channel solved at once, plus noise * N(0, 1) seeded by (seed,
 * index[b], s, channel, pixel)). Where no pixel of a connected removed region is kept, the
 * region is 0 (the singular case: the system then has no single solution). pct: int32 on the
 * device. */
clcam_status op_metric_road(cl_ctx *ctx, cl_mem input, cl_mem maps, int T, int rank_t,
                            cl_mem sorted, cl_mem pct, int n_pct, float noise, uint32_t seed,
                            cl_mem index, cl_mem chunk, cl_mem scratch, int C, int H, int W,
                            int first, int count, clcam_err *err);
size_t op_metric_road_scratch_bytes(int count, int C, int H, int W);

/* scores[first + i] = softmax(logits[i])[targets[(q / S) * T + rank_t]] for q = first + i,
 * i < count: the target's probability on each perturbed copy. */
clcam_status op_metric_score(cl_ctx *ctx, cl_mem logits, cl_mem targets, int T, int rank_t,
                             int classes, int S, cl_mem scores, int first, int count,
                             clcam_err *err);

/* Baseline maps at the input's size, [batch, H, W], before normalisation: `random`, uniform in
 * [0, 1) from (seed, index[b], pixel); `sobel`, the gradient magnitude of the grey image
 * (0.299 R + 0.587 G + 0.114 B of the uint8 pixels / 255; 3x3 Sobel, border reflected as
 * OpenCV's BORDER_REFLECT_101, as pytorch-grad-cam's sobel_cam). images: uint8 NHWC. */
clcam_status op_baseline_random(cl_ctx *ctx, cl_mem index, uint32_t seed, cl_mem out,
                                int batch, int HW, clcam_err *err);
clcam_status op_baseline_sobel(cl_ctx *ctx, cl_mem images, cl_mem out, int batch, int H, int W,
                               int C, clcam_err *err);

#endif
