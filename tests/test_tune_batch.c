/* `batch: auto`: `clcam tune CONFIG` measures the batch size of the config's run and writes
 * it to the device's batch file; `clcam run` with batch auto uses it for that work only (a
 * different layer is other work), says so in --stats, and falls back to 256 (capped by the
 * images) where nothing was measured or the file is malformed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fixtures.h"
#include "testutil.h"

enum { N = 600, IH = 20, IW = 12 };

static char dir[512];

/* Runs a command in dir with the test's cache folder; stdout into out, stderr into err.txt. */
static int sh(const char *args, char *out, size_t size)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd %s && CLCAM_CACHE_DIR=%s/cache %s %s 2>err.txt", dir, dir, CLCAM_BINARY, args);
    FILE *p = popen(cmd, "r");
    size_t used = 0;
    if (!p) return -1;
    out[0] = '\0';
    while (used + 1 < size && fgets(out + used, (int)(size - used), p)) used += strlen(out + used);
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *file_text(const char *name, char *buf, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
    return buf;
}

/* The batch file's path (one device: one file), or "" */
static void batch_file(char *path, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls %s/cache/batch-*.txt 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    path[0] = '\0';
    if (p && fgets(path, (int)size, p)) path[strcspn(path, "\n")] = '\0';
    if (p) pclose(p);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The run's --stats batch and batch_source. */
static int run_stats(const char *extra, int *batch, char *source, size_t size)
{
    char args[512], out[4096];
    snprintf(args, sizeof args, "run cfg.yaml --quiet --overwrite --stats --set output.file=r.h5 %s", extra);
    int rc = sh(args, out, sizeof out);
    const char *b = strstr(out, "\"batch\": "), *s = strstr(out, "\"batch_source\": \"");
    *batch = b ? atoi(b + 9) : -1;
    source[0] = '\0';
    if (s) snprintf(source, size, "%.*s", (int)strcspn(s + 17, "\""), s + 17);
    return rc;
}

int main(void)
{
    char path[1024], out[16384], text[4096], source[128], key[64] = "";
    int batch = 0, tuned = 0;
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    CHECK(fixture_run_dir(dir, N, IH, IW, 7, 24, "auto", 4u) == 0, "write the run's files");

    /* Nothing measured yet: the default, capped by the images. */
    CHECK(run_stats("", &batch, source, sizeof source) == 0 && batch == 256 &&
              strcmp(source, "auto: not measured, the default") == 0,
          "unmeasured: batch %d, source '%s'", batch, source);
    CHECK(run_stats("--set data.count=100", &batch, source, sizeof source) == 0 && batch == 100,
          "unmeasured, 100 images: batch %d", batch);
    CHECK(run_stats("--set batch=24", &batch, source, sizeof source) == 0 && batch == 24 &&
              strcmp(source, "config") == 0, "configured: batch %d, source '%s'", batch, source);

    /* tune CONFIG: every size up to the images timed, a choice printed and stored. */
    int rc = sh("tune cfg.yaml --budget 0", out, sizeof out);
    CHECK(rc == 0, "tune exited %d: %s", rc, file_text("err.txt", text, sizeof text));
    for (int b = 16; b <= 512; b *= 2) {
        char want[64];
        snprintf(want, sizeof want, "  batch %4d: ", b);
        CHECK(strstr(out, want) != NULL, "tune did not time batch %d:\n%s", b, out);
    }
    const char *line = strstr(out, "batch: auto runs batches of ");
    CHECK(line && sscanf(line, "batch: auto runs batches of %d for this config's work (key %16[0-9a-f])",
                         &tuned, key) == 2, "no choice in tune's output:\n%s", out);
    batch_file(path, sizeof path);
    CHECK(path[0] != '\0', "no batch file in %s/cache", dir);
    {
        char want[96];
        snprintf(want, sizeof want, "\n%s %d\n", key, tuned);
        CHECK(strstr(file_text(path + strlen(dir) + 1, text, sizeof text), want) != NULL,
              "batch file without '%s %d': %s", key, tuned, text);
    }
    CHECK(run_stats("", &batch, source, sizeof source) == 0 && batch == tuned &&
              strcmp(source, "auto: measured by clcam tune") == 0,
          "measured: batch %d (tuned %d), source '%s'", batch, tuned, source);
    /* Other work (another CAM layer) is not covered by that measurement. */
    CHECK(run_stats("--set cam.layer=conv2", &batch, source, sizeof source) == 0 && batch == 256 &&
              strcmp(source, "auto: not measured, the default") == 0,
          "other layer: batch %d, source '%s'", batch, source);

    /* A hand-written line is taken as given; a malformed file is ignored with a warning. */
    snprintf(text, sizeof text, "# by hand\n%s 40\n", key);
    write_file(path, text);
    CHECK(run_stats("", &batch, source, sizeof source) == 0 && batch == 40, "hand-written: batch %d", batch);
    write_file(path, "not a key\n");
    CHECK(run_stats("", &batch, source, sizeof source) == 0 && batch == 256 &&
              strstr(file_text("err.txt", text, sizeof text), "ignoring") != NULL,
          "malformed: batch %d, stderr '%s'", batch, text);
    return test_finish("test_tune_batch");
}
