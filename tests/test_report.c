/* clcam report: the jet colour map against matplotlib, and report_write on a small results file
 * written here with the HDF5 C API (no GPU pipeline): picture sizes, tile pixels, the page. */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../io/dataset.h"
#include "../io/h5util.h"
#include "../pipeline/report/colormap.h"
#include "../pipeline/report/report.h"
#include "fixtures.h"
#include "testutil.h"

#define N 10       /* results rows */
#define NDATA 12   /* dataset images */
#define H 5
#define W 7
#define K 3        /* classes */

static char dir[512];
static const int32_t LABEL[N] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
static const int32_t PRED[N] = {0, 1, 0, 0, 2, 2, 1, 1, 2, 2};   /* 6 of 10 right */
static const char *CLASS_NAMES[K] = {"cat", "<dog&>", "bird"};  /* escaped on the page */

static int64_t result_index(int i) { return NDATA - 1 - i; }  /* reversed: tests /index */
static float cam_value(int i, int y, int x) { return (float)((i * 35 + y * W + x) % 37) / 36.0f; }

/* Reference values from matplotlib 3.x (3.6.3 here): cm.jet(v, bytes=True)[:3]. Not outputs of
 * our code. 0.37890625 sits where matplotlib truncates 24.99999 to 24, not rounds to 25. */
static void test_jet_reference(void)
{
    static const struct { float v; uint8_t rgb[3]; } REF[] = {
        {0.0f, {0, 0, 127}},     {0.1f, {0, 0, 241}},   {0.3f, {0, 176, 255}},
        {0.35f, {0, 228, 247}},  {0.5f, {124, 255, 121}}, {0.66f, {254, 237, 0}},
        {0.8f, {255, 103, 0}},   {0.95f, {182, 0, 0}},  {1.0f, {127, 0, 0}},
        {0.37890625f, {24, 255, 221}}, {-0.5f, {0, 0, 127}}, {1.5f, {127, 0, 0}},
    };
    for (size_t i = 0; i < sizeof REF / sizeof *REF; i++) {
        uint8_t c[3];
        colormap_jet_rgb(REF[i].v, c);
        CHECK(memcmp(c, REF[i].rgb, 3) == 0, "jet(%g) = (%d,%d,%d), matplotlib (%d,%d,%d)", (double)REF[i].v,
              c[0], c[1], c[2], REF[i].rgb[0], REF[i].rgb[1], REF[i].rgb[2]);
    }
    uint8_t h[2] = {255, 0}, im[2] = {0, 255}, o[2];
    colormap_overlay(h, im, 2, o);
    CHECK(o[0] == 102 && o[1] == 153, "overlay %d %d, expected 102 153", o[0], o[1]);
}

static herr_t ints_write(hid_t f, const char *name, hid_t type, hid_t mem, int rank, const hsize_t *dims, const void *data)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = ds >= 0 ? H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    CHECK(rc >= 0, "write %s", name);
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(sp);
    return rc;
}

/* The results layout of docs/file_formats.md. method: the group holding cam. */
static void results_fixture2(const char *path, const char *data_file, const char *method,
                             const char *method2, int complete);

static void results_fixture(const char *path, const char *data_file, const char *method, int complete)
{
    results_fixture2(path, data_file, method, NULL, complete);
}

