/* clcam train end to end on a small synthetic dataset whose classes are separable by colour:
 * a short run reaches >= 98% training accuracy; the same seed gives bitwise identical weights;
 * a run killed mid-epoch resumes from its checkpoint, at the epoch the checkpoint recorded and
 * with only the remaining epochs' steps (train --stats), and ends bitwise identical too; the
 * weights file has the contract's layout and attributes. A model with batchnorm trains (batch
 * statistics), evaluates (running statistics), resumes bitwise, and its weights file runs in
 * clcam run (which folds the batchnorm) with the accuracy the trainer measured. */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define H 10
#define W 9
#define CLASSES 3

static const char *PARAMS[] = {"c1/weight", "c1/bias", "c2/weight", "fc/weight", "fc/bias"};
#define N_PARAMS (sizeof PARAMS / sizeof *PARAMS)

/* Images whose class k has channel k brighter, on noise; written as /train and /test. */
static int write_split(hid_t f, const char *split, int n, unsigned seed)
{
    hsize_t dims[4] = {(hsize_t)n, H, W, 3};
    unsigned char *img = malloc((size_t)n * H * W * 3), *lab = malloc((size_t)n);
    char name[64];
    int rc = 0;
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), sp, ds;
    H5Pset_create_intermediate_group(lcpl, 1);
    for (int i = 0; i < n; i++) {
        lab[i] = (unsigned char)(i % CLASSES);
        for (int p = 0; p < H * W; p++)
            for (int c = 0; c < 3; c++) {
                seed = seed * 1664525u + 1013904223u;
                img[((size_t)i * H * W + p) * 3 + c] = (unsigned char)((seed >> 25) + (c == lab[i] ? 110 : 0));
            }
    }
    snprintf(name, sizeof name, "/%s/images", split);
    sp = H5Screate_simple(4, dims, NULL);
    ds = H5Dcreate2(f, name, H5T_STD_U8LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0 || H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, img) < 0) rc = -1;
    H5Dclose(ds), H5Sclose(sp);
    snprintf(name, sizeof name, "/%s/labels", split);
    sp = H5Screate_simple(1, dims, NULL);
    ds = H5Dcreate2(f, name, H5T_STD_U8LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0 || H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab) < 0) rc = -1;
    H5Dclose(ds), H5Sclose(sp), H5Pclose(lcpl);
    free(img), free(lab);
    return rc;
}

static int run(const char *env, const char *cfg, const char *extra)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s '%s' train '%s' --quiet %s 2>%s.log", env, CLCAM_BINARY, cfg, extra, cfg);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + (WIFSIGNALED(rc) ? WTERMSIG(rc) : 0);
}

static double attr_double(hid_t f, const char *name);

/* A resumed run's start: `train --stats`'s resumed_epoch and steps, after the checkpoint
 * recorded ckpt_epochs (read before the run). The run must start at that epoch and take the
 * remaining epochs' steps only, not retrain from epoch 0. Returns the exit status. */
static int run_resumed(const char *cfg, const char *set, const char *ckpt, int epochs, long steps_per_epoch,
                       const char *what)
{
    char extra[1600], json[2048] = "", path[1200], *at;
    int ckpt_epochs = -1, rc;
    long from = -1, steps = -1;
    FILE *fp;
    hid_t f = H5Fopen(ckpt, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        ckpt_epochs = (int)attr_double(f, "epochs");
        H5Fclose(f);
    }
    CHECK(ckpt_epochs >= 1 && ckpt_epochs < epochs, "%s: the checkpoint records %d epochs done", what, ckpt_epochs);
    snprintf(path, sizeof path, "%s.stats", cfg);
    snprintf(extra, sizeof extra, "%s --stats >'%s'", set, path);
    rc = run("", cfg, extra);
    if ((fp = fopen(path, "r"))) {
        if (!fgets(json, sizeof json, fp)) json[0] = '\0';
        fclose(fp);
    }
    if ((at = strstr(json, "\"resumed_epoch\": "))) from = strtol(at + 17, NULL, 10);
    if ((at = strstr(json, "\"steps\": "))) steps = strtol(at + 9, NULL, 10);
    CHECK(from == ckpt_epochs && steps == (epochs - ckpt_epochs) * steps_per_epoch,
          "%s: the checkpoint had %d epochs done; the resumed run started at epoch %ld and took %ld "
          "steps (want %d and %ld)", what, ckpt_epochs, from, steps, ckpt_epochs,
          (epochs - ckpt_epochs) * steps_per_epoch);
    return rc;
}

