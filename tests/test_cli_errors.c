/* Error paths of the clcam binary: exit code and a one-line message naming the thing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "testutil.h"

static char dir[512];

/* Runs clcam with args; checks the exit code and that stderr's first line holds each of
 * the NULL-terminated needles. */
static void expect(int code, const char *args, const char *needle1, const char *needle2)
{
    char cmd[2048], msg[1024];
    snprintf(cmd, sizeof cmd, "cd %s && %s %s", dir, CLCAM_BINARY, args);
    int rc = fixture_run(cmd, msg, sizeof msg);
    CHECK(rc == code, "`clcam %s` exited %d, expected %d (%s)", args, rc, code, msg);
    if (needle1) CHECK(strstr(msg, needle1) != NULL, "`clcam %s`: message lacks '%s': %s", args, needle1, msg);
    if (needle2) CHECK(strstr(msg, needle2) != NULL, "`clcam %s`: message lacks '%s': %s", args, needle2, msg);
}

static void write_text(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "write %s", path);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Weights with one tensor replaced: wrong shape or a NaN. */
static void bad_weights(const char *name, int nan)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(fixture_simplecnn(path, 32, 32, 16, 10, 3u) == 0, "write %s", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "/fc1/weight", H5P_DEFAULT);
    hsize_t dims[2] = {16, nan ? 256 : 100};
    float *w = calloc(16 * 256, sizeof *w);
    if (nan) w[77] = NAN;
    CHECK(fixture_write_floats(f, "/fc1/weight", 2, dims, w) == 0, "rewrite fc1");
    H5Fclose(f);
    free(w);
}

int main(void)
{
    char path[1024];
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    snprintf(path, sizeof path, "%s/data.h5", dir);
    CHECK(fixture_dataset(path, "test", 5, 32, 32, 10, 1u) == 0, "write data");
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    CHECK(fixture_simplecnn(path, 32, 32, 16, 10, 2u) == 0, "write weights");
    bad_weights("shape.h5", 0);
    bad_weights("nan.h5", 1);
    snprintf(path, sizeof path, "%s/labels.h5", dir);
    CHECK(fixture_dataset(path, "test", 5, 32, 32, 12, 1u) == 0, "write data with 12 classes");
    write_text("ok.yaml", "data: {file: data.h5}\nmodel: {weights: weights.h5}\noutput: {file: out/r.h5}\n");
    write_text("layers.yaml",
               "data: {file: data.h5}\noutput: {file: out/l.h5}\ncam: {layer: conv2}\n"
               "model:\n  weights: weights.h5\n  layers:\n"
               "    - {type: conv, name: conv1, out: 8, kernel: 3, padding: 1}\n"
               "    - {type: relu, name: relu1}\n    - {type: maxpool, name: pool1, kernel: 2}\n"
               "    - {type: conv, name: conv2, padding: 1}\n"
               "    - {type: relu, name: relu2}\n    - {type: avgpool, name: pool2, kernel: 2}\n"
               "    - {type: conv, name: conv3, padding: 1}\n"
               "    - {type: relu, name: relu3}\n    - {type: maxpool, name: pool3, kernel: 2, stride: 2}\n"
               "    - {type: flatten, name: flatten}\n    - {type: dropout, name: drop}\n"
               "    - {type: linear, name: fc1}\n"
               "    - {type: relu, name: relu4}\n    - {type: linear, name: fc2, out: 10}\n");
    write_text("typo.yaml", "data:\n  file: data.h5\ncam:\n  lyer: conv3\n");

    expect(0, "--help", NULL, NULL);
    expect(0, "run --help", NULL, NULL);
    expect(2, "frobnicate", "unknown command", "frobnicate");
    expect(2, "run", "expected CONFIG.yaml", NULL);
    expect(2, "run missing.yaml", "missing.yaml", NULL);
    expect(2, "run typo.yaml", "typo.yaml:4", "lyer");
    expect(2, "run ok.yaml --set batch=0", "batch", NULL);
    expect(2, "run ok.yaml --set data.file=nothere.h5", "nothere.h5", NULL);
    expect(2, "run ok.yaml --set data.file=typo.yaml", "typo.yaml", "not an HDF5 file");
    expect(2, "run ok.yaml --set data.split=train", "data.h5", "no dataset /train/images");
    expect(2, "run ok.yaml --set model.weights=shape.h5", "shape.h5", "/fc1/weight has shape [16, 100], expected [*, 256]");
    expect(2, "run ok.yaml --set model.weights=nan.h5", "nan.h5", "non-finite");
    expect(2, "run ok.yaml --set model.weights=data.h5", "data.h5", "no dataset /conv1/weight");
    expect(2, "run ok.yaml --set data.file=labels.h5", "labels.h5", "class_names");
    expect(2, "run ok.yaml --set data.start=5", "data.start", NULL);
    expect(2, "run ok.yaml --set data.count=6", "data.count", NULL);
    expect(2, "run ok.yaml --set cam.layer=fc1", "cam.layer", "conv3");
    expect(2, "run ok.yaml --set cam.layer=conv9", "conv9", NULL);
    expect(2, "run ok.yaml --set cam.target=10", "cam.target", NULL);
    expect(2, "run ok.yaml --device no-such-device-xyz", "no-such-device-xyz", "no such OpenCL device");
    expect(2, "run ok.yaml --bogus", "--bogus", NULL);
    expect(1, "run ok.yaml --quiet --set output.file=ok.yaml/r.h5", "ok.yaml", NULL);
    expect(0, "run ok.yaml --quiet", NULL, NULL);
    /* model.layers: a run, then shape errors before any device work, naming weights and dataset */
    expect(0, "run layers.yaml --quiet", NULL, NULL);
    expect(0, "run layers.yaml --quiet --overwrite --set cam.layer=pool1", NULL, NULL);
    expect(2, "run layers.yaml --set cam.layer=fc1", "cam.layer", "conv1");
    expect(2, "run layers.yaml --set 'model.layers=[{type: conv, name: conv1, out: 9}]'",
           "weights.h5: /conv1/weight has shape [8, 3, 3, 3], expected [9, 3, *, *]", "dataset data.h5");
    expect(2, "run layers.yaml --set 'model.layers=[{type: conv, name: conv1, kernel: 5}]'",
           "expected [*, 3, 5, 5]", "input 3x32x32 from dataset data.h5");
    expect(2, "run layers.yaml --set 'model.layers=[{type: conv, name: conv1, bias: false}]'",
           "layer conv1 says bias: false, but /conv1/bias exists", "weights.h5");
    expect(2, "run layers.yaml --set 'model.layers=[{type: conv, name: conv1}, {type: relu, name: r}, "
           "{type: batchnorm, name: bn}]'", "weights.h5: no dataset /bn/weight",
           "dataset data.h5"); /* not after a conv: on its own, its parameters read (issue 13) */
    expect(2, "run layers.yaml --set 'model.layers=[{type: conv, name: conv1}, {type: batchnorm, name: bn}]'",
           "weights.h5", "no dataset /bn/weight");
    expect(2, "run layers.yaml --set 'model.layers=[{type: conv, name: conv1}, {type: relu, name: r}]'",
           "ends in a 8x30x30 tensor, expected class scores", "dataset data.h5");
    expect(2, "run layers.yaml --set 'model.layers=[{type: linear, name: fc1}]'",
           "needs a flat input", NULL);
    expect(2, "import-cifar10 nothere.tar.gz x.h5", "nothere.tar.gz", NULL);
    expect(2, "selftest --device no-such-device-xyz", "no such OpenCL device", NULL);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (test_failed == 0 && system(path) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_cli_errors");
}
