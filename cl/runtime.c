#include "runtime.h"

#include "gemm_params.h"
#include "profile.h"
#include "programs.h"
#include "../base/fault.h"

#include <clblast_c.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PLATFORMS 16
#define MAX_DEVICES 64

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
} device_ref;

/* Case-insensitive substring search. */
static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return n == 0;
}

static clcam_status enumerate_devices(device_ref *out, int *n_out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_platform_id platforms[MAX_PLATFORMS];
    cl_uint np = 0;
    int n = 0;
    cl_int rc = clGetPlatformIDs(MAX_PLATFORMS, platforms, &np);
    if (rc == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (rc == CL_SUCCESS && np == 0)) {
        st = err_set(err, CLCAM_ERR_CL,
                     "no OpenCL platform found: install a driver (for a CPU: apt-get install "
                     "pocl-opencl-icd) and check /etc/OpenCL/vendors");
        goto exit;
    }
    CL_TRY(rc);
    if (np > MAX_PLATFORMS) np = MAX_PLATFORMS;
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id devs[MAX_DEVICES];
        cl_uint nd = 0;
        rc = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devs, &nd);
        if (rc == CL_DEVICE_NOT_FOUND) continue; /* an empty platform is not an error */
        CL_TRY(rc);
        for (cl_uint d = 0; d < nd && d < MAX_DEVICES && n < MAX_DEVICES; d++)
            out[n++] = (device_ref){platforms[p], devs[d]};
    }
exit:
    *n_out = n;
    return st;
}

static clcam_status query_string(cl_device_id dev, cl_platform_id plat, cl_uint param,
                                 char *buf, size_t size, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (plat)
        CL_TRY(clGetPlatformInfo(plat, param, size, buf, NULL));
    else
        CL_TRY(clGetDeviceInfo(dev, param, size, buf, NULL));
    buf[size - 1] = '\0';
exit:
    return st;
}

static const char *type_name(cl_device_type t)
{
    if (t & CL_DEVICE_TYPE_GPU) return "gpu";
    if (t & CL_DEVICE_TYPE_CPU) return "cpu";
    if (t & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
    return "other";
}

clcam_status cl_devices_list(FILE *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    device_ref devs[MAX_DEVICES];
    int n = 0;
    TRY(enumerate_devices(devs, &n, err));
    fprintf(out, "%-5s %-5s %-28s %-44s %-24s %10s %4s\n", "index", "type", "platform", "device",
            "driver", "memory", "CUs");
    for (int i = 0; i < n; i++) {
        char plat[256], name[256], drv[128];
        cl_device_type type;
        cl_ulong mem;
        cl_uint cus;
        TRY(query_string(NULL, devs[i].platform, CL_PLATFORM_NAME, plat, sizeof plat, err));
        TRY(query_string(devs[i].device, NULL, CL_DEVICE_NAME, name, sizeof name, err));
        TRY(query_string(devs[i].device, NULL, CL_DRIVER_VERSION, drv, sizeof drv, err));
        CL_TRY(clGetDeviceInfo(devs[i].device, CL_DEVICE_TYPE, sizeof type, &type, NULL));
        CL_TRY(clGetDeviceInfo(devs[i].device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL));
        CL_TRY(clGetDeviceInfo(devs[i].device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL));
        fprintf(out, "%-5d %-5s %-28.28s %-44.44s %-24.24s %7.1f GiB %4u\n", i, type_name(type),
                plat, name, drv, (double)mem / (1024.0 * 1024 * 1024), cus);
    }
exit:
    return st;
}

/* Does device i match spec's name part? "any" matches all, "cpu"/"gpu" match types,
 * anything else is a substring of the platform, vendor or device name. */
static clcam_status device_matches(const device_ref *d, const char *what, int *match,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char plat[256], name[256], vendor[256];
    cl_device_type type;
    CL_TRY(clGetDeviceInfo(d->device, CL_DEVICE_TYPE, sizeof type, &type, NULL));
    if (strcmp(what, "any") == 0) { *match = 1; goto exit; }
    if (strcmp(what, "gpu") == 0) { *match = (type & CL_DEVICE_TYPE_GPU) != 0; goto exit; }
    if (strcmp(what, "cpu") == 0) { *match = (type & CL_DEVICE_TYPE_CPU) != 0; goto exit; }
    TRY(query_string(NULL, d->platform, CL_PLATFORM_NAME, plat, sizeof plat, err));
    TRY(query_string(d->device, NULL, CL_DEVICE_NAME, name, sizeof name, err));
    TRY(query_string(d->device, NULL, CL_DEVICE_VENDOR, vendor, sizeof vendor, err));
    *match = contains_nocase(plat, what) || contains_nocase(name, what) || contains_nocase(vendor, what);
exit:
    return st;
}

/* The nth device matching what ("any" prefers GPUs: two passes, GPUs first); *seen counts
 * the matches passed, all of them when there is no nth. */
static clcam_status find_nth(const device_ref *devs, int n, const char *what, int nth, device_ref *out,
                             int *seen, int *found, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    *seen = *found = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            int match = 0;
            cl_device_type type;
            CL_TRY(clGetDeviceInfo(devs[i].device, CL_DEVICE_TYPE, sizeof type, &type, NULL));
            int is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
            if (strcmp(what, "any") == 0 && is_gpu != (pass == 0)) continue;
            if (strcmp(what, "any") != 0 && pass == 1) continue;
            TRY(device_matches(&devs[i], what, &match, err));
            if (match && (*seen)++ == nth) { *out = devs[i]; *found = 1; goto exit; }
        }
    }
