/* io/config: defaults, the shipped config, a full file, every kind of error (status and the
 * file:line:key in the message), --set overrides, and the config_to_yaml round trip. */
#include "io/config.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[1024];

/* Writes text to tmpdir/name; returns the path in a static buffer per slot. */
static const char *write_tmp(const char *name, const char *text)
{
    static char paths[4][1200];
    static int slot;
    char *p = paths[slot++ % 4];
    FILE *f;
    snprintf(p, sizeof paths[0], "%s/%s", tmpdir, name);
    f = fopen(p, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", p);
        exit(1);
    }
    return p;
}

static int config_equal(const clcam_config *a, const clcam_config *b)
{
    int i;
    if (strcmp(a->device, b->device) || a->batch != b->batch) return 0;
    if (strcmp(a->data_file, b->data_file) || strcmp(a->data_split, b->data_split)) return 0;
    if (a->data_start != b->data_start || a->data_count != b->data_count) return 0;
    if (a->pre_scale != b->pre_scale) return 0;
    for (i = 0; i < 3; i++)
        if (a->pre_mean[i] != b->pre_mean[i] || a->pre_std[i] != b->pre_std[i]) return 0;
    if (strcmp(a->model_weights, b->model_weights) || strcmp(a->model_arch, b->model_arch))
        return 0;
    if (a->model_n_layers != b->model_n_layers) return 0;
    for (i = 0; i < a->model_n_layers; i++)
        if (memcmp(&a->model_layers[i], &b->model_layers[i], sizeof a->model_layers[i])) return 0;
    if (a->cam_n_methods != b->cam_n_methods) return 0;
    for (i = 0; i < a->cam_n_methods; i++)
        if (strcmp(a->cam_methods[i], b->cam_methods[i])) return 0;
    if (strcmp(a->cam_layer, b->cam_layer) || a->cam_target != b->cam_target) return 0;
    if (a->cam_target == CAM_TARGET_CLASS && a->cam_target_class != b->cam_target_class)
        return 0;
    if (a->cam_target == CAM_TARGET_TOPK && a->cam_target_k != b->cam_target_k) return 0;
    if (a->cam_seed != b->cam_seed) return 0;
    if (a->cam_n_metrics != b->cam_n_metrics || a->cam_metric_steps != b->cam_metric_steps ||
        a->cam_n_road_percentiles != b->cam_n_road_percentiles ||
        a->cam_road_noise != b->cam_road_noise || a->cam_confidence_space != b->cam_confidence_space)
        return 0;
    for (i = 0; i < a->cam_n_metrics; i++)
        if (strcmp(a->cam_metrics[i], b->cam_metrics[i])) return 0;
    for (i = 0; i < a->cam_n_road_percentiles; i++)
        if (a->cam_road_percentiles[i] != b->cam_road_percentiles[i]) return 0;
    if (strcmp(a->train_split, b->train_split) || a->train_epochs != b->train_epochs ||
        a->train_batch != b->train_batch || a->train_lr_schedule != b->train_lr_schedule ||
        a->train_lr_max != b->train_lr_max || a->train_lr_warmup != b->train_lr_warmup ||
        a->train_momentum != b->train_momentum || a->train_nesterov != b->train_nesterov ||
        a->train_weight_decay != b->train_weight_decay || a->train_crop_pad != b->train_crop_pad ||
        a->train_flip != b->train_flip || a->train_seed != b->train_seed ||
        strcmp(a->train_eval_split, b->train_eval_split) || strcmp(a->train_output, b->train_output) ||
        strcmp(a->train_init, b->train_init))
        return 0;
    return strcmp(a->output_file, b->output_file) == 0 &&
           a->output_compression == b->output_compression;
}

/* Loads path/sets expecting failure with status st and every needle in the message. */
static void expect_fail_at(int line, const char *path, const char *const *sets, int n_sets,
                           clcam_status st, const char *n1, const char *n2, const char *n3)
{
    clcam_config cfg, before;
    clcam_err err = {0};
    clcam_status got;
    config_defaults(&cfg);
    cfg.batch = 12345; /* must survive a failed load */
    before = cfg;
    got = config_load(path, sets, n_sets, &cfg, &err);
    CHECK(got == st, "line %d: status %d, expected %d (%s)", line, got, st, err.msg);
    CHECK(err.status == st, "line %d: err.status %d", line, err.status);
    CHECK(strchr(err.msg, '\n') == NULL, "line %d: message has a newline: %s", line, err.msg);
    CHECK(!n1 || strstr(err.msg, n1), "line %d: '%s' not in: %s", line, n1, err.msg);
    CHECK(!n2 || strstr(err.msg, n2), "line %d: '%s' not in: %s", line, n2, err.msg);
    CHECK(!n3 || strstr(err.msg, n3), "line %d: '%s' not in: %s", line, n3, err.msg);
    CHECK(config_equal(&cfg, &before) && cfg.batch == 12345, "line %d: cfg changed on error",
          line);
}
#define EXPECT_FILE_FAIL(text, n1, n2, n3)                                                     \
    expect_fail_at(__LINE__, write_tmp("bad.yaml", text), NULL, 0, CLCAM_ERR_INPUT, n1, n2, n3)
#define EXPECT_SET_FAIL(set, st, n1, n2, n3)                                                   \
    do {                                                                                       \
        const char *sets_[] = {set};                                                           \
        expect_fail_at(__LINE__, NULL, sets_, 1, st, n1, n2, n3);                              \
    } while (0)

