/* io/results_chunks.c: the maps' chunks (one row each for large maps, several for small ones
 * and the raw maps, the dataset's last one partial) compressed by clcam and written with
 * H5Dwrite_chunk read back through HDF5's own shuffle + deflate filters as exactly the values
 * written, for each cam_dtype, one target and top-k, a batch split across calls; and the
 * same file's maps written through HDF5's filters (CLCAM_DIRECT_CHUNKS=0) equal too. Checks
 * that the fast path was taken where it applies (compressed, writes of whole chunks) and not
 * where it does not (compression 0, writes that split a chunk). */
#include "io/results.h"
#include "io/results_chunks.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 7

/* Reads dataset name of path as float (HDF5 converts half and uint8) into out. */
static int read_maps(const char *path, const char *name, float *out, int *deflate, int *shuffled)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), d = -1, p = -1;
    int ok = f >= 0 && (d = H5Dopen2(f, name, H5P_DEFAULT)) >= 0 &&
             H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0 &&
             (p = H5Dget_create_plist(d)) >= 0;
    *deflate = *shuffled = 0;
    for (int i = 0; ok && i < H5Pget_nfilters(p); i++) {
        unsigned flags;
        size_t n = 0;
        H5Z_filter_t id = H5Pget_filter2(p, (unsigned)i, &flags, &n, NULL, 0, NULL, NULL);
        *deflate |= id == H5Z_FILTER_DEFLATE;
        *shuffled |= id == H5Z_FILTER_SHUFFLE;
    }
    if (p >= 0) H5Pclose(p);
    if (d >= 0) H5Dclose(d);
    if (f >= 0) H5Fclose(f);
    return ok;
}

/* Writes ROWS rows of maps h x w (K targets a row when topk; chunks of 4 rows where rows are
 * small) in two calls (split + the rest) and checks what comes back, the maps and the 2x2 raw
 * maps (chunks of 4 rows); fast: whether the chunk path should apply to the first call. */
