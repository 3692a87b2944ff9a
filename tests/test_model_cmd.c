/* `clcam model CONFIG`: the table of layers (names, ops, shapes, parameters, FLOPs), the
 * cam.layer and auto marks, module paths; model_layer_params/flops against hand counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "pipeline/model/model_summary.h"
#include "testutil.h"

#define IH 12
#define IW 20

static char dir[512];

/* Runs `clcam model` with extra args; stdout into out; returns the exit status. */
static int model_cmd(const char *extra, char *out, size_t size)
{
    char cmd[2048];
    FILE *p;
    size_t n = 0;
    int st;
    snprintf(cmd, sizeof cmd, "cd %s && %s model cfg.yaml %s 2>/dev/null", dir, CLCAM_BINARY, extra);
    if (!(p = popen(cmd, "r"))) return -1;
    while (n + 1 < size && fgets(out + n, (int)(size - n), p)) n += strlen(out + n);
    out[n] = '\0';
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The line of the table for layer `name` (a copy), or "" when absent. */
static const char *row(const char *out, const char *name)
{
    static char line[256];
    const char *s = out;
    line[0] = '\0';
    while ((s = strchr(s, '\n')) != NULL) {
        int idx;
        char nm[64];
        s++;
        if (sscanf(s, "%d %63s", &idx, nm) == 2 && strcmp(nm, name) == 0) {
            size_t len = strcspn(s, "\n");
            snprintf(line, sizeof line, "%.*s", (int)len, s);
            break;
        }
    }
    return line;
}

static void test_table(void)
{
    static char out[16384];
    char path[1024];
    model m;
    clcam_err err = {0};
    CHECK(model_cmd("", out, sizeof out) == 0, "clcam model exits 0");
    const char *names[] = {"conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3",
                           "relu3", "pool3", "flatten", "fc1", "relu4", "fc2"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        CHECK(row(out, names[i])[0] != '\0', "no row for %s in:\n%s", names[i], out);
    CHECK(strstr(row(out, "conv3"), "<- cam.layer") != NULL, "conv3 is marked as cam.layer: %s", row(out, "conv3"));
    CHECK(strstr(row(out, "pool3"), "<- auto") != NULL, "pool3 is what auto picks: %s", row(out, "pool3"));
    /* conv1: 3 -> 8 channels, 3x3: 8*3*9 + 8 parameters, a 8 x 12 x 20 output */
    CHECK(strstr(row(out, "conv1"), " 224 ") != NULL && strstr(row(out, "conv1"), "8 x  12 x 20") != NULL,
          "conv1's row: %s", row(out, "conv1"));

    CHECK(model_cmd("--set cam.layer=auto", out, sizeof out) == 0 &&
              strstr(row(out, "pool3"), "<- cam.layer  <- auto") != NULL,
          "cam.layer: auto marks pool3: %s", row(out, "pool3"));
    CHECK(model_cmd("--set model.weights=nothing.h5", out, sizeof out) == 2, "a missing weights file: exit 2");

    /* the counts themselves, on the same model */
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    CHECK(model_load(&m, "simplecnn", path, (layer_shape){3, IH, IW}, &err) == CLCAM_OK, "%s", err.msg);
    if (m.n_layers == 13) {
        CHECK(model_layer_params(&m, 0) == 8 * 3 * 9 + 8, "conv1 params %ld", model_layer_params(&m, 0));
        CHECK(model_layer_flops(&m, 0) == 8.0 * IH * IW * (2 * 3 * 9 + 1), "conv1 flops %g", model_layer_flops(&m, 0));
        CHECK(model_layer_flops(&m, 2) == 8.0 * (IH / 2) * (IW / 2) * 4, "pool1 flops %g", model_layer_flops(&m, 2));
        int in = m.layers[10].in.c;
        CHECK(model_layer_params(&m, 10) == (long)in * m.layers[10].out.c + m.layers[10].out.c, "fc1 params");
        CHECK(model_layer_flops(&m, 9) == 0.0, "flatten costs nothing");
        CHECK(model_auto_cam_layer(&m) == 8, "auto: pool3, the last spatial map (%d)", model_auto_cam_layer(&m));
        model_free(&m);
    } else {
        CHECK(0, "SimpleCNN has %d layers, expected 13", m.n_layers);
    }
}

int main(void)
{
    char cmd[1100];
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    CHECK(fixture_run_dir(dir, 6, IH, IW, 5, 16, "auto", 7u) == 0, "write the run's files");
    test_table();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (test_failed == 0 && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_model_cmd");
}