static void test_defaults(void)
{
    clcam_config d, cfg;
    clcam_err err = {0};
    config_defaults(&d);
    CHECK(strcmp(d.device, "any") == 0 && d.batch == 0, "device/batch (0: auto)");
    CHECK(strcmp(d.data_file, "data/cifar10.h5") == 0 && strcmp(d.data_split, "test") == 0,
          "data");
    CHECK(d.data_start == 0 && d.data_count == -1, "start/count");
    CHECK(d.pre_scale == 1.0f / 255.0f, "scale %g", (double)d.pre_scale);
    CHECK(d.pre_mean[0] == 0.4914f && d.pre_mean[2] == 0.4465f && d.pre_std[1] == 0.2435f,
          "mean/std");
    CHECK(strcmp(d.model_weights, "models/simplecnn_cifar10.h5") == 0, "weights");
    CHECK(strcmp(d.model_arch, "simplecnn") == 0, "arch");
    CHECK(d.cam_n_methods == 1 && strcmp(d.cam_methods[0], "gradcam") == 0, "methods");
    CHECK(strcmp(d.cam_layer, "conv3") == 0 && d.cam_target == CAM_TARGET_PREDICTED, "cam");
    CHECK(strcmp(d.output_file, "results/cifar10_test_gradcam.h5") == 0, "output");
    CHECK(d.output_compression == 4, "compression");

    CHECK(config_load(NULL, NULL, 0, &cfg, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(config_equal(&cfg, &d), "no file, no sets: defaults");
    /* An empty file and a file of comments leave every default. */
    CHECK(config_load(write_tmp("empty.yaml", ""), NULL, 0, &cfg, &err) == CLCAM_OK, "%s",
          err.msg);
    CHECK(config_equal(&cfg, &d), "empty file: defaults");
    CHECK(config_load(write_tmp("comments.yaml", "# nothing\n"), NULL, 0, &cfg, &err) ==
              CLCAM_OK, "%s", err.msg);
    CHECK(config_equal(&cfg, &d), "comments only: defaults");
    /* Omitted sections keep their defaults. */
    CHECK(config_load(write_tmp("partial.yaml", "batch: 8\ncam:\n  layer: conv2\n"), NULL, 0,
                      &cfg, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cfg.batch == 8 && strcmp(cfg.cam_layer, "conv2") == 0, "partial keys applied");
    CHECK(strcmp(cfg.data_file, d.data_file) == 0 && cfg.cam_target == d.cam_target &&
              cfg.output_compression == 4, "partial: others default");
}

static void test_shipped(void)
{
    clcam_config d, cfg;
    clcam_err err = {0};
    config_defaults(&d);
    CHECK(config_load(CLCAM_SOURCE_DIR "/configs/cifar10_gradcam.yaml", NULL, 0, &cfg, &err) ==
              CLCAM_OK, "%s", err.msg);
    CHECK(config_equal(&cfg, &d), "the shipped config is the contract's defaults");
}

/* configs/imagefolder_example.yaml loads and says what its comments promise. */
static void test_imagefolder_example(void)
{
    clcam_config cfg;
    clcam_err err = {0};
    CHECK(config_load(CLCAM_SOURCE_DIR "/configs/imagefolder_example.yaml", NULL, 0, &cfg, &err) ==
              CLCAM_OK, "%s", err.msg);
    CHECK(strcmp(cfg.data_file, "data/images.h5") == 0 && strcmp(cfg.cam_layer, "auto") == 0 &&
              strcmp(cfg.model_onnx, "models/resnet18.onnx") == 0 &&
              cfg.output_cam_dtype == 2 && fabsf(cfg.pre_mean[0] - 0.485f) < 1e-6f &&
              fabsf(cfg.pre_std[2] - 0.225f) < 1e-6f,
          "imagefolder_example: data.file %s, cam.layer %s, cam_dtype %d", cfg.data_file, cfg.cam_layer,
          cfg.output_cam_dtype);
    const char *sets[] = {"output.cam_dtype=float16"}, *bad[] = {"output.cam_dtype=int8"};
    err.msg[0] = 0;
    CHECK(config_load(NULL, sets, 1, &cfg, &err) == CLCAM_OK && cfg.output_cam_dtype == 1, "%s", err.msg);
    CHECK(config_load(NULL, bad, 1, &cfg, &err) != CLCAM_OK && strstr(err.msg, "float32, float16 or uint8"),
          "output.cam_dtype=int8 must be refused naming the choices: %s", err.msg);
}

static void test_full_file(void)
{
    clcam_config cfg;
    clcam_err err = {0};
    const char *p = write_tmp("full.yaml",
                              "# every key, none at its default\n"
                              "device: \"gpu:1\"\n"
                              "batch: 32\n"
                              "data:\n"
                              "  file: /tmp/some data.h5\n"
                              "  split: train\n"
                              "  start: 100\n"
                              "  count: 500\n"
                              "preprocess:\n"
                              "  scale: 1.0\n"
                              "  mean: [0.5, 0.25, -0.125]\n"
                              "  std:\n"
                              "    - 0.5\n"
                              "    - 1\n"
                              "    - 2e-1\n"
                              "model: {weights: w.h5, arch: simplecnn}\n"
                              "cam:\n"
                              "  methods: [gradcam]\n"
                              "  layer: features.3\n"
                              "  target: 7\n"
                              "output:\n"
                              "  file: out.h5\n"
                              "  compression: 0\n");
    CHECK(config_load(p, NULL, 0, &cfg, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(strcmp(cfg.device, "gpu:1") == 0 && cfg.batch == 32, "device/batch");
    CHECK(strcmp(cfg.data_file, "/tmp/some data.h5") == 0 && strcmp(cfg.data_split, "train") == 0,
          "data file/split");
    CHECK(cfg.data_start == 100 && cfg.data_count == 500, "start/count");
    CHECK(cfg.pre_scale == 1.0f, "scale");
    CHECK(cfg.pre_mean[0] == 0.5f && cfg.pre_mean[1] == 0.25f && cfg.pre_mean[2] == -0.125f,
          "mean");
    CHECK(cfg.pre_std[0] == 0.5f && cfg.pre_std[1] == 1.0f && cfg.pre_std[2] == 0.2f, "std");
    CHECK(strcmp(cfg.model_weights, "w.h5") == 0 && strcmp(cfg.model_arch, "simplecnn") == 0,
          "model");
    CHECK(cfg.cam_n_methods == 1 && strcmp(cfg.cam_methods[0], "gradcam") == 0, "methods");
    CHECK(strcmp(cfg.cam_layer, "features.3") == 0, "layer");
    CHECK(cfg.cam_target == CAM_TARGET_CLASS && cfg.cam_target_class == 7, "target");
    CHECK(strcmp(cfg.output_file, "out.h5") == 0 && cfg.output_compression == 0, "output");

    CHECK(config_load(write_tmp("t.yaml", "cam:\n  target: label\n"), NULL, 0, &cfg, &err) ==
              CLCAM_OK, "%s", err.msg);
    CHECK(cfg.cam_target == CAM_TARGET_LABEL, "target label");
}

static void test_file_errors(void)
{
    /* Unknown keys, nested and top level, name the full key and the allowed ones. */
    EXPECT_FILE_FAIL("batch: 4\ndata:\n  file: x.h5\n\ncam:\n  layer: conv2\n  lyer: conv3\n",
                     "bad.yaml:7: unknown key 'cam.lyer'", "(expected one of: methods, layer, target, metrics, metric_steps, road_percentiles, "
                     "road_noise, confidence_space, seed)",
                     NULL);
    EXPECT_FILE_FAIL("device: any\nbatchsize: 4\n", "bad.yaml:2: unknown key 'batchsize'",
                     "device, batch, data, preprocess, model, cam, output", NULL);
    EXPECT_FILE_FAIL("data:\n  file: a\n  file: b\n", "bad.yaml:3: duplicate key 'data.file'",
                     "first at line 2", NULL);
    EXPECT_FILE_FAIL("batch: 1\nbatch: 2\n", "bad.yaml:2: duplicate key 'batch'", NULL, NULL);

    /* Wrong types. */
    EXPECT_FILE_FAIL("device: any\nbatch: [1, 2]\n", "bad.yaml:2: batch: expected an integer >= 1",
                     "got a list", NULL);
    EXPECT_FILE_FAIL("cam:\n  layer: {a: 1}\n", "bad.yaml:2: cam.layer", "got a mapping", NULL);
    EXPECT_FILE_FAIL("cam: conv3\n", "bad.yaml:1: cam: expected a mapping",
                     "methods, layer, target", "got 'conv3'");
    EXPECT_FILE_FAIL("model:\n", "bad.yaml:1: model: expected a mapping", NULL, NULL);
    EXPECT_FILE_FAIL("- batch: 1\n", "bad.yaml:1: top level: expected a mapping", "got a list",
                     NULL);
    EXPECT_FILE_FAIL("just text\n", "bad.yaml:1: top level: expected a mapping", NULL, NULL);
    EXPECT_FILE_FAIL("? [a, b]\n: 1\n", "bad.yaml:1: top level: expected a key name", NULL, NULL);
    EXPECT_FILE_FAIL("preprocess:\n  mean: 0.5\n", "bad.yaml:2: preprocess.mean",
                     "expected a list of 3 numbers", NULL);
    EXPECT_FILE_FAIL("cam:\n  methods: gradcam\n", "bad.yaml:2: cam.methods", "expected a list",
                     "supported: gradcam");
    EXPECT_FILE_FAIL("model:\n  arch: [conv, relu]\n", "bad.yaml:2: model.arch", "got a list",
                     NULL);

    /* Numbers that do not fully parse or are out of range. */
    EXPECT_FILE_FAIL("batch: abc\n", "bad.yaml:1: batch: expected an integer >= 1 or 'auto', got 'abc'",
                     NULL, NULL);
    EXPECT_FILE_FAIL("\n\nbatch: 0\n", "bad.yaml:3: batch", "got '0'", NULL);
    EXPECT_FILE_FAIL("batch: 1.5\n", "bad.yaml:1: batch", "got '1.5'", NULL);
    EXPECT_FILE_FAIL("batch: 12abc\n", "bad.yaml:1: batch", "got '12abc'", NULL);
    EXPECT_FILE_FAIL("batch: 99999999999999999999\n", "bad.yaml:1: batch", NULL, NULL);
    EXPECT_FILE_FAIL("batch:\n", "bad.yaml:1: batch", NULL, NULL);
    EXPECT_FILE_FAIL("output:\n  file: o.h5\n  compression: 10\n",
                     "bad.yaml:3: output.compression: expected an integer in 0..9, got '10'", NULL,
                     NULL);
    EXPECT_FILE_FAIL("output:\n  compression: -1\n", "bad.yaml:2: output.compression", NULL, NULL);
    EXPECT_FILE_FAIL("data:\n  start: -1\n", "bad.yaml:2: data.start", "integer >= 0", NULL);
    EXPECT_FILE_FAIL("data:\n  count: 0\n", "bad.yaml:2: data.count", "or 'all'", NULL);
    EXPECT_FILE_FAIL("data:\n  count: ALL\n", "bad.yaml:2: data.count", NULL, NULL);
    EXPECT_FILE_FAIL("preprocess:\n  std: [0.2, 0, 0.3]\n", "bad.yaml:2: preprocess.std",
                     "numbers > 0", "got '0'");
    EXPECT_FILE_FAIL("preprocess:\n  std:\n    - 0.2\n    - 0.1\n    - -1\n",
                     "bad.yaml:5: preprocess.std", "got '-1'", NULL);
    EXPECT_FILE_FAIL("preprocess:\n  mean: [0.5, 0.5]\n", "bad.yaml:2: preprocess.mean",
                     "got 2 items", NULL);
    EXPECT_FILE_FAIL("preprocess:\n  mean: [0.5, nan, 0.5]\n", "bad.yaml:2: preprocess.mean",
                     "got 'nan'", NULL);
    EXPECT_FILE_FAIL("preprocess:\n  scale: 0\n", "bad.yaml:2: preprocess.scale", "> 0", NULL);
    EXPECT_FILE_FAIL("preprocess:\n  scale: .inf\n", "bad.yaml:2: preprocess.scale", NULL, NULL);
    EXPECT_FILE_FAIL("preprocess:\n  scale: 1e39\n", "bad.yaml:2: preprocess.scale", NULL, NULL);
    EXPECT_FILE_FAIL("preprocess:\n  scale: 1e-50\n", "bad.yaml:2: preprocess.scale", NULL, NULL);
    EXPECT_FILE_FAIL("preprocess:\n  scale: 0.5x\n", "bad.yaml:2: preprocess.scale", NULL, NULL);

    /* Strings and names. */
    EXPECT_FILE_FAIL("model:\n  arch: resnet18\n",
                     "bad.yaml:2: model.arch: unsupported arch 'resnet18' (supported: simplecnn, layers)",
                     NULL, NULL);
    EXPECT_FILE_FAIL("cam:\n  methods:\n    - gradcam\n    - scorecamm\n",
                     "bad.yaml:4: cam.methods: unknown method 'scorecamm' (supported: gradcam, ",
                     NULL, NULL);
    EXPECT_FILE_FAIL("cam:\n  methods: [gradcam, gradcam]\n", "bad.yaml:2: cam.methods",
                     "duplicate method 'gradcam'", NULL);
    EXPECT_FILE_FAIL("cam:\n  methods: []\n", "bad.yaml:2: cam.methods", "got 0", NULL);
    EXPECT_FILE_FAIL("cam:\n  methods: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n",
                     "bad.yaml:2: cam.methods", "got 17", NULL);
    EXPECT_FILE_FAIL("cam:\n  seed: -1\n", "bad.yaml:2: cam.seed", "an integer in 0..4294967295", NULL);
    EXPECT_FILE_FAIL("cam:\n  seed: 4294967296\n", "bad.yaml:2: cam.seed", NULL, NULL);
    EXPECT_FILE_FAIL("cam:\n  layer: \"conv 3\"\n", "bad.yaml:2: cam.layer",
                     "expected a layer name, a module path (letters, digits and '_' in parts "
                     "joined by single dots", "got 'conv 3'");
    EXPECT_FILE_FAIL("cam:\n  layer: ''\n", "bad.yaml:2: cam.layer", "empty", NULL);
    EXPECT_FILE_FAIL("cam:\n  target: -1\n", "bad.yaml:2: cam.target",
                     "'predicted', 'label', a class index >= 0 or {topk: K}", "got '-1'");
    EXPECT_FILE_FAIL("cam:\n  target: {topk: 0}\n", "bad.yaml:2: cam.target", "{topk: K} with K in 1..16", NULL);
    EXPECT_FILE_FAIL("cam:\n  target: {top: 3}\n", "bad.yaml:2: cam.target", NULL, NULL);
    EXPECT_FILE_FAIL("cam:\n  target: {topk: 2, x: 1}\n", "bad.yaml:2: cam.target", NULL, NULL);
    EXPECT_FILE_FAIL("cam:\n  target: predict\n", "bad.yaml:2: cam.target", NULL, NULL);
    EXPECT_FILE_FAIL("device: \"\"\n", "bad.yaml:1: device", "empty", NULL);
    {
        char text[1200];
        memset(text, 'a', sizeof text);
        memcpy(text, "output:\n  file: ", 16);
        text[sizeof text - 2] = '\n';
        text[sizeof text - 1] = '\0';
        EXPECT_FILE_FAIL(text, "bad.yaml:2: output.file", "at most 1023 bytes", NULL);
    }

    /* YAML itself. */
    EXPECT_FILE_FAIL("batch: 4\ndata:\n  file: [a\n  split: x\n", "bad.yaml:4: YAML syntax error: ",
                     "at line 3)", NULL);
    EXPECT_FILE_FAIL("batch: 4\n  device: any\n", "bad.yaml:2: YAML syntax error", NULL, NULL);
    EXPECT_FILE_FAIL("batch: *nope\n", "bad.yaml:1: YAML syntax error", NULL, NULL);
    EXPECT_FILE_FAIL("batch: 4\n---\nbatch: 5\n", "bad.yaml:3: expected a single YAML document",
                     NULL, NULL);
    EXPECT_FILE_FAIL("batch: \"\xff\"\n", "bad.yaml", "YAML syntax error", NULL);

    /* The file itself. */
    {
        char missing[1200];
        snprintf(missing, sizeof missing, "%s/no-such.yaml", tmpdir);
        expect_fail_at(__LINE__, missing, NULL, 0, CLCAM_ERR_INPUT, "no-such.yaml: cannot open config: ",
                       "No such file", NULL);
        expect_fail_at(__LINE__, tmpdir, NULL, 0, CLCAM_ERR_INPUT, tmpdir, "config", NULL);
    }
}

static void round_trip(const char *what, const clcam_config *in);

static void test_sets(void)
{
    clcam_config cfg;
    clcam_err err = {0};
    const char *p = write_tmp("base.yaml", "batch: 4\ndata:\n  count: 100\ncam:\n  layer: conv1\n");
    const char *sets[] = {"batch=64",
                          "preprocess.mean=[0.5,0.5,0.5]",
                          "cam.methods=[gradcam]",
                          "data.count=all",
                          "device=gpu:1",
                          "data.file=my data/c10.h5",
                          "cam={layer: conv2, target: label}",
                          "output.compression=9",
                          "output.compression=1"};
    CHECK(config_load(p, sets, (int)(sizeof sets / sizeof *sets), &cfg, &err) == CLCAM_OK, "%s",
          err.msg);
    CHECK(cfg.batch == 64, "batch %d", cfg.batch);
    CHECK(cfg.pre_mean[0] == 0.5f && cfg.pre_mean[1] == 0.5f && cfg.pre_mean[2] == 0.5f, "mean");
    CHECK(cfg.cam_n_methods == 1 && strcmp(cfg.cam_methods[0], "gradcam") == 0, "methods");
    CHECK(cfg.data_count == -1, "count all overrides the file's 100");
    CHECK(strcmp(cfg.device, "gpu:1") == 0, "device '%s'", cfg.device);
    CHECK(strcmp(cfg.data_file, "my data/c10.h5") == 0, "file '%s'", cfg.data_file);
    CHECK(strcmp(cfg.cam_layer, "conv2") == 0 && cfg.cam_target == CAM_TARGET_LABEL,
          "a section set as a mapping");
    CHECK(cfg.output_compression == 1, "the last --set wins");
    {
        const char *s2[] = {"data.count=10", "cam.target=3", "preprocess.std=[1, 2, 3]"};
        CHECK(config_load(NULL, s2, 3, &cfg, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cfg.data_count == 10 && cfg.cam_target == CAM_TARGET_CLASS &&
                  cfg.cam_target_class == 3 && cfg.pre_std[2] == 3.0f, "count/target/std");
    }

    EXPECT_SET_FAIL("batch=x", CLCAM_ERR_INPUT, "--set batch: expected an integer >= 1 or 'auto', got 'x'",
                    NULL, NULL);
    EXPECT_SET_FAIL("batch=0", CLCAM_ERR_INPUT, "--set batch:", "got '0'", NULL);
    {
        const char *autos[] = {"batch=auto"};
        clcam_config a;
        clcam_err e = {0};
        CHECK(config_load(write_tmp("auto.yaml", "batch: 16\n"), autos, 1, &a, &e) == CLCAM_OK &&
                  a.batch == 0, "--set batch=auto: %s, batch %d", e.msg, a.batch);
        CHECK(config_load(write_tmp("auto.yaml", "batch: auto\n"), NULL, 0, &a, &e) == CLCAM_OK &&
                  a.batch == 0, "batch: auto: %s, batch %d", e.msg, a.batch);
    }
    EXPECT_SET_FAIL("batch", CLCAM_ERR_USAGE, "--set batch: expected KEY=VALUE", NULL, NULL);
    EXPECT_SET_FAIL("=5", CLCAM_ERR_USAGE, "expected KEY=VALUE", NULL, NULL);
    EXPECT_SET_FAIL("cam.lyer=conv2", CLCAM_ERR_INPUT, "--set cam.lyer: unknown key",
                    "methods, layer, target", NULL);
    EXPECT_SET_FAIL("camera.layer=conv2", CLCAM_ERR_INPUT, "--set camera.layer: unknown key",
                    "device, batch, data", NULL);
    EXPECT_SET_FAIL("cam.layer.x=conv2", CLCAM_ERR_INPUT, "--set cam.layer.x: unknown key",
                    "methods, layer, target", NULL);
    EXPECT_SET_FAIL("cam={lyer: x}", CLCAM_ERR_INPUT, "--set cam.lyer: unknown key", NULL, NULL);
    EXPECT_SET_FAIL("cam={layer: a, layer: b}", CLCAM_ERR_INPUT, "--set cam.layer: duplicate key",
                    NULL, NULL);
    EXPECT_SET_FAIL("batch=1\n---\n2", CLCAM_ERR_INPUT, "--set batch: expected a single", NULL,
                    NULL);
    EXPECT_SET_FAIL("cam.layer=", CLCAM_ERR_INPUT, "--set cam.layer:", "empty", NULL);
    EXPECT_SET_FAIL("cam=", CLCAM_ERR_INPUT, "--set cam: expected a mapping", "got nothing", NULL);
    EXPECT_SET_FAIL("preprocess.std=[1,0,1]", CLCAM_ERR_INPUT, "--set preprocess.std:",
                    "got '0'", NULL);
    EXPECT_SET_FAIL("preprocess.mean=0.5", CLCAM_ERR_INPUT, "--set preprocess.mean:",
                    "list of 3 numbers", NULL);
    EXPECT_SET_FAIL("cam.methods=[gradcam, gradcamxx]", CLCAM_ERR_INPUT, "--set cam.methods:",
                    "unknown method 'gradcamxx' (supported: gradcam, gradcampp", NULL);
    EXPECT_SET_FAIL("batch=[1", CLCAM_ERR_INPUT, "--set batch: YAML syntax error", NULL, NULL);
    /* cam.metrics and its settings (issue 15) */
    EXPECT_SET_FAIL("cam.metrics=[deletion, rise]", CLCAM_ERR_INPUT, "--set cam.metrics:",
                    "unknown metric 'rise'", "road_combined");
    EXPECT_SET_FAIL("cam.metrics=[deletion, deletion]", CLCAM_ERR_INPUT, "--set cam.metrics:",
                    "duplicate metric 'deletion'", NULL);
    EXPECT_SET_FAIL("cam.metrics=deletion", CLCAM_ERR_INPUT, "--set cam.metrics:", "a list of metrics",
                    NULL);
    EXPECT_SET_FAIL("cam.metric_steps=1", CLCAM_ERR_INPUT, "--set cam.metric_steps:", "2..256", NULL);
    EXPECT_SET_FAIL("cam.road_percentiles=[40, 20]", CLCAM_ERR_INPUT, "--set cam.road_percentiles:",
                    "ascending", "'20'");
    EXPECT_SET_FAIL("cam.road_percentiles=[0]", CLCAM_ERR_INPUT, "--set cam.road_percentiles:",
                    "1..99", NULL);
    EXPECT_SET_FAIL("cam.road_percentiles=[]", CLCAM_ERR_INPUT, "--set cam.road_percentiles:", NULL,
                    NULL);
    EXPECT_SET_FAIL("cam.road_noise=-1", CLCAM_ERR_INPUT, "--set cam.road_noise:", ">= 0", NULL);
    EXPECT_SET_FAIL("cam.confidence_space=pixels", CLCAM_ERR_INPUT, "--set cam.confidence_space:",
                    "normalised or image", NULL);
    EXPECT_SET_FAIL("cam.seed=-1", CLCAM_ERR_INPUT, "--set cam.seed:", NULL, NULL);
    EXPECT_SET_FAIL("output.compression=10", CLCAM_ERR_INPUT, "--set output.compression:",
                    "0..9", NULL);
    EXPECT_SET_FAIL("data.count=1.5", CLCAM_ERR_INPUT, "--set data.count:", "got '1.5'", NULL);
    EXPECT_SET_FAIL("train.lr.warmup=1", CLCAM_ERR_INPUT, "--set train.lr.warmup:", "[0, 1)", NULL);
    EXPECT_SET_FAIL("train.momentum=-0.1", CLCAM_ERR_INPUT, "--set train.momentum:", "'-0.1'", NULL);
    EXPECT_SET_FAIL("train.nesterov=yes", CLCAM_ERR_INPUT, "--set train.nesterov:", "true or false", NULL);
    EXPECT_SET_FAIL("train.lr.schedule=step", CLCAM_ERR_INPUT, "onecycle, cosine or constant", NULL, NULL);
    EXPECT_SET_FAIL("train.lr.min=1", CLCAM_ERR_INPUT, "unknown key", "schedule, max, warmup", NULL);
    {
        const char *s4[] = {"cam.metrics=[road_combined, deletion]", "cam.metric_steps=8",
                            "cam.road_percentiles=[10, 50, 90]", "cam.road_noise=0",
                            "cam.confidence_space=image", "cam.seed=7"};
        CHECK(config_load(NULL, s4, 6, &cfg, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cfg.cam_n_metrics == 2 && strcmp(cfg.cam_metrics[0], "road_combined") == 0 &&
                  strcmp(cfg.cam_metrics[1], "deletion") == 0, "metrics in the order given");
        CHECK(cfg.cam_metric_steps == 8 && cfg.cam_n_road_percentiles == 3 &&
                  cfg.cam_road_percentiles[2] == 90 && cfg.cam_road_noise == 0.0f &&
                  cfg.cam_confidence_space == 1 && cfg.cam_seed == 7, "metric settings");
        round_trip("metrics", &cfg);
    }

    {
        /* The file's errors win over later sets; a bad set after good ones still fails. */
        const char *s3[] = {"batch=8", "batch=nope"};
        expect_fail_at(__LINE__, p, s3, 2, CLCAM_ERR_INPUT, "--set batch", "'nope'", NULL);
    }
}

static void round_trip(const char *what, const clcam_config *in)
{
    clcam_config out;
    clcam_err err = {0};
    char *yaml = config_to_yaml(in);
    CHECK(yaml != NULL, "%s: config_to_yaml", what);
    if (!yaml) return;
    CHECK(config_load(write_tmp("rt.yaml", yaml), NULL, 0, &out, &err) == CLCAM_OK, "%s: %s\n%s",
          what, err.msg, yaml);
    CHECK(config_equal(in, &out), "%s: round trip differs:\n%s", what, yaml);
    free(yaml);
}

static void test_round_trip(void)
{
    clcam_config cfg;
    clcam_err err = {0};
    char *yaml;
    const char *sets[] = {"device=nvidia:2",
                          "batch=7",
                          "data.file=\"odd: name #1 \\\"q\\\" \\\\ \\t end\"",
                          "data.split=\"-train\"",
                          "data.start=12",
                          "data.count=34",
                          "preprocess.scale=0.1",
                          "preprocess.mean=[0.1, -0.2, 1e-7]",
                          "preprocess.std=[3.4028234e38, 1.17549435e-38, 1e-45]",
                          "model.weights=\"caf\xc3\xa9/w.h5\"",
                          "cam.layer=_l.2",
                          "cam.target=9",
                          "cam.seed=4294967295",
                          "output.file=\"all\"",
                          "output.compression=0",
                          "train.split=tr",
                          "train.epochs=3",
                          "train.batch=5",
                          "train.lr.schedule=cosine",
                          "train.lr.max=0.25",
                          "train.lr.warmup=0",
                          "train.momentum=0.5",
                          "train.nesterov=false",
                          "train.weight_decay=0",
                          "train.augment.crop_pad=0",
                          "train.augment.flip=false",
                          "train.seed=4294967295",
                          "train.eval_split=none",
                          "train.output=m.h5",
                          "train.init=w0.h5"};

    config_defaults(&cfg);
    round_trip("defaults", &cfg);
    yaml = config_to_yaml(&cfg);
    CHECK(yaml && strstr(yaml, "device: any\nbatch: auto\ndata:\n  file: data/cifar10.h5\n"),
          "layout: %s", yaml ? yaml : "(null)");
    CHECK(yaml && strstr(yaml, "train:\n  split: train\n  epochs: 18\n  batch: 128\n  lr:\n"
                             "    schedule: onecycle\n    max: 0.05\n    warmup: 0.15\n  momentum: 0.9\n"),
          "train layout: %s", yaml ? yaml : "(null)");
    CHECK(yaml && strstr(yaml, "  count: all\n") && strstr(yaml, "  methods: [gradcam]\n") &&
              strstr(yaml, "  target: predicted\n") && strstr(yaml, "  compression: 4\n"),
          "layout: %s", yaml ? yaml : "(null)");
    free(yaml);

    CHECK(config_load(NULL, sets, (int)(sizeof sets / sizeof *sets), &cfg, &err) == CLCAM_OK,
          "%s", err.msg);
    CHECK(strcmp(cfg.data_file, "odd: name #1 \"q\" \\ \t end") == 0, "escapes '%s'",
          cfg.data_file);
    CHECK(cfg.cam_seed == 4294967295L, "cam.seed %ld", cfg.cam_seed);
    round_trip("every key set", &cfg);
    cfg.cam_target = CAM_TARGET_LABEL;
    round_trip("target label", &cfg);
    {
        const char *base[] = {"cam.methods=[random, gradcam, sobel]"};
        CHECK(config_load(NULL, base, 1, &cfg, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cfg.cam_n_methods == 3 && strcmp(cfg.cam_methods[2], "sobel") == 0 && cfg.cam_seed == 0,
              "baselines, seed %ld", cfg.cam_seed);
    }
    {
        const char *topk[] = {"cam.target={topk: 3}", "cam.methods=[gradcam, scorecam, eigencam]"};
        CHECK(config_load(NULL, topk, 2, &cfg, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cfg.cam_target == CAM_TARGET_TOPK && cfg.cam_target_k == 3, "topk %d", cfg.cam_target_k);
        CHECK(cfg.cam_n_methods == 3 && strcmp(cfg.cam_methods[2], "eigencam") == 0, "methods");
        round_trip("target topk", &cfg);
    }
    {
        /* a tensor name that starts with a digit and holds a quote (fuzz_config found it) */
        const char *name[] = {"cam.layer=\"111111\\\":111111\""};
        CHECK(config_load(NULL, name, 1, &cfg, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(strcmp(cfg.cam_layer, "111111\":111111") == 0, "cam.layer read as %s", cfg.cam_layer);
        round_trip("cam.layer with a digit and a quote", &cfg);
    }
}

/* The keys of the layers graph models brought in (issue 13): groups, clip bounds, pool
 * padding, count_include_pad, pads; ceil_mode and dilation refused by name. */
static void test_model_layers_graph_kinds(void)
{
    clcam_config cfg;
    clcam_err err = {0};
    const config_layer *l;
    const char *p = write_tmp("g.yaml",
                              "model:\n"
                              "  layers:\n"
                              "    - {type: pad, name: pad0, pads: [0, 1, 1, 0]}\n"
                              "    - {type: conv, name: dw, groups: 8, dilation: 1, padding: 1}\n"
                              "    - {type: clip, name: relu6, min: 0, max: 6}\n"
                              "    - {type: clip, name: lo, min: -0.5}\n"
                              "    - {type: maxpool, name: stem, kernel: 3, stride: 2, padding: 1, ceil_mode: false}\n"
                              "    - {type: avgpool, name: ap, kernel: 3, stride: 1, padding: 1, count_include_pad: false}\n"
                              "    - {type: pad, name: pad1, pads: 2}\n");
    CHECK(config_load(p, NULL, 0, &cfg, &err) == CLCAM_OK, "%s", err.msg);
    l = &cfg.model_layers[0];
    CHECK(l->pads[0] == 0 && l->pads[1] == 1 && l->pads[2] == 1 && l->pads[3] == 0, "pads list");
    CHECK(cfg.model_layers[1].groups == 8 && cfg.model_layers[1].padding == 1, "groups");
    CHECK(cfg.model_layers[2].min == 0.0f && cfg.model_layers[2].max == 6.0f, "relu6");
    CHECK(cfg.model_layers[3].min == -0.5f && isnan(cfg.model_layers[3].max), "one bound");
    CHECK(cfg.model_layers[4].padding == 1 && cfg.model_layers[4].count_include_pad == -1, "maxpool pad");
    CHECK(cfg.model_layers[5].count_include_pad == 0, "count_include_pad");
    CHECK(cfg.model_layers[6].pads[3] == 2, "pads number");
    round_trip("model.layers graph kinds", &cfg);
    {
        char *yaml = config_to_yaml(&cfg);
        CHECK(yaml && strstr(yaml, "{type: clip, name: relu6, min: 0, max: 6}") &&
                  strstr(yaml, "{type: pad, name: pad0, pads: [0, 1, 1, 0]}") &&
                  strstr(yaml, "padding: 1, count_include_pad: false}"),
              "layout: %s", yaml ? yaml : "(null)");
        free(yaml);
    }
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: maxpool, name: p, kernel: 3, ceil_mode: true}\n",
                     "bad.yaml:3: model.layers: entry 1 (p): ceil_mode: true is not supported yet", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: conv, name: c, dilation: 2}\n",
                     "bad.yaml:3: model.layers: entry 1 (c): dilation 2 is not supported yet", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: clip, name: k}\n",
                     "entry 1 (k): a clip layer needs min, max or both", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: clip, name: k, min: 6, max: 0}\n",
                     "entry 1 (k): clip needs min < max", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: pad, name: z}\n",
                     "entry 1 (z): a pad layer needs pads", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: pad, name: z, pads: [1, 2]}\n",
                     "entry 1 (z): pads: expected [top, left, bottom, right]", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: pad, name: z, pads: [1, 2, -1, 0]}\n",
                     "entry 1 (z): pads: expected integers in 0..65535", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: conv, name: c, groups: 0}\n",
                     "entry 1 (c): groups: expected an integer in 1..65535", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu, name: r, groups: 2}\n",
                     "entry 1 (r): a relu layer takes no 'groups'", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: conv, name: c, pads: [1, 1, 1, 1]}\n",
                     "entry 1 (c): a conv layer takes no 'pads'", NULL, NULL);
}

