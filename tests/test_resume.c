/* Runs survive interruption: killed (SIGKILL) or stopped (SIGTERM, SIGINT) at several points
 * and run again with the same command, the rerun starts at the row the cut file recorded as
 * final and computes only the rest (run --stats: resumed_from, rows_computed), and the results
 * file ends bitwise identical to an uninterrupted run's; a different config is refused; a
 * complete file is kept (nothing computed); a device that runs out of memory gets smaller
 * batches. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "testutil.h"

enum { N = 53, IH = 20, IW = 12, BATCH = 8 };

static char dir[512];

static int run(const char *fault, const char *out, const char *extra)
{
    char cmd[2048], msg[512];
    snprintf(cmd, sizeof cmd, "cd %s && %s%s %s run cfg.yaml --quiet --set output.file=%s %s", dir,
             fault ? "CLCAM_FAULT=" : "", fault ? fault : "", CLCAM_BINARY, out, extra ? extra : "");
    int rc = fixture_run(cmd, msg, sizeof msg);
    if (rc != 0 && rc != 137 && rc != 143 && rc != 130 && msg[0]) fprintf(stderr, "     (%s)\n", msg);
    return rc;
}

/* Where a run started and how much it computed: `run --stats`'s resumed_from and rows_computed
 * (-1 each when the run failed or the line lacks them). Returns the exit status. */
static int run_stats(const char *out, long *resumed_from, long *rows_computed)
{
    char cmd[2048], msg[512], json[2048] = "", *at;
    FILE *f;
    snprintf(cmd, sizeof cmd, "cd %s && (%s run cfg.yaml --quiet --set output.file=%s --stats >stats.json)",
             dir, CLCAM_BINARY, out);
    int rc = fixture_run(cmd, msg, sizeof msg);
    if (rc != 0 && msg[0]) fprintf(stderr, "     (%s)\n", msg);
    snprintf(cmd, sizeof cmd, "%s/stats.json", dir);
    if ((f = fopen(cmd, "r"))) {
        if (!fgets(json, sizeof json, f)) json[0] = '\0';
        fclose(f);
    }
    *resumed_from = (at = strstr(json, "\"resumed_from\": ")) ? strtol(at + 16, NULL, 10) : -1;
    *rows_computed = (at = strstr(json, "\"rows_computed\": ")) ? strtol(at + 17, NULL, 10) : -1;
    return rc;
}

/* The raw bytes of one dataset; NULL if absent. */
static unsigned char *read_bytes(hid_t f, const char *name, size_t *size)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT), type = ds >= 0 ? H5Dget_type(ds) : H5I_INVALID_HID;
    unsigned char *buf = NULL;
    if (ds >= 0) {
        hid_t sp = H5Dget_space(ds);
        *size = (size_t)H5Sget_simple_extent_npoints(sp) * H5Tget_size(type);
        buf = malloc(*size);
        if (H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            free(buf);
            buf = NULL;
        }
        H5Sclose(sp);
        H5Tclose(type);
        H5Dclose(ds);
    }
    return buf;
}

static int attr_int(hid_t f, const char *name)
{
    int v = -1;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a >= 0) {
        H5Aread(a, H5T_NATIVE_INT, &v);
        H5Aclose(a);
    }
    return v;
}

/* Every dataset of got equals want's, byte for byte, and got is complete. */
static void same_results(const char *what, const char *want, const char *got)
{
    static const char *const NAMES[] = {"index", "label", "logits", "probs", "pred", "target",
                                        "gradcam/cam", "gradcam/cam_raw"};
    char pw[1024], pg[1024];
    snprintf(pw, sizeof pw, "%s/%s", dir, want);
    snprintf(pg, sizeof pg, "%s/%s", dir, got);
    hid_t fw = H5Fopen(pw, H5F_ACC_RDONLY, H5P_DEFAULT), fg = H5Fopen(pg, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(fw >= 0 && fg >= 0, "%s: open %s and %s", what, pw, pg);
    if (fw < 0 || fg < 0) {
        if (fw >= 0) H5Fclose(fw);
        if (fg >= 0) H5Fclose(fg);
        return;
    }
    CHECK(attr_int(fg, "complete") == 1 && attr_int(fg, "rows_done") == N, "%s: complete %d rows_done %d",
          what, attr_int(fg, "complete"), attr_int(fg, "rows_done"));
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
        size_t sw = 0, sg = 0;
        unsigned char *bw = read_bytes(fw, NAMES[i], &sw), *bg = read_bytes(fg, NAMES[i], &sg);
        CHECK(bw && bg && sw == sg && memcmp(bw, bg, sw) == 0, "%s: /%s differs from the clean run", what, NAMES[i]);
        free(bw), free(bg);
    }
    H5Fclose(fw), H5Fclose(fg);
}

