/* clcam train end to end on a small synthetic dataset whose classes are separable by colour:
 * a short run reaches >= 98% training accuracy; the same seed gives bitwise identical weights;
 * a run killed mid-epoch resumes from its checkpoint and ends bitwise identical too; the
 * weights file has the contract's layout and attributes. */
#include <hdf5.h>
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

/* All parameters of a weights file, concatenated; NULL if one is missing. */
static float *read_params(const char *path, size_t *n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    float *all = NULL;
    *n = 0;
    if (f < 0) return NULL;
    for (size_t i = 0; i < N_PARAMS; i++) {
        hid_t ds = H5Dopen2(f, PARAMS[i], H5P_DEFAULT), sp;
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
    CHECK(run("", cfg, set) == 0, "resumed run failed");
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
    return test_finish("test_train_run");
}