exit:
    return st;
}

static clcam_status select_device(const char *spec, int turn, device_ref *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    device_ref devs[MAX_DEVICES];
    int n = 0, nth = 0, seen = 0, found = 0;
    char what[256];
    const char *colon = strrchr(spec, ':');
    snprintf(what, sizeof what, "%s", spec);
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || v < 0) {
            st = err_set(err, CLCAM_ERR_USAGE, "device '%s': expected NAME or NAME:N with N >= 0", spec);
            goto exit;
        }
        nth = (int)v;
        what[colon - spec] = '\0';
    }
    TRY(enumerate_devices(devs, &n, err));
    if (!colon && turn >= 0) { /* the matching devices in turn: count them first */
        TRY(find_nth(devs, n, what, -1, out, &seen, &found, err));
        nth = seen > 0 ? turn % seen : 0;
    }
    TRY(find_nth(devs, n, what, nth, out, &seen, &found, err));
    if (!found)
        st = err_set(err, CLCAM_ERR_INPUT, "device '%s': no such OpenCL device (%d match%s of %d devices; "
                     "'clcam devices' lists them)", spec, seen, seen == 1 ? "" : "es", n);
exit:
    return st;
}

clcam_status cl_ctx_init(cl_ctx *ctx, const char *spec, clcam_err *err)
{
    return cl_ctx_init_turn(ctx, spec, -1, err);
}

