/* Faults that a GPU driver exposes and PoCL forgives:
 * - CL_OUT_OF_RESOURCES from a kernel launch (NVIDIA's report of an out-of-bounds access) is a
 *   run-time failure, exit 1, never taken for out-of-memory and the batch halved; the results
 *   file never says it is complete. Failing the last launch of a batch leaves non-blocking
 *   reads into the batch's host memory queued: under ASan, freeing it before the queue is
 *   finished is a use after free.
 * - Only allocation failures count as out-of-memory (err_is_device_alloc).
 * - Buffers whose elements the kernels' int indices cannot reach are refused, naming them.
 * - Kernel arguments are counted against the kernel's.
 * - Each kernel file is its own program, built on first use: a file that does not build
 *   breaks only the commands that use it, which print its build log and exit 1. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl/conv.h"
#include "cl/runtime.h"
#include "fixtures.h"
#include "testutil.h"

enum { N = 24, IH = 20, IW = 12, BATCH = 8 };

static char dir[512];

/* Runs cmd in dir with its own kernel cache; all of stdout and stderr into out. Exit status. */
static int run_capture(const char *env, const char *args, char *out, size_t size)
{
    char cmd[4096];
    size_t len = 0;
    FILE *p;
    snprintf(cmd, sizeof cmd, "cd %s && CLCAM_CACHE_DIR=%s/cache %s %s %s 2>&1", dir, dir, env ? env : "",
             CLCAM_BINARY, args);
    out[0] = '\0';
    if (!(p = popen(cmd, "r"))) return -1;
    for (int c; (c = fgetc(p)) != EOF;)
        if (len + 1 < size) out[len++] = (char)c;
    out[len] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The results file's "complete" attribute: 1 complete, 0 not, -1 no file or no attribute. */
static int results_complete(const char *name)
{
    char path[1024];
    int v = -1;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, F_OK) != 0) return -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t a = H5Aopen(f, "complete", H5P_DEFAULT);
    if (a >= 0) {
        if (H5Aread(a, H5T_NATIVE_INT, &v) < 0) v = -1;
        H5Aclose(a);
    }
    H5Fclose(f);
    return v;
}

static void test_error_classes(void)
{
    clcam_err e = {0};
    err_set_alloc(&e, -5, "clCreateBuffer: CL_OUT_OF_RESOURCES");
    CHECK(err_is_device_alloc(&e), "CL_OUT_OF_RESOURCES from an allocation is out of memory");
    err_clear(&e);
    err_set_cl(&e, -5, "clEnqueueNDRangeKernel: CL_OUT_OF_RESOURCES");
    CHECK(!err_is_device_alloc(&e), "CL_OUT_OF_RESOURCES from a launch is a kernel fault, not memory");
    err_clear(&e);
    err_set_cl(&e, -4, "clEnqueueNDRangeKernel: CL_MEM_OBJECT_ALLOCATION_FAILURE");
    CHECK(err_is_device_alloc(&e), "CL_MEM_OBJECT_ALLOCATION_FAILURE from any call is out of memory");
    err_clear(&e);
    err_set_cl(&e, -2050, "CLBlastSgemm: kInsufficientMemoryTemp");
    CHECK(!err_is_device_alloc(&e), "CLBlast's 'buffer too small' is our bug, not out of memory");
    err_clear(&e);
    err_set_cl(&e, -61, "clSetKernelArg: CL_INVALID_BUFFER_SIZE");
    CHECK(!err_is_device_alloc(&e), "CL_INVALID_BUFFER_SIZE outside an allocation");
    err_clear(&e);
    CHECK(!e.alloc && e.status == CLCAM_OK, "err_clear forgets the allocation flag");
    /* exit codes: 2 only for what the user can fix in the command, config or input */
    CHECK(clcam_exit_code(CLCAM_ERR_USAGE) == 2 && clcam_exit_code(CLCAM_ERR_INPUT) == 2,
          "usage and input errors exit 2");
    CHECK(clcam_exit_code(CLCAM_ERR_LIMIT) == 1 && clcam_exit_code(CLCAM_ERR_CL) == 1 &&
              clcam_exit_code(CLCAM_ERR_NOMEM) == 1 && clcam_exit_code(CLCAM_OK) == 0,
          "a limit hit at run time, a device failure and no memory exit 1");
}