/* model.layers: a full list, PyTorch-style names, the arch rule, every error naming file:line
 * and the entry, and the round trip. */
static void test_model_layers(void)
{
    clcam_config cfg;
    clcam_err err = {0};
    const config_layer *l;
    const char *p = write_tmp("t.yaml",
                              "model:\n"
                              "  weights: models/vgg_small.h5\n"
                              "  layers:\n"
                              "    - {type: conv, name: features.0, out: 32, kernel: 3, stride: 1, padding: 1, bias: false}\n"
                              "    - {type: batchnorm, name: features.1, eps: 0.001}\n"
                              "    - {type: relu, name: features.2}\n"
                              "    - type: maxpool\n"
                              "      name: features.3\n"
                              "      kernel: 2\n"
                              "    - {type: avgpool, name: gap, global: true}\n"
                              "    - {type: avgpool, name: pool5, kernel: 3, stride: 2}\n"
                              "    - {type: flatten, name: flat}\n"
                              "    - {type: dropout, name: drop}\n"
                              "    - {type: linear, name: classifier, out: 10}\n"
                              "cam:\n  layer: features.1\n");
    CHECK(config_load(p, NULL, 0, &cfg, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cfg.model_n_layers == 9, "%d layers", cfg.model_n_layers);
    CHECK(strcmp(cfg.model_arch, "layers") == 0, "arch '%s' with model.layers", cfg.model_arch);
    l = &cfg.model_layers[0];
    CHECK(strcmp(l->type, "conv") == 0 && strcmp(l->name, "features.0") == 0 && l->out == 32 &&
              l->kernel == 3 && l->stride == 1 && l->padding == 1 && l->bias == 0 && l->global == -1,
          "conv entry");
    l = &cfg.model_layers[1];
    CHECK(strcmp(l->type, "batchnorm") == 0 && l->eps == 0.001f && l->out == -1, "batchnorm entry");
    l = &cfg.model_layers[3];
    CHECK(strcmp(l->type, "maxpool") == 0 && l->kernel == 2 && l->stride == -1, "block mapping entry");
    CHECK(cfg.model_layers[4].global == 1 && cfg.model_layers[4].kernel == -1, "global avgpool");
    CHECK(cfg.model_layers[8].out == 10 && strcmp(cfg.model_layers[8].name, "classifier") == 0, "linear");
    round_trip("model.layers", &cfg);
    {
        char *yaml = config_to_yaml(&cfg);
        CHECK(yaml && strstr(yaml, "  arch: layers\n  layers: \n    - {type: conv, name: features.0, "
                                   "out: 32, kernel: 3, stride: 1, padding: 1, bias: false}\n"),
              "layout: %s", yaml ? yaml : "(null)");
        free(yaml);
    }
    {   /* --set replaces the list; [] goes back to the preset */
        const char *sets[] = {"model.layers=[{type: conv, name: c, out: 4}, {type: flatten, name: f}]"};
        const char *none[] = {"model.layers=[]"};
        CHECK(config_load(p, sets, 1, &cfg, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cfg.model_n_layers == 2 && strcmp(cfg.model_layers[1].name, "f") == 0, "--set layers");
        round_trip("--set layers", &cfg);
        CHECK(config_load(p, none, 1, &cfg, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cfg.model_n_layers == 0 && strcmp(cfg.model_arch, "layers") != 0, "[]: arch %s",
              cfg.model_arch);
    }
    EXPECT_FILE_FAIL("model:\n  arch: layers\n", "bad.yaml: model.arch: 'layers' needs a model.layers list",
                     NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers: conv\n", "bad.yaml:2: model.layers: expected a list of layers",
                     NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: conv, name: a}\n    - {type: convv, name: b}\n",
                     "bad.yaml:4: model.layers: entry 2 (b): unknown type 'convv'", "supported: conv,", NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu}\n", "bad.yaml:3: model.layers: entry 1: missing name",
                     NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {name: r}\n", "bad.yaml:3: model.layers: entry 1 (r): missing type",
                     NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu, name: a}\n    - {type: relu, name: a}\n",
                     "bad.yaml:4: model.layers: entry 2: duplicate name 'a'", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: conv, name: c, kernel: 0}\n",
                     "bad.yaml:3: model.layers: entry 1 (c): kernel: expected an integer in 1..65535, got '0'",
                     NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: conv, name: c, padding: -1}\n",
                     "entry 1 (c): padding: expected an integer in 0..65535", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: conv, name: c, out: 3.5}\n", "entry 1 (c): out:",
                     "'3.5'", NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: conv, name: c, bias: maybe}\n",
                     "entry 1 (c): bias: expected true or false", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: batchnorm, name: b, eps: 0}\n",
                     "entry 1 (b): eps: expected a number > 0", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu, name: r, kernel: 2}\n",
                     "bad.yaml:3: model.layers: entry 1 (r): a relu layer takes no 'kernel'", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu, name: r, size: 2}\n",
                     "entry 1: unknown key 'size' (expected one of: type, name, out,", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: maxpool, name: p}\n",
                     "entry 1 (p): a maxpool layer needs a kernel", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: avgpool, name: p}\n",
                     "entry 1 (p): an avgpool layer needs either a kernel or global: true", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: avgpool, name: p, kernel: 2, global: true}\n",
                     "entry 1 (p): an avgpool layer needs either a kernel or global: true", NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu, name: \"a b\"}\n",
                     "bad.yaml:3: model.layers: entry 1: name: expected a module path (letters, "
                     "digits and '_' in parts joined by single dots", "got 'a b'", NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - relu\n", "bad.yaml:3: model.layers: entry 1: expected a mapping",
                     NULL, NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu, name: r, name: s}\n",
                     "entry 1: duplicate key 'name'", NULL, NULL);
    EXPECT_SET_FAIL("model.layers=[{type: relu}]", CLCAM_ERR_INPUT,
                    "--set model.layers: entry 1: missing name", NULL, NULL);
    test_model_layers_graph_kinds();
}