clcam_status cl_ctx_init_turn(cl_ctx *ctx, const char *spec, int turn, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    device_ref d;
    cl_int rc;
    const char *sync = getenv("CLCAM_SYNC");
    memset(ctx, 0, sizeof *ctx);
    ctx->sync_each = sync && *sync && strcmp(sync, "0") != 0;
    ctx->fault_alloc_limit = (size_t)fault_value("device_alloc_limit");
    ctx->fault_launch = fault_value("launch_out_of_resources");
    TRY(select_device(spec && *spec ? spec : "any", turn, &d, err));
    ctx->platform = d.platform;
    ctx->device = d.device;
    TRY(query_string(NULL, d.platform, CL_PLATFORM_NAME, ctx->platform_name, sizeof ctx->platform_name, err));
    TRY(query_string(d.device, NULL, CL_DEVICE_NAME, ctx->device_name, sizeof ctx->device_name, err));
    TRY(query_string(d.device, NULL, CL_DEVICE_VENDOR, ctx->vendor, sizeof ctx->vendor, err));
    TRY(query_string(d.device, NULL, CL_DRIVER_VERSION, ctx->driver_version, sizeof ctx->driver_version, err));
    CL_TRY(clGetDeviceInfo(d.device, CL_DEVICE_TYPE, sizeof ctx->type, &ctx->type, NULL));
    CL_TRY(clGetDeviceInfo(d.device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof ctx->max_work_group, &ctx->max_work_group, NULL));
    CL_TRY(clGetDeviceInfo(d.device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof ctx->local_mem, &ctx->local_mem, NULL));
    CL_TRY(clGetDeviceInfo(d.device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof ctx->global_mem, &ctx->global_mem, NULL));
    CL_TRY(clGetDeviceInfo(d.device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ctx->max_alloc, &ctx->max_alloc, NULL));
    ctx->context = clCreateContext(NULL, 1, &ctx->device, NULL, NULL, &rc);
    CL_TRY(rc);
    {
        const char *prof = getenv("CLCAM_PROFILE");
        if (prof && *prof && strcmp(prof, "0") != 0 && !(ctx->prof = cl_profile_new())) {
            st = err_set(err, CLCAM_ERR_NOMEM, "out of memory");
            goto exit;
        }
    }
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->device, ctx->prof ? CL_QUEUE_PROFILING_ENABLE : 0, &rc);
    CL_TRY(rc);
    TRY(cl_programs_load(ctx, err));
    gemm_params_load(ctx);
exit:
    if (st != CLCAM_OK) cl_ctx_free(ctx);
    return st;
}

void cl_ctx_free(cl_ctx *ctx)
{
    if (ctx->queue) clFinish(ctx->queue); /* nothing queued may outlive what it uses */
    cl_profile_free(ctx);
    for (int i = 0; i < ctx->n_kernels; i++) clReleaseKernel(ctx->kernels[i].kernel);
    ctx->n_kernels = 0;
    for (int i = 0; i < CL_CTX_SCRATCH; i++) {
        if (ctx->scratch[i]) clReleaseMemObject(ctx->scratch[i]);
        ctx->scratch[i] = NULL;
        ctx->scratch_bytes[i] = 0;
    }
    cl_programs_free(ctx);
    if (ctx->queue) clReleaseCommandQueue(ctx->queue);
    /* CLBlast keeps the programs it built for this context in a process-wide cache, released
     * otherwise by a static destructor at exit, after the OpenCL runtime's thread-local state
     * is gone (under oclgrind that write into freed memory corrupts the heap). A failure here
     * only leaves cached builds behind, so it is not reported. */
    (void)CLBlastClearCache();
    if (ctx->context) clReleaseContext(ctx->context);
    ctx->queue = NULL;
    ctx->context = NULL;
}

static int find_kernel(const cl_ctx *ctx, const char *name)
{
    for (int i = 0; i < ctx->n_kernels; i++)
        if (strcmp(ctx->kernels[i].name, name) == 0) return i;
    return -1;
}

clcam_status cl_ctx_kernel(cl_ctx *ctx, const char *name, cl_kernel *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k = NULL;
    cl_program prog = NULL;
    cl_int rc;
    size_t wg = 1;
    cl_uint n_args = 0;
    int i = find_kernel(ctx, name);
    if (i >= 0) {
        *out = ctx->kernels[i].kernel;
        goto exit;
    }
    if (ctx->n_kernels >= CL_CTX_MAX_KERNELS) {
        st = err_set(err, CLCAM_ERR_LIMIT, "too many kernels (raise CL_CTX_MAX_KERNELS)");
        goto exit;
    }
    TRY(cl_programs_for_kernel(ctx, name, &prog, err));
    k = clCreateKernel(prog, name, &rc);
    if (rc != CL_SUCCESS) {
        st = err_set_cl(err, rc, "clCreateKernel(%s) failed: %s (%d)", name, cl_error_name(rc), (int)rc);
        goto exit;
    }
    CL_TRY(clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL));
    CL_TRY(clGetKernelInfo(k, CL_KERNEL_NUM_ARGS, sizeof n_args, &n_args, NULL));
    i = ctx->n_kernels++;
    snprintf(ctx->kernels[i].name, sizeof ctx->kernels[i].name, "%s", name);
    ctx->kernels[i].kernel = k;
    ctx->kernels[i].wg = wg;
    ctx->kernels[i].n_args = n_args;
    *out = k;
    k = NULL;