static void test_size_checks(void)
{
    clcam_err e = {0};
    CHECK(cl_check_elems("x", 2147483647ull, &e) == CLCAM_OK, "INT_MAX elements are indexable");
    CHECK(cl_check_elems("buffer x", 2147483648ull, &e) == CLCAM_ERR_CL && err_is_device_alloc(&e) &&
          strstr(e.msg, "buffer x: 2147483648 elements"), "INT_MAX + 1 refused: '%s'", e.msg);
    err_clear(&e);
    /* 64 channels at 224x224, 3x3: the backward passes' column matrix of 75 images is
     * 576 x 75*50176 = 2,167,603,200 floats. Refused before the context is touched (a zeroed
     * one: any use of it would fail). */
    cl_ctx none;
    memset(&none, 0, sizeof none);
    conv_shape s = {.batch = 75, .C = 64, .H = 224, .W = 224, .K = 64, .kernel = 3, .pad = 1,
                    .stride = 1, .OH = 224, .OW = 224};
    CHECK(conv_backward_data(&none, &s, NULL, NULL, NULL, &e) == CLCAM_ERR_CL && err_is_device_alloc(&e) &&
          strstr(e.msg, "convolution 64x224x224 -> 64 (3x3, stride 1, pad 1), batch 75: backward-data "
                        "columns: 2167603200 elements"),
          "backward-data at 224x224, batch 75: '%s'", e.msg);
    err_clear(&e);
    CHECK(conv_backward_weight(&none, &s, NULL, NULL, NULL, &e) == CLCAM_ERR_CL && err_is_device_alloc(&e) &&
          strstr(e.msg, "backward-weight columns: 2167603200 elements"),
          "backward-weight at 224x224, batch 75: '%s'", e.msg);
    err_clear(&e);
}

static void test_kernel_args(void)
{
    cl_ctx ctx;
    clcam_err e = {0};
    cl_kernel k;
    cl_mem a = NULL, b = NULL;
    int n = 1;
    if (cl_ctx_init(&ctx, "any", &e) != CLCAM_OK) {
        CHECK(0, "cannot open an OpenCL device: %s", e.msg); /* CI always has PoCL */
        return;
    }
    clcam_status st = cl_ctx_kernel(&ctx, "relu_forward", &k, &e);
    CHECK(st == CLCAM_OK, "relu_forward: %s", e.msg);
    if (st == CLCAM_OK) {
        st = cl_ctx_alloc(&ctx, 64, &a, "a", &e);
        if (st == CLCAM_OK) st = cl_ctx_alloc(&ctx, 64, &b, "b", &e);
        CHECK(st == CLCAM_OK, "alloc: %s", e.msg);
        st = CL_ARGS(&ctx, k, &e, CL_ARG(a), CL_ARG(n));
        CHECK(st == CLCAM_ERR_CL && strstr(e.msg, "kernel relu_forward takes 3 arguments") &&
              strstr(e.msg, "test_faults.c:") && strstr(e.msg, "sets 2"), "two arguments of three: '%s'", e.msg);
        err_clear(&e);
        st = CL_ARGS(&ctx, k, &e, CL_ARG(a), CL_ARG(b), CL_ARG(n), CL_ARG(n));
        CHECK(st == CLCAM_ERR_CL && strstr(e.msg, "sets 4"), "four arguments of three: '%s'", e.msg);
        err_clear(&e);
        st = CL_ARGS(&ctx, k, &e, CL_ARG(a), CL_ARG(b), CL_ARG(n));
        CHECK(st == CLCAM_OK, "three arguments of three: %s", e.msg);
        err_clear(&e);
    }
    CHECK(cl_ctx_kernel(&ctx, "no_such_kernel", &k, &e) == CLCAM_ERR_CL && strstr(e.msg, "no kernel no_such_kernel"),
          "an unknown kernel: '%s'", e.msg);
    if (a) clReleaseMemObject(a);
    if (b) clReleaseMemObject(b);
    cl_ctx_free(&ctx);
}

/* A kernel file that does not build (a copy of the kernels, scorecam.cl broken): a run that
 * does not use it works; one that does prints the build log and exits 1. */