/* method2's maps are 1 - method's, so the two differ everywhere but at 0.5. */
static void results_fixture2(const char *path, const char *data_file, const char *method,
                             const char *method2, int complete)
{
    clcam_err err = {0};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int64_t index[N];
    int32_t target[N];
    float probs[N * K], logits[N * K], cam[N * H * W], raw[N * 2 * 2] = {0};
    hsize_t d1[1] = {N}, d2[2] = {N, K}, d3[3] = {N, H, W}, draw[3] = {N, 2, 2};
    char name[64];
    const char *methods[2] = {method, method2};
    CHECK(f >= 0, "create %s", path);
    for (int i = 0; i < N; i++) {
        index[i] = result_index(i);
        target[i] = PRED[i];
        for (int k = 0; k < K; k++) {
            /* pred's probability differs per row, so the confidence order is fixed. */
            float p = k == PRED[i] ? 0.4f + 0.05f * (float)i : (0.6f - 0.05f * (float)i) / 2;
            probs[i * K + k] = p;
            logits[i * K + k] = p * 10;
        }
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) cam[(i * H + y) * W + x] = cam_value(i, y, x);
    }
    ints_write(f, "index", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, d1, index);
    ints_write(f, "label", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, LABEL);
    ints_write(f, "pred", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, PRED);
    ints_write(f, "target", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, target);
    CHECK(fixture_write_floats(f, "logits", 2, d2, logits) == 0, "logits");
    CHECK(fixture_write_floats(f, "probs", 2, d2, probs) == 0, "probs");
    snprintf(name, sizeof name, "%s/cam", method);
    CHECK(fixture_write_floats(f, name, 3, d3, cam) == 0, "cam");
    snprintf(name, sizeof name, "%s/cam_raw", method);
    CHECK(fixture_write_floats(f, name, 3, draw, raw) == 0, "cam_raw");
    if (method2) {
        for (int i = 0; i < N * H * W; i++) cam[i] = 1.0f - cam[i];
        snprintf(name, sizeof name, "%s/cam", method2);
        CHECK(fixture_write_floats(f, name, 3, d3, cam) == 0, "cam 2");
        snprintf(name, sizeof name, "%s/cam_raw", method2);
        CHECK(fixture_write_floats(f, name, 3, draw, raw) == 0, "cam_raw 2");
    }
    CHECK(h5_attr_write_string(f, "created", "2024-01-02T03:04:05Z", &err) == CLCAM_OK &&
          h5_attr_write_string(f, "config", "batch: 4\n", &err) == CLCAM_OK &&
          h5_attr_write_string(f, "device", "Test Device <x>", &err) == CLCAM_OK &&
          h5_attr_write_string(f, "platform", "Test Platform", &err) == CLCAM_OK &&
          h5_attr_write_string(f, "dataset_file", data_file, &err) == CLCAM_OK &&
          h5_attr_write_string(f, "split", "test", &err) == CLCAM_OK &&
          h5_attr_write_string(f, "weights_file", "models/w.h5", &err) == CLCAM_OK &&
          h5_attr_write_string(f, "layer", "conv3", &err) == CLCAM_OK &&
          h5_attr_write_strings(f, "methods", methods, method2 ? 2 : 1, &err) == CLCAM_OK &&
          h5_attr_write_strings(f, "class_names", CLASS_NAMES, K, &err) == CLCAM_OK &&
          h5_attr_write_int(f, "complete", complete, &err) == CLCAM_OK, "attributes: %s", err.msg);
    CHECK(H5Fclose(f) >= 0, "close %s", path);
}

/* Decodes a PNG to RGB with libpng's simplified reader; NULL on failure. */
static uint8_t *png_load(const char *path, int *w, int *h)
{
    png_image img;
    uint8_t *buf = NULL;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) return NULL;
    img.format = PNG_FORMAT_RGB;
    buf = malloc(PNG_IMAGE_SIZE(img));
    if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
        png_image_free(&img);
        free(buf);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return buf;
}

/* Grid picture `file` must hold the given result rows, one per grid row, at `scale`. */
static void check_grid(const char *file, const int *rows, int n, int scale, dataset_reader *d)
{
    char path[1024];
    int w = 0, h = 0, tw = W * scale, th = H * scale, bad = 0;
    snprintf(path, sizeof path, "%s/out/%s", dir, file);
    uint8_t *px = png_load(path, &w, &h);
    CHECK(px != NULL, "%s decodes", path);
    if (!px) return;
    CHECK(w == 3 * tw + 2 * REPORT_GAP && h == n * th + (n - 1) * REPORT_GAP, "%s is %dx%d, expected %dx%d",
          file, w, h, 3 * tw + 2 * REPORT_GAP, n * th + (n - 1) * REPORT_GAP);
    if (w != 3 * tw + 2 * REPORT_GAP || h != n * th + (n - 1) * REPORT_GAP) goto exit;
    for (int k = 0; k < n; k++) {
        uint8_t image[H * W * 3];
        clcam_err err = {0};
        CHECK(dataset_read(d, (long)result_index(rows[k]), 1, image, NULL, 0, &err) == CLCAM_OK, "%s", err.msg);
        for (int y = 0; y < th; y++)
            for (int x = 0; x < tw; x++) {
                const uint8_t *src = image + ((y / scale) * W + x / scale) * 3;
                const uint8_t *row = px + (size_t)(k * (th + REPORT_GAP) + y) * (size_t)w * 3;
                uint8_t jet[3], over[3];
                colormap_jet_rgb(cam_value(rows[k], y / scale, x / scale), jet);
                for (int c = 0; c < 3; c++) over[c] = (uint8_t)((4 * jet[c] + 6 * src[c] + 5) / 10);
                bad += memcmp(row + x * 3, src, 3) != 0;
                bad += memcmp(row + (tw + REPORT_GAP + x) * 3, jet, 3) != 0;
                bad += memcmp(row + (2 * (tw + REPORT_GAP) + x) * 3, over, 3) != 0;
            }
        if (k + 1 < n) /* the gap below the row is white */
            for (int x = 0; x < w * 3; x++)
                bad += px[(size_t)(k * (th + REPORT_GAP) + th) * (size_t)w * 3 + (size_t)x] != 255;
    }
    CHECK(bad == 0, "%s: %d pixels differ from original | jet | overlay of rows %d..", file, bad, rows[0]);
exit:
    free(px);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = calloc((size_t)n + 1, 1)))
        if (fread(s, 1, (size_t)n, f) != (size_t)n) s[0] = '\0';
    fclose(f);
    return s;
}