exit:
    if (k) clReleaseKernel(k);
    return st;
}

static int kernel_index(const cl_ctx *ctx, cl_kernel k)
{
    for (int i = 0; i < ctx->n_kernels; i++)
        if (ctx->kernels[i].kernel == k) return i;
    return -1;
}

clcam_status cl_ctx_set_args(cl_ctx *ctx, cl_kernel k, const cl_karg *args, size_t n,
                             const char *file, int line, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int i = kernel_index(ctx, k);
    const char *name = i >= 0 ? ctx->kernels[i].name : "(a kernel not from cl_ctx_kernel)";
    if (i < 0 || ctx->kernels[i].n_args != n) {
        st = err_set(err, CLCAM_ERR_CL, "kernel %s takes %u arguments, its launcher (%s:%d) sets %zu",
                     name, i >= 0 ? (unsigned)ctx->kernels[i].n_args : 0u, file, line, n);
        goto exit;
    }
    for (size_t a = 0; a < n; a++) {
        cl_int rc = clSetKernelArg(k, (cl_uint)a, args[a].size, args[a].value);
        if (rc != CL_SUCCESS) {
            st = err_set_cl(err, rc, "clSetKernelArg(%s, argument %zu of %zu, %zu bytes) failed at %s:%d: "
                            "%s (%d)", name, a, n, args[a].size, file, line, cl_error_name(rc), (int)rc);
            goto exit;
        }
    }
exit:
    return st;
}

clcam_status cl_ctx_after_enqueue(cl_ctx *ctx, const char *what, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_int rc;
    if (!ctx->sync_each) goto exit;
    rc = clFinish(ctx->queue);
    if (rc != CL_SUCCESS)
        st = err_set(err, CLCAM_ERR_CL, "%s: clFinish after it failed: %s (%d)", what, cl_error_name(rc), (int)rc);
exit:
    return st;
}

/* Every launch: the enqueue, the fault switch of the tests, the profile slot, CLCAM_SYNC. */
static clcam_status enqueue_kernel(cl_ctx *ctx, cl_kernel k, cl_uint dims, const size_t *global,
                                   const size_t *local, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char name[64] = "kernel";
    cl_int rc;
    clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
    name[sizeof name - 1] = '\0';
    if (ctx->fault_launch && ++ctx->n_launches == ctx->fault_launch)
        rc = CL_OUT_OF_RESOURCES; /* CLCAM_FAULT=launch_out_of_resources:N: a kernel fault */
    else
        rc = clEnqueueNDRangeKernel(ctx->queue, k, dims, NULL, global, local, 0, NULL,
                                    cl_profile_slot(ctx, name));
    if (rc != CL_SUCCESS) {
        char range[96];
        if (dims > 1) snprintf(range, sizeof range, "%zu x %zu items", global[0], global[1]);
        else snprintf(range, sizeof range, "%zu groups of %zu", global[0] / local[0], local[0]);
        st = err_set_cl(err, rc, "clEnqueueNDRangeKernel(%s, %s) failed: %s (%d)", name, range,
                        cl_error_name(rc), (int)rc);
        goto exit;
    }
    TRY(cl_ctx_after_enqueue(ctx, name, err));
exit:
    return st;
}

clcam_status cl_ctx_launch1d(cl_ctx *ctx, cl_kernel k, size_t n, clcam_err *err)
{
    int i = kernel_index(ctx, k);
    size_t local = 64, cap = i >= 0 ? ctx->kernels[i].wg : 1, global;
    if (n == 0) return CLCAM_OK;
    while (local > cap) local /= 2;
    if (local > ctx->max_work_group) local = ctx->max_work_group;
    if (local == 0) local = 1;
    global = (n + local - 1) / local * local;
    return enqueue_kernel(ctx, k, 1, &global, &local, err);
}