static double attr_double(hid_t f, const char *name)
{
    double v = -1.0;
    hid_t a = H5Aexists(f, name) > 0 ? H5Aopen(f, name, H5P_DEFAULT) : H5I_INVALID_HID;
    if (a >= 0) {
        if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) v = -1.0;
        H5Aclose(a);
    }
    return v;
}

static const char *BN_PARAMS[] = {"c1/weight", "c1/bias", "bn1/weight", "bn1/bias", "bn1/running_mean",
                                  "bn1/running_var", "c2/weight", "bn2/weight", "bn2/bias",
                                  "bn2/running_mean", "bn2/running_var", "fc/weight", "fc/bias"};

static float *read_list(const char *path, const char *const *names, size_t count, size_t *n);

/* All parameters of a weights file, concatenated; NULL if one is missing. */
static float *read_params(const char *path, size_t *n)
{
    return read_list(path, PARAMS, N_PARAMS, n);
}

static float *read_list(const char *path, const char *const *names, size_t count, size_t *n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    float *all = NULL;
    *n = 0;
    if (f < 0) return NULL;
    for (size_t i = 0; i < count; i++) {
        hid_t ds = H5Dopen2(f, names[i], H5P_DEFAULT), sp;
        hssize_t k;
        if (ds < 0) { free(all); all = NULL; break; }
        sp = H5Dget_space(ds);
        k = H5Sget_simple_extent_npoints(sp);
        all = realloc(all, sizeof(float) * (*n + (size_t)k));
        H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, all + *n);
        *n += (size_t)k;
        H5Sclose(sp), H5Dclose(ds);
    }
    H5Fclose(f);
    return all;
}

/* Accuracy of clcam run's predictions in a results file: pred against label. */
static double results_accuracy(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), dp, dl, sp;
    int32_t *pred, *lab;
    hssize_t n;
    long hits = 0;
    if (f < 0) return -1.0;
    dp = H5Dopen2(f, "pred", H5P_DEFAULT), dl = H5Dopen2(f, "label", H5P_DEFAULT);
    if (dp < 0 || dl < 0) {
        H5Fclose(f);
        return -1.0;
    }
    sp = H5Dget_space(dp);
    n = H5Sget_simple_extent_npoints(sp);
    pred = malloc(sizeof(int32_t) * (size_t)n), lab = malloc(sizeof(int32_t) * (size_t)n);
    H5Dread(dp, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, pred);
    H5Dread(dl, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab);
    for (hssize_t i = 0; i < n; i++) hits += pred[i] == lab[i];
    free(pred), free(lab);
    H5Sclose(sp), H5Dclose(dp), H5Dclose(dl), H5Fclose(f);
    return n > 0 ? (double)hits / (double)n : -1.0;
}

static const char BN_LAYERS[] =
    "  layers:\n"
    "    - {type: conv, name: c1, out: 6, kernel: 3, padding: 1}\n"
    "    - {type: batchnorm, name: bn1}\n"
    "    - {type: relu, name: r1}\n"
    "    - {type: maxpool, name: p1, kernel: 2}\n"
    "    - {type: conv, name: c2, out: 8, kernel: 3, bias: false}\n"
    "    - {type: batchnorm, name: bn2, eps: 0.001}\n"
    "    - {type: relu, name: r2}\n"
    "    - {type: avgpool, name: gap, global: true}\n"
    "    - {type: flatten, name: flat}\n"
    "    - {type: linear, name: fc, out: 3}\n";