static void check_case(const char *dir, cam_dtype dt, int topk, int h, int w, int compression,
                       int split, int fast)
{
    char path[1100], what[160];
    int k = topk ? topk : 1;
    size_t plane = (size_t)h * w, n = (size_t)ROWS * k * plane;
    float *cam = malloc(sizeof(float) * n), *raw = calloc((size_t)ROWS * k * 4, sizeof(float));
    float *back = malloc(sizeof(float) * n), *logits = calloc(ROWS * 3, sizeof(float));
    float *raw_back = malloc(sizeof(float) * (size_t)ROWS * k * 4);
    int64_t index[ROWS];
    int32_t pred[ROWS * 5] = {0}, target[ROWS * 5] = {0};
    snprintf(what, sizeof what, "%s, topk %d, %dx%d, gzip %d, rows %d + %d", cam_dtype_name(dt), topk, h,
             w, compression, split, ROWS - split);
    snprintf(path, sizeof path, "%s/r_%d_%d_%d.h5", dir, (int)dt, topk, compression);
    if (!cam || !raw || !back || !logits || !raw_back) {
        CHECK(0, "%s: out of memory", what);
        goto exit;
    }
    for (size_t i = 0; i < n; i++) /* smooth like a map, and every value a half or u8 can hold */
        cam[i] = (float)((0.5 + 0.5 * sin((double)i * 0.001)) * 255.0 + 0.5) / 255.0f;
    for (size_t i = 0; i < (size_t)ROWS * k * 4; i++) raw[i] = (float)i * 0.37f - 3.0f;
    for (int i = 0; i < ROWS; i++) index[i] = i;
    results_layout L = {.n = ROWS, .classes = 3, .cam_h = h, .cam_w = w, .raw_h = 2, .raw_w = 2,
                        .topk = topk, .chunk_rows = 4, .compression = compression, .cam_dtype = dt,
                        .n_methods = 1, .methods = {"gradcam"}, .config_yaml = "", .device = "",
                        .platform = "", .driver_version = "", .dataset_file = "", .split = "",
                        .weights_file = "", .layer = ""};
    results_writer wr;
    clcam_err err = {0};
    if (results_create(&wr, path, &L, &err) != CLCAM_OK) {
        CHECK(0, "%s: %s", what, err.msg);
        goto exit;
    }
    CHECK(results_chunks_apply(&wr, wr.cam[0], cam_dtype_size(dt), 0, split) == fast, "%s: chunk path %s",
          what, fast ? "not taken" : "taken");
    for (int part = 0; part < 2; part++) {
        int off = part ? split : 0, cnt = part ? ROWS - split : split;
        results_batch b = {.index = index + off, .logits = logits + off * 3, .probs = logits + off * 3,
                           .pred = pred + off * k, .target = target + off * k,
                           .cam = {cam + (size_t)off * k * plane}, .cam_raw = {raw + (size_t)off * k * 4}};
        if (results_write(&wr, off, cnt, &b, &err) != CLCAM_OK) CHECK(0, "%s: %s", what, err.msg);
    }
    results_close(&wr);
    int deflate, shuffled;
    CHECK(read_maps(path, "/gradcam/cam_raw", raw_back, &deflate, &shuffled), "%s: cannot read %s back",
          what, path);
    CHECK(memcmp(raw, raw_back, sizeof(float) * (size_t)ROWS * k * 4) == 0, "%s: raw maps differ", what);
    CHECK(read_maps(path, "/gradcam/cam", back, &deflate, &shuffled), "%s: cannot read %s back", what, path);
    CHECK(deflate == (compression > 0) && shuffled == (compression > 0), "%s: filters deflate %d shuffle %d",
          what, deflate, shuffled);
    /* float32 exactly; half within its rounding; uint8 as the stored units 0..255 */
    float scale = dt == CAM_DTYPE_UINT8 ? 255.0f : 1.0f;
    float tol = dt == CAM_DTYPE_FLOAT32 ? 0.0f : dt == CAM_DTYPE_FLOAT16 ? 5e-4f : 0.5001f;
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(back[i] - scale * cam[i]) <= tol) && bad++ == 0) first = i;
    CHECK(bad == 0, "%s: %zu values differ, first at %zu (%.9g, wrote %.9g)", what, bad, first,
          (double)back[first], (double)(scale * cam[first]));
    remove(path);
exit:
    free(cam), free(raw), free(back), free(logits), free(raw_back);
}

int main(void)
{
    const char *dir = test_tmpdir();
    if (!dir) return test_skip("test_results_chunks", "no temporary directory");
    for (int through_hdf5 = 0; through_hdf5 < 2; through_hdf5++) {
        if (through_hdf5) setenv("CLCAM_DIRECT_CHUNKS", "0", 1);
        int fast = !through_hdf5;
        check_case(dir, CAM_DTYPE_FLOAT32, 0, 96, 100, 4, 4, fast); /* 38 KiB rows: a chunk each */
        check_case(dir, CAM_DTYPE_FLOAT16, 0, 130, 131, 1, 4, fast);
        check_case(dir, CAM_DTYPE_UINT8, 2, 181, 183, 9, 4, fast);
        check_case(dir, CAM_DTYPE_FLOAT32, 3, 33, 97, 6, 4, fast); /* top-k: a chunk holds K maps */
        check_case(dir, CAM_DTYPE_FLOAT32, 0, 32, 32, 4, 4, fast); /* 4 KiB rows: chunks of 4 rows */
        check_case(dir, CAM_DTYPE_UINT8, 2, 9, 11, 4, 4, fast);
    }
    unsetenv("CLCAM_DIRECT_CHUNKS");
    check_case(dir, CAM_DTYPE_FLOAT32, 0, 96, 100, 0, 4, 0); /* not compressed */
    check_case(dir, CAM_DTYPE_FLOAT32, 0, 32, 32, 4, 3, 0);  /* writes that split chunks of 4 rows */
    check_case(dir, CAM_DTYPE_FLOAT32, 0, 96, 100, 4, 3, 1); /* one-row chunks: any split is whole */
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_results_chunks");
}