clcam_status cl_ctx_launch2d(cl_ctx *ctx, cl_kernel k, const size_t global[2], clcam_err *err)
{
    if (global[0] == 0 || global[1] == 0) return CLCAM_OK;
    return enqueue_kernel(ctx, k, 2, global, NULL, err);
}

clcam_status cl_ctx_launch_groups(cl_ctx *ctx, cl_kernel k, size_t n_groups, size_t local,
                                  clcam_err *err)
{
    size_t global = n_groups * local;
    if (n_groups == 0) return CLCAM_OK;
    return enqueue_kernel(ctx, k, 1, &global, &local, err);
}

size_t cl_ctx_reduce_wg(const cl_ctx *ctx, const char *kernel_name, size_t cap)
{
    int i = find_kernel(ctx, kernel_name);
    size_t limit = i >= 0 ? ctx->kernels[i].wg : 1, wg = 1;
    if (limit > ctx->max_work_group) limit = ctx->max_work_group;
    if (limit > cap) limit = cap;
    while (wg * 2 <= limit) wg *= 2;
    return wg;
}

clcam_status cl_check_elems(const char *what, unsigned long long n, clcam_err *err)
{
    if (n <= CL_CTX_MAX_ELEMS) return CLCAM_OK;
    return err_set_alloc(err, CL_INVALID_BUFFER_SIZE, "%s: %llu elements, more than the int indices "
                         "of the kernels reach (%llu): lower the batch size", what, n, CL_CTX_MAX_ELEMS);
}

clcam_status cl_ctx_alloc(cl_ctx *ctx, size_t bytes, cl_mem *out, const char *what, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_int rc;
    *out = NULL;
    if (bytes == 0) bytes = 4; /* zero-sized buffers are invalid in OpenCL */
    if (bytes / sizeof(float) > CL_CTX_MAX_ELEMS) {
        char desc[160];
        snprintf(desc, sizeof desc, "buffer %s (%zu bytes)", what, bytes);
        TRY(cl_check_elems(desc, bytes / sizeof(float), err));
    }
    if (bytes > ctx->max_alloc) {
        st = err_set_alloc(err, CL_INVALID_BUFFER_SIZE, "buffer %s needs %zu bytes, more than the device's "
                           "largest allocation (%llu bytes): lower the batch size", what, bytes,
                           (unsigned long long)ctx->max_alloc);
        goto exit;
    }
    if (ctx->fault_alloc_limit && bytes > ctx->fault_alloc_limit) {
        *out = NULL;
        rc = CL_MEM_OBJECT_ALLOCATION_FAILURE; /* CLCAM_FAULT=device_alloc_limit: a small device */
    } else {
        *out = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &rc);
    }
    if (rc != CL_SUCCESS) {
        st = err_set_alloc(err, rc, "clCreateBuffer(%s, %zu bytes) failed: %s (%d)", what, bytes,
                           cl_error_name(rc), (int)rc);
        *out = NULL;
    }
exit:
    return st;
}

clcam_status cl_ctx_upload(cl_ctx *ctx, cl_mem buf, const void *src, size_t bytes, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (bytes) CL_TRY(clEnqueueWriteBuffer(ctx->queue, buf, CL_TRUE, 0, bytes, src, 0, NULL, NULL));
exit:
    return st;
}

clcam_status cl_ctx_download(cl_ctx *ctx, cl_mem buf, void *dst, size_t bytes, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (bytes) CL_TRY(clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, bytes, dst, 0, NULL, NULL));
exit:
    return st;
}

clcam_status cl_ctx_scratch(cl_ctx *ctx, int slot, size_t bytes, cl_mem *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (ctx->scratch_bytes[slot] < bytes) {
        if (ctx->scratch[slot]) clReleaseMemObject(ctx->scratch[slot]);
        ctx->scratch[slot] = NULL;
        ctx->scratch_bytes[slot] = 0;
        TRY(cl_ctx_alloc(ctx, bytes, &ctx->scratch[slot], "scratch", err));
        ctx->scratch_bytes[slot] = bytes;
    }
    *out = ctx->scratch[slot];
exit:
    return st;
}