static clcam_status report_run(const char *results, const char *data, const char *out, const char *method,
                               clcam_err *err)
{
    char rpath[1024], opath[1024];
    report_options opt;
    report_options_default(&opt);
    snprintf(rpath, sizeof rpath, "%s/%s", dir, results);
    snprintf(opath, sizeof opath, "%s/%s", dir, out);
    opt.results_path = rpath;
    opt.out_dir = opath;
    opt.data_path = data;
    opt.scale = 3;
    opt.per_class = 2;
    if (method) opt.method = method;
    return report_write(&opt, err);
}

int main(void)
{
    char data[1024], path[1024], expect[128];
    clcam_err err = {0};
    dataset_reader d;
    int correct = 0;
    h5_quiet(0);
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    test_jet_reference();

    snprintf(data, sizeof data, "%s/data.h5", dir);
    CHECK(fixture_dataset(data, "test", NDATA, H, W, K, 5u) == 0, "write %s", data);
    snprintf(path, sizeof path, "%s/results.h5", dir);
    results_fixture(path, data, "gradcam", 1);

    CHECK(report_run("results.h5", NULL, "out", NULL, &err) == CLCAM_OK, "report_write: %s", err.msg);
    CHECK(dataset_open(&d, data, "test", &err) == CLCAM_OK, "%s", err.msg);
    {
        /* Per class: the first per_class rows of that true class; confidence: by probs[pred]
         * (0.4 + 0.05 i), so the highest rows first. */
        static const int C0[] = {0, 3}, C1[] = {1, 4}, C2[] = {2, 5}, RIGHT[] = {8, 7}, WRONG[] = {9, 6};
        check_grid("class_00.png", C0, 2, 3, &d);
        check_grid("class_01.png", C1, 2, 3, &d);
        check_grid("class_02.png", C2, 2, 3, &d);
        check_grid("confident_correct.png", RIGHT, 2, 3, &d);
        check_grid("confident_wrong.png", WRONG, 2, 3, &d);
    }
    dataset_close(&d);

    for (int i = 0; i < N; i++) correct += PRED[i] == LABEL[i];
    snprintf(expect, sizeof expect, "<span id=\"accuracy\">%.2f%%</span>", 100.0 * correct / N);
    snprintf(path, sizeof path, "%s/out/index.html", dir);
    char *html = slurp(path);
    CHECK(html != NULL, "%s exists", path);
    if (html) {
        CHECK(strstr(html, "<span id=\"accuracy\">60.00%</span>") && strstr(html, expect), "page lacks %s", expect);
        CHECK(strstr(html, "&lt;dog&amp;&gt;") && !strstr(html, "<dog&>"), "class names not escaped");
        CHECK(strstr(html, "Test Device &lt;x&gt;") != NULL, "device not shown escaped");
        CHECK(strstr(html, "<img src=\"class_01.png\"") != NULL, "no class_01.png image");
        CHECK(strstr(html, "Incomplete run") == NULL, "complete run called incomplete");
        free(html);
    }

    /* Two methods: methods.png, the original then each method's overlay, on the rows of the
     * most confident wrong predictions. */
    snprintf(path, sizeof path, "%s/two.h5", dir);
    results_fixture2(path, data, "gradcam", "hirescam", 1);
    err = (clcam_err){0};
    CHECK(report_run("two.h5", NULL, "out_two", NULL, &err) == CLCAM_OK, "two methods: %s", err.msg);
    {
        static const int WRONG[] = {9, 6};
        int w = 0, h = 0, tw = W * 3, th = H * 3, bad = 0;
        snprintf(path, sizeof path, "%s/out_two/methods.png", dir);
        uint8_t *px = png_load(path, &w, &h);
        CHECK(px && w == 3 * tw + 2 * REPORT_GAP && h == 2 * th + REPORT_GAP, "methods.png %dx%d", w, h);
        CHECK(dataset_open(&d, data, "test", &err) == CLCAM_OK, "%s", err.msg);
        for (int k = 0; px && w == 3 * tw + 2 * REPORT_GAP && k < 2; k++) {
            uint8_t image[H * W * 3];
            CHECK(dataset_read(&d, (long)result_index(WRONG[k]), 1, image, NULL, 0, &err) == CLCAM_OK, "%s", err.msg);
            for (int y = 0; y < th; y++)
                for (int x = 0; x < tw; x++) {
                    const uint8_t *src = image + ((y / 3) * W + x / 3) * 3;
                    const uint8_t *row = px + (size_t)(k * (th + REPORT_GAP) + y) * (size_t)w * 3;
                    float v = cam_value(WRONG[k], y / 3, x / 3);
                    uint8_t j1[3], j2[3];
                    colormap_jet_rgb(v, j1);
                    colormap_jet_rgb(1.0f - v, j2);
                    for (int c = 0; c < 3; c++) {
                        bad += row[x * 3 + c] != src[c];
                        bad += row[(tw + REPORT_GAP + x) * 3 + c] != (uint8_t)((4 * j1[c] + 6 * src[c] + 5) / 10);
                        bad += row[(2 * (tw + REPORT_GAP) + x) * 3 + c] != (uint8_t)((4 * j2[c] + 6 * src[c] + 5) / 10);
                    }
                }
        }
        CHECK(bad == 0, "methods.png: %d values differ from original | overlay 1 | overlay 2", bad);
        dataset_close(&d);
        free(px);
        snprintf(path, sizeof path, "%s/out_two/index.html", dir);
        char *page = slurp(path);
        CHECK(page && strstr(page, "<img src=\"methods.png\"") && strstr(page, ">hirescam<"), "page lacks the methods grid");
        free(page);
    }

    /* An incomplete run is still reported, and says so. */
    snprintf(path, sizeof path, "%s/partial.h5", dir);
    results_fixture(path, data, "gradcam", 0);
    err = (clcam_err){0};
    CHECK(report_run("partial.h5", NULL, "out_partial", NULL, &err) == CLCAM_OK, "partial: %s", err.msg);
    snprintf(path, sizeof path, "%s/out_partial/index.html", dir);
    html = slurp(path);
    CHECK(html && strstr(html, "Incomplete run"), "incomplete run not flagged");
    free(html);

    /* Errors: one line naming the file. */
    err = (clcam_err){0};
    CHECK(report_run("missing.h5", NULL, "o1", NULL, &err) == CLCAM_ERR_INPUT && strstr(err.msg, "missing.h5"),
          "missing results: %s", err.msg);
    err = (clcam_err){0};
    CHECK(report_run("results.h5", "/nonexistent/data.h5", "o2", NULL, &err) == CLCAM_ERR_INPUT &&
          strstr(err.msg, "/nonexistent/data.h5"), "missing dataset: %s", err.msg);
    err = (clcam_err){0};
    CHECK(report_run("results.h5", NULL, "o3", "gradcampp", &err) == CLCAM_ERR_INPUT &&
          strstr(err.msg, "/gradcampp/cam") && strstr(err.msg, "results.h5"), "missing method: %s", err.msg);
    err = (clcam_err){0};
    CHECK(report_run("results.h5", NULL, "results.h5/sub", NULL, &err) == CLCAM_ERR_IO && strstr(err.msg, "results.h5/sub"),
          "bad output folder: %s", err.msg);
    {
        char cmd[2048], msg[1024];
        snprintf(cmd, sizeof cmd, "cd %s && %s report results.h5", dir, CLCAM_BINARY);
        CHECK(fixture_run(cmd, msg, sizeof msg) == 2 && strstr(msg, "--out"), "no --out: %s", msg);
        snprintf(cmd, sizeof cmd, "cd %s && %s report results.h5 --out o4 --scale 0", dir, CLCAM_BINARY);
        CHECK(fixture_run(cmd, msg, sizeof msg) == 2 && strstr(msg, "--scale"), "bad --scale: %s", msg);
        snprintf(cmd, sizeof cmd, "cd %s && %s report nothere.h5 --out o5", dir, CLCAM_BINARY);
        CHECK(fixture_run(cmd, msg, sizeof msg) == 2 && strstr(msg, "nothere.h5"), "missing file: %s", msg);
        snprintf(cmd, sizeof cmd, "cd %s && %s report results.h5 --out results.h5/x", dir, CLCAM_BINARY);
        CHECK(fixture_run(cmd, msg, sizeof msg) == 1 && strstr(msg, "results.h5/x"), "bad out dir: %s", msg);
        snprintf(cmd, sizeof cmd, "cd %s && %s report results.h5 --out o6 --per-class 3", dir, CLCAM_BINARY);
        CHECK(fixture_run(cmd, msg, sizeof msg) == 0, "CLI run: %s", msg);
    }
    return test_finish("test_report");
}
