/* End to end: a synthetic dataset and random SimpleCNN weights through `run` with every CAM
 * method, against the plain-C reference of the whole algorithm (forward, one-hot backward,
 * each method's ref_raw, upsampling, normalisation; the baselines' maps at the input size,
 * normalised as they are). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "io/dataset.h"
#include "io/h5util.h"
#include "pipeline/cam/cam_method.h"
#include "pipeline/model/model.h"
#include "pipeline/model/reference.h"
#include "pipeline/run.h"
#include "fixtures.h"
#include "testutil.h"

enum { N = 37, IH = 20, IW = 12, HIDDEN = 24, CLASSES = 7, NM = CAM_METHOD_COUNT };

/* Pixels of method k's raw map: conv3's 5x3, or the input's for the baselines. */
static int raw_size(int k)
{
    return CAM_METHODS[k]->full_res ? IH * IW : 15;
}

typedef struct {
    float *logits, *probs, *cam[NM], *raw[NM];
    int *pred, *target;
} outputs;

/* The reference forward pass of n images, for Score-CAM's reference. */
static void ref_model_forward(void *fctx, const float *x, int n, float *logits)
{
    model *m = fctx;
    const float *in = x;
    float *out = NULL;
    for (int i = 0; i < m->n_layers; i++) {
        size_t sz = (size_t)n * layer_shape_size(m->layers[i].out);
        float *o = malloc(sizeof(float) * sz);
        int *aux = malloc(sizeof(int) * sz);
        LAYER_OPS[m->layers[i].kind]->ref_forward(&m->layers[i], in, o, aux, n);
        free(aux);
        if (in != x) free((void *)in);
        in = out = o;
    }
    memcpy(logits, out, sizeof(float) * (size_t)n * m->classes);
    free(out);
}

/* The whole algorithm in plain C, one image at a time, with the layers' references:
 * forward, targets, then per rank a one-hot backward and Grad-CAM. Outputs [N, T, ...]. */
static void reference(model *m, int t, const unsigned char *img, const int *labels,
                      const clcam_config *cfg, int T, outputs *o)
{
    int L = m->n_layers, mode = (int)cfg->cam_target;
    float *act[MODEL_MAX_LAYERS + 1];
    int *aux[MODEL_MAX_LAYERS];
    layer_shape a = m->layers[t].out;
    for (int n = 0; n < N; n++) {
        int32_t row = n;
        act[0] = malloc(sizeof(float) * layer_shape_size(m->input));
        ref_preprocess(img + (size_t)n * IH * IW * 3, act[0], cfg->pre_mean, cfg->pre_std, cfg->pre_scale,
                       1, 3, IH * IW);
        for (int i = 0; i < L; i++) {
            act[i + 1] = malloc(sizeof(float) * layer_shape_size(m->layers[i].out));
            aux[i] = malloc(sizeof(int) * layer_shape_size(m->layers[i].out));
            LAYER_OPS[m->layers[i].kind]->ref_forward(&m->layers[i], act[i], act[i + 1], aux[i], 1);
        }
        float *lg = act[L];
        memcpy(o->logits + n * CLASSES, lg, sizeof(float) * CLASSES);
        ref_softmax(lg, o->probs + n * CLASSES, 1, CLASSES);
        ref_select_targets(lg, labels + n, o->pred + n, o->target + n * T, 1, CLASSES, mode,
                           cfg->cam_target_class, T);
        for (int r = 0; r < T; r++) {
            float *g = malloc(sizeof(float) * CLASSES), *up = malloc(sizeof(float) * IH * IW);
            ref_onehot_rank(o->target + n * T, g, 1, CLASSES, T, r);
            for (int i = L - 1; i > t; i--) {
                float *din = malloc(sizeof(float) * layer_shape_size(m->layers[i].in));
                LAYER_OPS[m->layers[i].kind]->ref_backward(&m->layers[i], act[i], act[i + 1], aux[i], g, din, 1);
                free(g);
                g = din;
            }
            for (int k = 0; k < NM; k++) {
                float *raw = o->raw[k] + ((size_t)n * T + r) * raw_size(k);
                cam_ref_inputs ri = {.A = act[t + 1], .G = g, .batch = 1, .K = a.c, .h = a.h, .w = a.w,
                                     .target = o->target + n * T + r, .input = act[0], .C = 3,
                                     .H = IH, .W = IW, .classes = CLASSES, .forward = ref_model_forward,
                                     .fctx = m, .images = img + (size_t)n * IH * IW * 3, .index = &row,
                                     .seed = (uint32_t)cfg->cam_seed};
                CAM_METHODS[k]->ref_raw(&ri, raw);
                if (CAM_METHODS[k]->full_res) memcpy(up, raw, sizeof(float) * IH * IW);
                else ref_cam_upsample(raw, up, 1, a.h, a.w, IH, IW);
                ref_cam_normalise(up, o->cam[k] + (size_t)n * T * IH * IW, 1, IH * IW, T, r);
            }
            free(g), free(up);
        }
        for (int i = 0; i <= L; i++) free(act[i]);
        for (int i = 0; i < L; i++) free(aux[i]);
    }
}