static void check_batchnorm(const char *dir, const char *data)
{
    char cfg[1100], rcfg[1100], out[1100], out2[1100], res[1100], ckpt[1200], set[1300], cmd[4096];
    size_t n1 = 0, n2 = 0;
    float *w1, *w2;
    double test = -1.0;
    FILE *fp;
    hid_t f;
    snprintf(cfg, sizeof cfg, "%s/train_bn.yaml", dir);
    snprintf(rcfg, sizeof rcfg, "%s/run_bn.yaml", dir);
    snprintf(out, sizeof out, "%s/bn1.h5", dir);
    snprintf(out2, sizeof out2, "%s/bn2.h5", dir);
    snprintf(res, sizeof res, "%s/bn_results.h5", dir);
    fp = fopen(cfg, "w");
    fprintf(fp, "device: any\ndata: {file: '%s'}\nmodel:\n%strain:\n  epochs: 4\n  batch: 16\n"
            "  lr: {schedule: onecycle, max: 0.1, warmup: 0.2}\n  seed: 5\n", data, BN_LAYERS);
    fclose(fp);
    snprintf(set, sizeof set, "--set 'train.output=%s'", out);
    CHECK(run("", cfg, set) == 0, "batchnorm run failed (see %s.log)", cfg);
    f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0, "no weights file %s", out);
    if (f >= 0) {
        test = attr_double(f, "test_accuracy");
        CHECK(attr_double(f, "train_accuracy") >= 0.9, "batchnorm: train accuracy %.4f",
              attr_double(f, "train_accuracy"));
        CHECK(test >= 0.9, "batchnorm: test accuracy (running statistics) %.4f", test);
        printf("synthetic with batchnorm: test accuracy %.4f\n", test);
        H5Fclose(f);
    }
    w1 = read_list(out, BN_PARAMS, sizeof BN_PARAMS / sizeof *BN_PARAMS, &n1);
    CHECK(w1 != NULL, "batchnorm: gamma, beta, running_mean, running_var in the weights file");
    if (w1) { /* bn1/running_var (6 values after 4 x 6 x 27 and 6) moved away from 1 */
        int moved = 0;
        for (int i = 0; i < 6; i++) moved += w1[6 * 27 + 6 + 6 + 6 + 6 + i] != 1.0f;
        CHECK(moved == 6, "batchnorm: running_var updated (%d of 6)", moved);
    }
    /* killed mid-run and resumed: bitwise the same, running statistics included */
    snprintf(set, sizeof set, "--set 'train.output=%s'", out2);
    CHECK(run("CLCAM_FAULT=kill_after_step:13", cfg, set) == 128 + 9, "batchnorm: the fault should kill the run");
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out2);
    CHECK(access(ckpt, F_OK) == 0, "batchnorm: killed run left a checkpoint");
    CHECK(run_resumed(cfg, set, ckpt, 4, 8, "batchnorm") == 0, "batchnorm: resumed run failed");
    w2 = read_list(out2, BN_PARAMS, sizeof BN_PARAMS / sizeof *BN_PARAMS, &n2);
    CHECK(w1 && w2 && n1 == n2 && memcmp(w1, w2, sizeof(float) * n1) == 0,
          "batchnorm: resumed run differs from an uninterrupted one");
    /* clcam run folds the batchnorm and predicts the test split as the trainer's eval did */
    fp = fopen(rcfg, "w");
    fprintf(fp, "device: any\ndata: {file: '%s', split: test}\nmodel:\n  weights: '%s'\n%s"
            "cam: {methods: [gradcam], layer: r2}\noutput: {file: '%s'}\n", data, out, BN_LAYERS, res);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --quiet 2>%s.log", CLCAM_BINARY, rcfg, rcfg);
    CHECK(system(cmd) == 0, "clcam run on the trained batchnorm model failed (see %s.log)", rcfg);
    double acc = results_accuracy(res);
    CHECK(acc >= 0 && fabs(acc - test) <= 1.5 / 45, "clcam run accuracy %.4f vs the trainer's %.4f", acc, test);
    free(w1), free(w2);
}

