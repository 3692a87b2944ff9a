/* OpenCL device selection, context, queue, our kernels' programs (one per kernel file in cl/kernels
 * file, built on first use), and launch helpers. */
#ifndef CLCAM_CL_RUNTIME_H
#define CLCAM_CL_RUNTIME_H

#include <CL/cl.h>
#include <stddef.h>
#include <stdio.h>

#include "../base/error.h"
#include "error_names.h"

#define CL_CTX_MAX_KERNELS 160 /* kernels in cl/kernels: 66 today */
#define CL_CTX_MAX_PROGRAMS 32

typedef struct cl_profile cl_profile;

#define CL_CTX_SCRATCH 4 /* scratch slots: Winograd's forward needs four */
#define CL_CTX_MAX_CONV 32 /* per-shape convolution choices from the tuning file */

/* The forward method `clcam tune` measured fastest for one convolution shape (any batch);
 * method is a conv_method (cl/conv.h). */
typedef struct {
    int C, H, W, K, kernel, pad, stride, method;
} cl_conv_choice;

/* One kernel file: the shared prelude and the file, built as a program of its own the first
 * time one of its kernels is asked for, so its pragmas hold for it alone and a file that does
 * not build breaks only the commands that use it. */
typedef struct {
    char name[32];        /* the file's name without .cl */
    const char *source;   /* embedded, or read from CLCAM_KERNEL_DIR (then owned) */
    char *owned;
    cl_program program;   /* NULL until first built */
    int failed;           /* the build failed (log printed): not tried again */
} cl_ctx_program;

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    const char *prelude;       /* cl/kernels/prelude.cl: put before every program's source */
    char *prelude_owned;
    int n_programs;
    cl_ctx_program programs[CL_CTX_MAX_PROGRAMS];
    char device_name[256];
    char platform_name[256];
    char vendor[256];
    char driver_version[128];
    cl_device_type type;
    size_t max_work_group;     /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
    cl_ulong local_mem;        /* CL_DEVICE_LOCAL_MEM_SIZE */
    cl_ulong global_mem;
    cl_ulong max_alloc;
    int sync_each;             /* CLCAM_SYNC=1: finish after every enqueue */
    char gemm_tuning[256];     /* the Xgemm parameters in use, or "CLBlast defaults" */
    int gemm_own;              /* convolutions use our GEMM kernel (gemm.cl), not CLBlast's */
    int n_conv;                /* conv_choice entries: per-shape forward methods */
    cl_conv_choice conv_choice[CL_CTX_MAX_CONV];
    size_t fault_alloc_limit;  /* CLCAM_FAULT=device_alloc_limit:BYTES (tests), else 0 */
    long long fault_launch;    /* CLCAM_FAULT=launch_out_of_resources:N (tests), else 0 */
    long long n_launches;      /* kernel launches so far, for fault_launch */
    cl_profile *prof;          /* CLCAM_PROFILE=1: device time per stage and kernel */
    const char *stage;         /* the pipeline stage being enqueued, for the profile */
    cl_mem scratch[CL_CTX_SCRATCH]; /* reusable work buffers (the queue is in order) */
    size_t scratch_bytes[CL_CTX_SCRATCH];
    int n_kernels;
    struct { char name[64]; cl_kernel kernel; size_t wg; cl_uint n_args; } kernels[CL_CTX_MAX_KERNELS];
} cl_ctx;

/* Records an OpenCL failure with the call, the site and the code's name, then jumps to exit.
 * Needs `clcam_status st` and `clcam_err *err` in scope. */
#define CL_TRY(expr)                                                                     \
    do {                                                                                 \
        cl_int cl_try_rc_ = (expr);                                                      \
        if (cl_try_rc_ != CL_SUCCESS) {                                                  \
            st = err_set_cl(err, cl_try_rc_, "%s failed in %s (%s:%d): %s (%d)", #expr,  \
                            __func__, __FILE__, __LINE__, cl_error_name(cl_try_rc_),     \
                            (int)cl_try_rc_);                                            \
            goto exit;                                                                   \
        }                                                                                \
    } while (0)

/* One kernel argument: a value's size and address, or (value NULL) bytes of local memory. */
typedef struct {
    size_t size;
    const void *value;
} cl_karg;

/* The argument v, an lvalue (its address is taken): CL_ARG(n), CL_ARG(s->H). */
#define CL_ARG(v) ((cl_karg){sizeof(v), &(v)})
/* bytes of __local memory. */
#define CL_ARG_LOCAL(bytes) ((cl_karg){(bytes), NULL})