static void test_broken_kernel_file(void)
{
    char cmd[2048], env[1200], out[16384];
    snprintf(cmd, sizeof cmd, "cp -r %s/cl/kernels %s/kernels && echo 'this is not OpenCL C' >> %s/kernels/scorecam.cl",
             CLCAM_SOURCE_DIR, dir, dir);
    CHECK(system(cmd) == 0, "copy the kernels");
    snprintf(env, sizeof env, "CLCAM_KERNEL_DIR=%s/kernels", dir);
    int rc = run_capture(env, "run cfg.yaml --quiet --set output.file=broken_unused.h5", out, sizeof out);
    CHECK(rc == 0 && results_complete("broken_unused.h5") == 1,
          "a broken scorecam.cl must not break a Grad-CAM run: exit %d\n%s", rc, out);
    rc = run_capture(env, "run cfg.yaml --quiet --set 'cam.methods=[scorecam]' --set output.file=broken_used.h5",
                     out, sizeof out);
    CHECK(rc == 1 && strstr(out, "OpenCL build log of scorecam.cl") &&
          strstr(out, "clBuildProgram failed for kernel file scorecam.cl") &&
          results_complete("broken_used.h5") != 1,
          "a Score-CAM run with a broken scorecam.cl: exit %d (want 1, the build log and the error)\n%s", rc, out);
}

/* CL_OUT_OF_RESOURCES from the n-th launch: exit 1 naming it, no halving, no complete file. */
static void launch_fault(long n, const char *what)
{
    char env[128], args[256], out[16384];
    snprintf(env, sizeof env, "CLCAM_FAULT=launch_out_of_resources:%ld", n);
    snprintf(args, sizeof args, "run cfg.yaml --quiet --overwrite --set output.file=fault.h5");
    int rc = run_capture(env, args, out, sizeof out);
    CHECK(rc == 1 && strstr(out, "CL_OUT_OF_RESOURCES") && !strstr(out, "retrying") &&
          !strstr(out, "ran out of memory") && !strstr(out, "Sanitizer") && results_complete("fault.h5") != 1,
          "%s (launch %ld): exit %d (want 1), no halving, no sanitizer report, file not complete (%d)\n%s",
          what, n, rc, results_complete("fault.h5"), out);
}

static void test_launch_faults(void)
{
    char env[128], out[16384];
    long first = 0, per_batch = 0;
    int rc = run_capture(NULL, "run cfg.yaml --quiet --set output.file=clean.h5", out, sizeof out);
    CHECK(rc == 0 && results_complete("clean.h5") == 1, "clean run: exit %d\n%s", rc, out);
    /* Each batch starts with preprocess_u8_nhwc: the first batch's first launch (after the
     * model's own at upload, e.g. the repacking of conv weights) and launches per batch. */
    for (long n = 1; n < 400 && !per_batch; n++) {
        snprintf(env, sizeof env, "CLCAM_FAULT=launch_out_of_resources:%ld", n);
        rc = run_capture(env, "run cfg.yaml --quiet --overwrite --set output.file=scan.h5", out, sizeof out);
        if (rc != 1) break;
        if (strstr(out, "clEnqueueNDRangeKernel(preprocess_u8_nhwc")) {
            if (first) per_batch = n - first;
            else first = n;
        }
    }
    CHECK(per_batch > 0, "no second batch's first launch found (last exit %d)\n%s", rc, out);
    if (per_batch == 0) return;
    fprintf(stderr, "test_faults: %ld kernel launches before the first batch, %ld a batch\n", first - 1,
            per_batch);
    launch_fault(1, "the first launch");
    launch_fault(first, "the first batch's first launch");
    launch_fault(first + 2 * per_batch, "the first launch of the third batch");
    /* Whether the device has done the queued reads when the batches are freed is a race: under
     * ASan without the queue finished first, one try in two or three caught it here. */
    for (int i = 0; i < 4; i++) {
        launch_fault(first + per_batch - 1, "the last launch of the first batch, its results' reads queued");
        launch_fault(first + 3 * per_batch - 1, "the last launch of the third batch, two batches in flight");
    }
}

int main(void)
{
    char batch[16], path[1100];
    test_error_classes();
    test_size_checks();
    test_kernel_args();

    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    snprintf(batch, sizeof batch, "%d", BATCH);
    CHECK(fixture_run_dir(dir, N, IH, IW, 5, 16, batch, 3u) == 0, "write the run's files");

    test_launch_faults();
    test_broken_kernel_file();

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (test_failed == 0 && system(path) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_faults");
}