/* Layer names are PyTorch module paths: nn.Sequential numbers its children, so "0",
 * "features.0.1" and a bare YAML number (name: 0, cam.layer: 4) are names; empty parts and
 * other characters are not. Names that start with a digit are written back quoted. */
static void test_module_path_names(void)
{
    static const char *const bad[] = {".a", "a.", "a..b", ".", "..", "0.", ".0", "0..1",
                                      "a-b", "a/b", "4 ", "a:b", "\\u00e9"};
    clcam_config cfg;
    clcam_err err = {0};
    char text[256];
    const char *p = write_tmp("t.yaml",
                              "model:\n"
                              "  layers:\n"
                              "    - {type: conv, name: 0, out: 8, kernel: 3, padding: 1}\n"
                              "    - {type: relu, name: 1}\n"
                              "    - {type: conv, name: features.0.0, out: 8}\n"
                              "    - {type: relu, name: \"2.10\"}\n"
                              "    - {type: avgpool, name: 3_a, global: true}\n"
                              "    - {type: flatten, name: _4}\n"
                              "    - {type: linear, name: 5, out: 10}\n"
                              "cam:\n  layer: 1\n");
    CHECK(config_load(p, NULL, 0, &cfg, &err) == CLCAM_OK, "digit names: %s", err.msg);
    CHECK(cfg.model_n_layers == 7 && strcmp(cfg.model_layers[0].name, "0") == 0 &&
              strcmp(cfg.model_layers[2].name, "features.0.0") == 0 &&
              strcmp(cfg.model_layers[3].name, "2.10") == 0 &&
              strcmp(cfg.model_layers[6].name, "5") == 0,
          "digit names read as strings");
    CHECK(strcmp(cfg.cam_layer, "1") == 0, "cam.layer: 1 is the name '1', got '%s'", cfg.cam_layer);
    round_trip("digit names", &cfg);
    {
        char *yaml = config_to_yaml(&cfg);
        CHECK(yaml && strstr(yaml, "    - {type: conv, name: \"0\", out: 8") &&
                  strstr(yaml, "{type: relu, name: \"2.10\"}") &&
                  strstr(yaml, "{type: conv, name: features.0.0, out: 8}") &&
                  strstr(yaml, "{type: flatten, name: _4}") && strstr(yaml, "  layer: \"1\"\n"),
              "digit names quoted when written: %s", yaml ? yaml : "(null)");
        free(yaml);
    }
    {
        const char *sets[] = {"cam.layer=4", "model.layers=[{type: relu, name: 4}, {type: relu, name: 0.1}]"};
        CHECK(config_load(NULL, sets, 2, &cfg, &err) == CLCAM_OK, "--set digits: %s", err.msg);
        CHECK(strcmp(cfg.cam_layer, "4") == 0 && strcmp(cfg.model_layers[1].name, "0.1") == 0,
              "--set cam.layer=4: '%s'", cfg.cam_layer);
        round_trip("--set digit names", &cfg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(text, sizeof text, "model:\n  layers:\n    - {type: relu, name: \"%s\"}\n", bad[i]);
        EXPECT_FILE_FAIL(text, "bad.yaml:3: model.layers: entry 1: name: expected a module path", NULL, NULL);
        if (strchr(bad[i], '/') || strchr(bad[i], ':')) continue; /* an ONNX name, below */
        snprintf(text, sizeof text, "cam:\n  layer: \"%s\"\n", bad[i]);
        EXPECT_FILE_FAIL(text, "bad.yaml:2: cam.layer: expected a layer name, a module path", NULL, NULL);
    }
    /* cam.layer also takes the names ONNX files give nodes and tensors, which have '/' or ':' */
    {
        const char *sets[] = {"cam.layer=/layer4/layer4.1/relu_1/Relu_output_0"};
        CHECK(config_load(NULL, sets, 1, &cfg, &err) == CLCAM_OK &&
                  strcmp(cfg.cam_layer, "/layer4/layer4.1/relu_1/Relu_output_0") == 0,
              "--set cam.layer=<tensor name>: %s", err.msg);
        round_trip("a tensor name", &cfg);
        p = write_tmp("t.yaml", "cam:\n  layer: onnx::Conv_193\n");
        CHECK(config_load(p, NULL, 0, &cfg, &err) == CLCAM_OK && strcmp(cfg.cam_layer, "onnx::Conv_193") == 0,
              "cam.layer: onnx::Conv_193: %s", err.msg);
        round_trip("onnx::Conv_193", &cfg);
    }
    EXPECT_FILE_FAIL("cam:\n  layer: \"/a b\"\n", "bad.yaml:2: cam.layer: expected a layer name",
                     "ONNX node or tensor name", "got '/a b'");
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu, name: \"\"}\n",
                     "bad.yaml:3: model.layers: entry 1: name: expected a module path", NULL, NULL);
    EXPECT_SET_FAIL("cam.layer=a..b", CLCAM_ERR_INPUT, "--set cam.layer: expected a layer name",
                    "got 'a..b'", NULL);
    EXPECT_FILE_FAIL("model:\n  layers:\n    - {type: relu, name: 0}\n    - {type: relu, name: \"0\"}\n",
                     "bad.yaml:4: model.layers: entry 2: duplicate name '0'", NULL, NULL);
}

int main(void)
{
    const char *d = test_tmpdir();
    if (!d) {
        fprintf(stderr, "no temporary directory\n");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s", d);
    test_defaults();
    test_shipped();
    test_imagefolder_example();
    test_full_file();
    test_file_errors();
    test_sets();
    test_round_trip();
    test_model_layers();
    test_module_path_names();
    {
        /* Leave no litter: the files this test wrote, then the directory. */
        static const char *const names[] = {"bad.yaml", "empty.yaml", "comments.yaml",
                                            "partial.yaml", "full.yaml", "t.yaml",
                                            "base.yaml", "rt.yaml"};
        char p[1200];
        size_t i;
        for (i = 0; i < sizeof names / sizeof *names; i++) {
            snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
            remove(p);
        }
        rmdir(tmpdir);
    }
    return test_finish("test_config");
}