/* Sets all of kernel k's arguments in order, as CLBlast's SetArguments: argument i is the
 * i-th after err. Fails, naming the kernel and the launcher, unless their count is the
 * kernel's (CL_KERNEL_NUM_ARGS), so an argument added to a kernel and not to its launcher,
 * or the reverse, is an error on the first call, not a silent shift. Use in TRY(). */
#define CL_ARGS(ctx, k, err, ...)                                                        \
    cl_ctx_set_args((ctx), (k), (const cl_karg[]){__VA_ARGS__},                           \
                    sizeof((const cl_karg[]){__VA_ARGS__}) / sizeof(cl_karg), __FILE__,    \
                    __LINE__, (err))
clcam_status cl_ctx_set_args(cl_ctx *ctx, cl_kernel k, const cl_karg *args, size_t n,
                             const char *file, int line, clcam_err *err);

/* Opens the device matching spec ("cpu", "gpu", "any", a name substring, optional ":N")
 * and finds our kernel sources (embedded, or $CLCAM_KERNEL_DIR/NAME.cl where present);
 * nothing is built until a kernel is asked for. */
clcam_status cl_ctx_init(cl_ctx *ctx, const char *spec, clcam_err *err);
/* The same, where a spec without ":N" takes the (turn mod count)-th matching device: the
 * ranks of one node (their local rank as turn) share the devices out. turn < 0: the first. */
clcam_status cl_ctx_init_turn(cl_ctx *ctx, const char *spec, int turn, clcam_err *err);
void cl_ctx_free(cl_ctx *ctx);

/* Writes the device table of `clcam devices` to out. */
clcam_status cl_devices_list(FILE *out, clcam_err *err);

/* The kernel named name, from the program of the .cl file that defines it, that program
 * built (or loaded from the binary cache) on first use; created once, then cached. A file
 * that fails to build prints its build log and fails every lookup in it. */
clcam_status cl_ctx_kernel(cl_ctx *ctx, const char *name, cl_kernel *out, clcam_err *err);

/* Enqueues kernel k over n work-items (rounded up to the work-group size; kernels
 * bounds-check against n). */
clcam_status cl_ctx_launch1d(cl_ctx *ctx, cl_kernel k, size_t n, clcam_err *err);
/* Enqueues a 2-D range of global items, the work-group size left to the driver. */
clcam_status cl_ctx_launch2d(cl_ctx *ctx, cl_kernel k, const size_t global[2], clcam_err *err);
/* Enqueues n_groups work-groups of `local` items each. */
clcam_status cl_ctx_launch_groups(cl_ctx *ctx, cl_kernel k, size_t n_groups, size_t local,
                                  clcam_err *err);
/* A power-of-two work-group size <= cap that kernel k and the device accept. */
size_t cl_ctx_reduce_wg(const cl_ctx *ctx, const char *kernel_name, size_t cap);

/* Kernels and launchers index with int: a buffer of more elements than this would overflow
 * them (at 224x224 a batch's column matrix can pass it on a large GPU). */
#define CL_CTX_MAX_ELEMS 2147483647ull /* INT_MAX */

/* Refuses n elements (counted in 64 bits) for the buffer described by what: an allocation
 * error (err_set_alloc, CL_INVALID_BUFFER_SIZE), so `clcam run` retries with a smaller batch,
 * and elsewhere a one-line error that names the buffer and its size. */
clcam_status cl_check_elems(const char *what, unsigned long long n, clcam_err *err);

/* Buffer helpers: allocation (refused past CL_CTX_MAX_ELEMS floats: all our buffers hold 4-byte
 * elements but the uint8 images, whose count is the float network input's), blocking
 * upload/download. */
clcam_status cl_ctx_alloc(cl_ctx *ctx, size_t bytes, cl_mem *out, const char *what,
                          clcam_err *err);
clcam_status cl_ctx_upload(cl_ctx *ctx, cl_mem buf, const void *src, size_t bytes,
                           clcam_err *err);
clcam_status cl_ctx_download(cl_ctx *ctx, cl_mem buf, void *dst, size_t bytes,
                             clcam_err *err);
/* Scratch buffer `slot` (0 or 1) of at least bytes, grown on demand and owned by ctx.
 * Safe to reuse between operations because the queue is in order. */
clcam_status cl_ctx_scratch(cl_ctx *ctx, int slot, size_t bytes, cl_mem *out, clcam_err *err);
clcam_status cl_ctx_after_enqueue(cl_ctx *ctx, const char *what, clcam_err *err);

#endif