int main(void)
{
    char batch[16], path[1100];
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    snprintf(batch, sizeof batch, "%d", BATCH);
    CHECK(fixture_run_dir(dir, N, IH, IW, 7, 24, batch, 4u) == 0, "write the run's files");

    CHECK(run(NULL, "clean.h5", NULL) == 0, "clean run");
    CHECK(run(NULL, "again.h5", NULL) == 0, "second clean run");
    same_results("same config, same device, run twice", "clean.h5", "again.h5");

    /* A device with too little memory for the batch: halved until it fits, saying so, and the
     * results are those of the clean run; with no memory at all, a clear error and no file. */
    {
        char cmd[2048], msg[512];
        snprintf(cmd, sizeof cmd, "cd %s && CLCAM_FAULT=device_alloc_limit:60000 %s run cfg.yaml --quiet "
                 "--set output.file=small.h5", dir, CLCAM_BINARY);
        int rc = fixture_run(cmd, msg, sizeof msg);
        CHECK(rc == 0 && strstr(msg, "ran out of memory with batches of 8") && strstr(msg, "retrying with 4"),
              "small device: exit %d, message '%s'", rc, msg);
        same_results("batch halved on a small device", "clean.h5", "small.h5");
        snprintf(cmd, sizeof cmd, "cd %s && CLCAM_FAULT=device_alloc_limit:16 %s run cfg.yaml --quiet "
                 "--set output.file=none.h5", dir, CLCAM_BINARY);
        rc = fixture_run(cmd, msg, sizeof msg);
        snprintf(path, sizeof path, "%s/none.h5", dir);
        CHECK(rc == 1 && strstr(msg, "CL_MEM_OBJECT_ALLOCATION_FAILURE") && access(path, F_OK) != 0,
              "no device memory: exit %d, message '%s'", rc, msg);
    }

    /* 7 batches. A stop signal lets the batches in flight finish: sent after the 3rd batch is
     * marked, it always cuts the run, since the ring of 4 batches cannot hold the 7th until
     * the 3rd's slot is free. */
    static const struct { const char *fault; int rc; } CASES[] = {
        {"kill_after_write:1", 137}, {"kill_after_write:3", 137}, {"kill_after_mark:2", 137},
        {"kill_after_mark:6", 137}, {"kill_after_write:7", 137}, {"term_after_mark:2", 143},
        {"int_after_mark:3", 130},
    };
    int resumed_mid = 0; /* cases whose cut file had rows final: a resume must start there */
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        int rc = run(CASES[i].fault, "cut.h5", "--overwrite"), done = -1;
        long from = -1, computed = -1;
        CHECK(rc == CASES[i].rc, "%s: exit %d, expected %d", CASES[i].fault, rc, CASES[i].rc);
        snprintf(path, sizeof path, "%s/cut.h5", dir);
        hid_t h = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        CHECK(h >= 0 && attr_int(h, "complete") == 0, "%s: the cut file must say it is not complete", CASES[i].fault);
        if (h >= 0) {
            done = attr_int(h, "rows_done");
            H5Fclose(h);
        }
        CHECK(done >= 0 && done < N && done % BATCH == 0, "%s: the cut file records %d rows final",
              CASES[i].fault, done);
        resumed_mid += done > 0;
        CHECK(run_stats("cut.h5", &from, &computed) == 0, "%s: resume", CASES[i].fault);
        CHECK(from == done && computed == N - done, "%s: the cut file had %d rows final; the resume "
              "started at row %ld and computed %ld rows (want %d and %d)", CASES[i].fault, done, from,
              computed, done, N - done);
        same_results(CASES[i].fault, "clean.h5", "cut.h5");
    }
    CHECK(resumed_mid >= 4, "only %d cut files had rows final: the resume checks need them", resumed_mid);

    CHECK(run(NULL, "cut.h5", "--set batch=4") == 2, "a different config must be refused");
    CHECK(run("kill_after_mark:1", "cut.h5", "--overwrite") == 137, "cut once more");
    CHECK(run(NULL, "cut.h5", "--set batch=4") == 2, "a different config must not resume");
    CHECK(run(NULL, "cut.h5", "--set output.cam_dtype=uint8") == 2,
          "another cam_dtype is another config: it must not resume into float32 maps");
    CHECK(run(NULL, "cut.h5", NULL) == 0, "resume");
    CHECK(run("kill_after_write:1", "clean.h5", NULL) == 0, "a complete file is kept: nothing runs");
    {
        long from = -1, computed = -1;
        CHECK(run_stats("clean.h5", &from, &computed) == 0 && from == N && computed == 0,
              "a complete file: started at row %ld, computed %ld rows (want %d and 0)", from, computed, N);
    }
    same_results("complete file kept", "again.h5", "clean.h5");
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (test_failed == 0 && system(path) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_resume");
}