int main(void)
{
    const char *dir = test_tmpdir();
    char data[1100], cfg[1100], out1[1100], out2[1100], out3[1100], ckpt[1200], set[1300];
    FILE *fp;
    hid_t f;
    size_t n1 = 0, n2 = 0, n3 = 0;
    float *w1, *w2, *w3;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    CHECK(dir != NULL, "temp dir");
    if (!dir) return test_finish("test_train_run");
    snprintf(data, sizeof data, "%s/synth.h5", dir);
    snprintf(cfg, sizeof cfg, "%s/train.yaml", dir);
    snprintf(out1, sizeof out1, "%s/w1.h5", dir);
    snprintf(out2, sizeof out2, "%s/w2.h5", dir);
    snprintf(out3, sizeof out3, "%s/w3.h5", dir);
    f = H5Fcreate(data, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(f >= 0 && write_split(f, "train", 120, 1u) == 0 && write_split(f, "test", 45, 2u) == 0,
          "synthetic dataset");
    H5Fclose(f);
    fp = fopen(cfg, "w");
    fprintf(fp,
            "device: any\n"
            "data: {file: '%s'}\n"
            "model:\n"
            "  layers:\n"
            "    - {type: conv, name: c1, out: 6, kernel: 3, padding: 1}\n"
            "    - {type: relu, name: r1}\n"
            "    - {type: maxpool, name: p1, kernel: 2}\n"
            "    - {type: conv, name: c2, out: 8, kernel: 3, bias: false}\n"
            "    - {type: relu, name: r2}\n"
            "    - {type: avgpool, name: gap, global: true}\n"
            "    - {type: flatten, name: flat}\n"
            "    - {type: dropout, name: drop}\n"
            "    - {type: linear, name: fc, out: 3}\n"
            "train:\n"
            "  epochs: 8\n"
            "  batch: 16\n"
            "  lr: {schedule: onecycle, max: 0.1, warmup: 0.2}\n"
            "  augment: {crop_pad: 2, flip: true}\n"
            "  seed: 11\n",
            data);
    fclose(fp);

    snprintf(set, sizeof set, "--set 'train.output=%s'", out1);
    CHECK(run("", cfg, set) == 0, "first run failed (see %s.log)", cfg);
    f = H5Fopen(out1, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0, "no weights file %s", out1);
    if (f >= 0) {
        double acc = attr_double(f, "train_accuracy"), test = attr_double(f, "test_accuracy");
        CHECK(acc >= 0.98, "training accuracy %.4f < 0.98", acc);
        CHECK(test >= 0.9, "test accuracy %.4f", test);
        CHECK(attr_double(f, "final_train_loss") > 0, "final_train_loss attribute");
        CHECK(H5Aexists(f, "input_mean") > 0 && H5Aexists(f, "input_std") > 0 &&
              H5Aexists(f, "training_config") > 0 && H5Aexists(f, "epochs") > 0, "attributes");
        CHECK(H5Lexists(f, "c2", H5P_DEFAULT) > 0 && H5Lexists(f, "c2/bias", H5P_DEFAULT) == 0,
              "bias: false writes no bias");
        CHECK(H5Lexists(f, "train_state", H5P_DEFAULT) == 0, "no training state in the weights file");
        printf("synthetic: train accuracy %.4f, test accuracy %.4f\n", acc, test);
        H5Fclose(f);
    }
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out1);
    CHECK(access(ckpt, F_OK) != 0, "checkpoint removed after the final write");

    /* the same seed: bitwise the same weights */
    snprintf(set, sizeof set, "--set 'train.output=%s'", out2);
    CHECK(run("", cfg, set) == 0, "second run failed");
    w1 = read_params(out1, &n1);
    w2 = read_params(out2, &n2);
    CHECK(w1 && w2 && n1 == n2 && n1 > 0 && memcmp(w1, w2, sizeof(float) * n1) == 0,
          "same seed, different weights");

    /* killed in epoch 3 (8 steps per epoch), then resumed: the same weights again */
    snprintf(set, sizeof set, "--set 'train.output=%s'", out3);
    CHECK(run("CLCAM_FAULT=kill_after_step:20", cfg, set) == 128 + 9, "the fault should kill the run");
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out3);
    CHECK(access(ckpt, F_OK) == 0 && access(out3, F_OK) != 0, "killed: a checkpoint, no weights file");
    CHECK(run_resumed(cfg, set, ckpt, 8, 8, "killed at step 20") == 0, "resumed run failed");
    w3 = read_params(out3, &n3);
    CHECK(w1 && w3 && n1 == n3 && memcmp(w1, w3, sizeof(float) * n1) == 0,
          "resumed run differs from an uninterrupted one");
    /* a checkpoint of another config is refused */
    CHECK(run("CLCAM_FAULT=kill_after_checkpoint:1", cfg, set) == 128 + 9, "kill after checkpoint 1");
    snprintf(set, sizeof set, "--set 'train.output=%s' --set train.seed=12", out3);
    CHECK(run("", cfg, set) == 2, "a checkpoint of another config must be refused (exit 2)");
    /* a different seed: different weights */
    snprintf(set, sizeof set, "--set 'train.output=%s' --set train.seed=12 --set train.epochs=1", out2);
    unlink(ckpt);
    CHECK(run("", cfg, set) == 0, "seed 12 run failed");
    free(w2);
    w2 = read_params(out2, &n2);
    CHECK(w1 && w2 && n1 == n2 && memcmp(w1, w2, sizeof(float) * n1) != 0, "another seed, same weights");
    free(w1), free(w2), free(w3);
    check_batchnorm(dir, data);
    return test_finish("test_train_run");
}