static void read_ds(hid_t f, const char *name, hid_t type, void *buf)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    CHECK(ds >= 0 && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0, "read %s", name);
    if (ds >= 0) H5Dclose(ds);
}

static void check_run(const char *dir, const char *target, int batch, int T)
{
    char data[512], weights[512], out[512], sets[7][600];
    const char *setp[7];
    clcam_config cfg;
    clcam_err err = {0};
    run_report rep = {.quiet = 1};
    model m;
    dataset_reader d;
    unsigned char *img = malloc((size_t)N * IH * IW * 3);
    int labels[N], t = -1, complete = -1;
    outputs ref = {0}, got = {0};
    outputs *all[2] = {&ref, &got};
    for (int k = 0; k < 2; k++) {
        all[k]->logits = calloc(N * CLASSES, sizeof(float));
        all[k]->probs = calloc(N * CLASSES, sizeof(float));
        for (int q = 0; q < NM; q++) {
            all[k]->cam[q] = calloc((size_t)N * T * IH * IW, sizeof(float));
            all[k]->raw[q] = calloc((size_t)N * T * raw_size(q), sizeof(float));
        }
        all[k]->pred = calloc(N, sizeof(int));
        all[k]->target = calloc((size_t)N * T, sizeof(int));
    }
    snprintf(data, sizeof data, "%s/data.h5", dir);
    snprintf(weights, sizeof weights, "%s/weights.h5", dir);
    snprintf(out, sizeof out, "%s/out/results_%d.h5", dir, batch);
    snprintf(sets[0], sizeof sets[0], "data.file=%s", data);
    snprintf(sets[1], sizeof sets[1], "model.weights=%s", weights);
    snprintf(sets[2], sizeof sets[2], "output.file=%s", out);
    snprintf(sets[3], sizeof sets[3], "cam.target=%s", target);
    snprintf(sets[4], sizeof sets[4], "batch=%d", batch);
    snprintf(sets[5], sizeof sets[5], "device=any");
    {
        size_t len = (size_t)snprintf(sets[6], sizeof sets[6], "cam.methods=[");
        for (int k = 0; k < NM; k++)
            len += (size_t)snprintf(sets[6] + len, sizeof sets[6] - len, "%s%s", k ? ", " : "", CAM_METHODS[k]->name);
        snprintf(sets[6] + len, sizeof sets[6] - len, "]");
    }
    for (int i = 0; i < 7; i++) setp[i] = sets[i];
    CHECK(config_load(NULL, setp, 7, &cfg, &err) == CLCAM_OK, "config: %s", err.msg);
    CHECK(run_explain(&cfg, &rep, &err) == CLCAM_OK, "run (%s): %s", target, err.msg);
    test_check_engine(rep.gemm_own);
    CHECK(rep.images == N, "images %ld", rep.images);

    /* The reference, from the same files. */
    CHECK(dataset_open(&d, data, "test", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(dataset_read(&d, 0, N, img, labels, CLASSES, &err) == CLCAM_OK, "%s", err.msg);
    dataset_close(&d);
    CHECK(model_load(&m, "simplecnn", weights, (layer_shape){3, IH, IW}, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(model_check_cam_layer(&m, "conv3", &t, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(m.layers[t].out.h == 5 && m.layers[t].out.w == 3, "conv3 is %dx%d", m.layers[t].out.h, m.layers[t].out.w);
    reference(&m, t, img, labels, &cfg, T, &ref);
    model_free(&m);

    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0, "open %s", out);
    if (f >= 0) {
        hid_t a = H5Aopen(f, "complete", H5P_DEFAULT);
        CHECK(a >= 0 && H5Aread(a, H5T_NATIVE_INT, &complete) >= 0 && complete == 1, "complete = %d", complete);
        if (a >= 0) H5Aclose(a);
        int64_t index[N];
        int label_out[N];
        read_ds(f, "/index", H5T_NATIVE_INT64, index);
        read_ds(f, "/label", H5T_NATIVE_INT, label_out);
        for (int i = 0; i < N; i++) CHECK(index[i] == i && label_out[i] == labels[i], "row %d index/label", i);
        read_ds(f, "/logits", H5T_NATIVE_FLOAT, got.logits);
        read_ds(f, "/probs", H5T_NATIVE_FLOAT, got.probs);
        read_ds(f, "/pred", H5T_NATIVE_INT, got.pred);
        read_ds(f, "/target", H5T_NATIVE_INT, got.target);
        for (int k = 0; k < NM; k++) {
            char name[64];
            snprintf(name, sizeof name, "/%s/cam", CAM_METHODS[k]->name);
            read_ds(f, name, H5T_NATIVE_FLOAT, got.cam[k]);
            snprintf(name, sizeof name, "/%s/cam_raw", CAM_METHODS[k]->name);
            read_ds(f, name, H5T_NATIVE_FLOAT, got.raw[k]);
        }
        H5Fclose(f);
    }
    size_t w;
    double r = test_tol_ratio(got.logits, ref.logits, N * CLASSES, 1e-5, 1e-4, &w);
    CHECK(r <= 1, "%s: logits[%zu] %g vs %g", target, w, (double)got.logits[w], (double)ref.logits[w]);
    r = test_tol_ratio(got.probs, ref.probs, N * CLASSES, 1e-6, 1e-4, &w);
    CHECK(r <= 1, "%s: probs[%zu] %g vs %g", target, w, (double)got.probs[w], (double)ref.probs[w]);
    for (int n = 0; n < N; n++) {
        CHECK(got.pred[n] == ref.pred[n], "%s: image %d pred %d/%d", target, n, got.pred[n], ref.pred[n]);
        for (int q = n * T; q < (n + 1) * T; q++)
            CHECK(got.target[q] == ref.target[q], "%s: image %d target %d/%d", target, n, got.target[q], ref.target[q]);
    }
    for (int k = 0; k < NM; k++) {
        const char *name = CAM_METHODS[k]->name;
        int nonzero = 0;
        /* The same for every method on this fixture (Grad-CAM++ and XGrad-CAM included, whose
         * channel sums of A are not near zero here; see tests/torch_crosscheck.py for conv3
         * of a trained network). */
        double tol = 1e-4;
        int rs = raw_size(k);
        for (int q = 0; q < N * T; q++) {
            const float *gr = got.raw[k] + q * rs, *rr = ref.raw[k] + q * rs;
            float mx = 0;
            for (int p = 0; p < rs; p++) mx = fmaxf(mx, rr[p]);
            nonzero += mx > 0;
            /* Raw maps relative to the image's maximum; normalised maps where that is not tiny. */
            r = test_tol_ratio(gr, rr, rs, tol * mx + 1e-7, 0, &w);
            CHECK(r <= 1, "%s %s: map %d raw[%zu] %g vs %g", target, name, q, w, (double)gr[w], (double)rr[w]);
            if (mx > 1e-3 || mx == 0) {
                const float *gc = got.cam[k] + q * IH * IW, *rc = ref.cam[k] + q * IH * IW;
                r = test_tol_ratio(gc, rc, IH * IW, 10 * tol, 0, &w);
                CHECK(r <= 1, "%s %s: map %d cam[%zu] %g vs %g", target, name, q, w, (double)gc[w], (double)rc[w]);
            }
        }
        CHECK(nonzero >= N * T / 3, "%s %s: only %d of %d maps are non-zero: a weak test", target, name, nonzero, N * T);
    }
    for (int k = 0; k < 2; k++) {
        free(all[k]->logits), free(all[k]->probs);
        for (int q = 0; q < NM; q++) free(all[k]->cam[q]), free(all[k]->raw[q]);
        free(all[k]->pred), free(all[k]->target);
    }
    free(img);
}

/* All of dataset name, as type; *n elements. */
static void *read_all(hid_t f, const char *name, hid_t type, size_t *n)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT), sp = ds >= 0 ? H5Dget_space(ds) : H5I_INVALID_HID;
    hssize_t count = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : 0;
    void *buf = count > 0 ? malloc((size_t)count * H5Tget_size(type)) : NULL;
    CHECK(buf && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0, "read %s", name);
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    *n = (size_t)(count > 0 ? count : 0);
    return buf;
}

/* The fused inference path (CLCAM_FUSE unset) against the unfused one (CLCAM_FUSE=0): every
 * result of every method bitwise equal, at a CAM layer after the fused ReLUs, at a ReLU that
 * would be fused (it must then stay unfused) and before them. */
static void check_fusion(const char *dir, const char *cam_layer, int batch)
{
    static const char *const FLOATS[] = {"/logits", "/probs"}, *const INTS[] = {"/pred", "/target"};
    char sets[8][600], out[2][512];
    const char *setp[8];
    clcam_config cfg;
    clcam_err err = {0};
    model m;
    int t = -1, fused = 0;
    /* which ReLUs run fused for this layer */
    snprintf(out[0], sizeof out[0], "%s/weights.h5", dir);
    CHECK(model_load(&m, "simplecnn", out[0], (layer_shape){3, IH, IW}, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(model_check_cam_layer(&m, cam_layer, &t, &err) == CLCAM_OK, "%s", err.msg);
    for (int i = 0; i < m.n_layers; i++) fused += m.layers[i].kind == LAYER_RELU && m.layers[i].fuse_relu;
    CHECK(fused == (strncmp(cam_layer, "relu", 4) == 0 ? 2 : 3), "%s: %d ReLUs fused", cam_layer, fused);
    CHECK(!m.layers[t].fuse_relu || m.layers[t].kind != LAYER_RELU, "%s is fused", cam_layer);
    model_free(&m);
    for (int k = 0; k < 2; k++) {
        run_report rep = {.quiet = 1};
        snprintf(out[k], sizeof out[k], "%s/out/fuse_%s_%d.h5", dir, cam_layer, k);
        snprintf(sets[0], sizeof sets[0], "data.file=%s/data.h5", dir);
        snprintf(sets[1], sizeof sets[1], "model.weights=%s/weights.h5", dir);
        snprintf(sets[2], sizeof sets[2], "output.file=%s", out[k]);
        snprintf(sets[3], sizeof sets[3], "cam.target={topk: 2}");
        snprintf(sets[4], sizeof sets[4], "batch=%d", batch);
        snprintf(sets[5], sizeof sets[5], "device=any");
        snprintf(sets[6], sizeof sets[6], "cam.layer=%s", cam_layer);
        size_t len = (size_t)snprintf(sets[7], sizeof sets[7], "cam.methods=[");
        for (int q = 0; q < NM; q++)
            len += (size_t)snprintf(sets[7] + len, sizeof sets[7] - len, "%s%s", q ? ", " : "", CAM_METHODS[q]->name);
        snprintf(sets[7] + len, sizeof sets[7] - len, "]");
        for (int i = 0; i < 8; i++) setp[i] = sets[i];
        if (k == 1) setenv("CLCAM_FUSE", "0", 1);
        CHECK(config_load(NULL, setp, 8, &cfg, &err) == CLCAM_OK, "config: %s", err.msg);
        CHECK(run_explain(&cfg, &rep, &err) == CLCAM_OK, "run (%s, fuse %d): %s", cam_layer, !k, err.msg);
        test_check_engine(rep.gemm_own);
        unsetenv("CLCAM_FUSE");
    }
    hid_t f[2] = {H5Fopen(out[0], H5F_ACC_RDONLY, H5P_DEFAULT), H5Fopen(out[1], H5F_ACC_RDONLY, H5P_DEFAULT)};
    CHECK(f[0] >= 0 && f[1] >= 0, "open %s and %s", out[0], out[1]);
    for (int d = 0; f[0] >= 0 && f[1] >= 0 && d < 4 + 2 * NM; d++) {
        char name[64];
        hid_t type = d < 2 || d >= 4 ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT;
        size_t n[2];
        if (d < 2) snprintf(name, sizeof name, "%s", FLOATS[d]);
        else if (d < 4) snprintf(name, sizeof name, "%s", INTS[d - 2]);
        else snprintf(name, sizeof name, "/%s/%s", CAM_METHODS[(d - 4) / 2]->name, d % 2 ? "cam_raw" : "cam");
        void *a = read_all(f[0], name, type, &n[0]), *b = read_all(f[1], name, type, &n[1]);
        CHECK(a && b && n[0] == n[1] && n[0] > 0 && memcmp(a, b, n[0] * H5Tget_size(type)) == 0,
              "%s: %s fused differs from unfused", cam_layer, name);
        free(a), free(b);
    }
    for (int k = 0; k < 2; k++)
        if (f[k] >= 0) H5Fclose(f[k]);
}

int main(void)
{
    const char *dir = test_tmpdir();
    char path[512];
    h5_quiet(0);
    snprintf(path, sizeof path, "%s/data.h5", dir);
    CHECK(fixture_dataset(path, "test", N, IH, IW, CLASSES, 5u) == 0, "write %s", path);
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    CHECK(fixture_simplecnn(path, IH, IW, HIDDEN, CLASSES, 9u) == 0, "write %s", path);
    check_run(dir, "predicted", 16, 1);
    check_run(dir, "label", 37, 1);
    check_run(dir, "3", 1, 1);
    check_run(dir, "{topk: 3}", 15, 3);
    check_fusion(dir, "conv3", 16);
    check_fusion(dir, "relu2", 15);
    check_fusion(dir, "conv1", 37);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (test_failed == 0 && system(path) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_e2e");
}
