/* One status type and one error record for the whole program. */
#ifndef CLCAM_ERROR_H
#define CLCAM_ERROR_H

typedef enum {
    CLCAM_OK = 0,
    CLCAM_ERR_USAGE = -1, /* bad command line */
    CLCAM_ERR_INPUT = -2, /* bad config, dataset, weights: user's input */
    CLCAM_ERR_CL = -3,    /* OpenCL or CLBlast failure */
    CLCAM_ERR_HDF5 = -4,  /* HDF5 failure on a file we own */
    CLCAM_ERR_IO = -5,    /* file system */
    CLCAM_ERR_NOMEM = -6,
    CLCAM_ERR_INTERRUPTED = -7, /* stopped by a signal after saving its progress */
    CLCAM_ERR_LIMIT = -8  /* a fixed limit of clcam's own reached at run time: not the user's
                           * input, so exit 1, not 2 */
} clcam_status;

typedef struct {
    clcam_status status;
    char msg[1024];
    int cl_code;          /* the OpenCL (or CLBlast) status behind a CLCAM_ERR_CL, else 0 */
    int alloc;            /* the failed call allocated device memory (err_set_alloc) */
} clcam_err;

#if defined(__GNUC__)
#define CLCAM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLCAM_PRINTF(a, b)
#endif

/* Propagates a failed clcam_status to the cleanup label. */
#define TRY(expr)                                                                        \
    do {                                                                                 \
        if ((st = (expr)) != CLCAM_OK) goto exit;                                        \
    } while (0)

/* Records the first error only: the root cause, not its echoes in cleanup. */
clcam_status err_set(clcam_err *err, clcam_status st, const char *fmt, ...) CLCAM_PRINTF(3, 4);
/* err_set for a failed OpenCL or CLBlast call: also keeps its status code. */
clcam_status err_set_cl(clcam_err *err, int cl_code, const char *fmt, ...) CLCAM_PRINTF(3, 4);
/* err_set_cl for a failed allocation of device memory (clCreateBuffer, our size checks). */
clcam_status err_set_alloc(clcam_err *err, int cl_code, const char *fmt, ...) CLCAM_PRINTF(3, 4);
/* Forgets the recorded error, for a caller that handles it and tries again. */
void err_clear(clcam_err *err);
/* Did the device run out of memory? Then a smaller batch may fit. True for an error of an
 * allocation (err_set_alloc: any code, CL_OUT_OF_RESOURCES included, or a buffer over the
 * device's largest allocation) and for CL_MEM_OBJECT_ALLOCATION_FAILURE from any call (a
 * driver that allocates lazily reports it at the first launch that uses the buffer; CLBlast
 * passes it through from its temporary buffers). Not for CL_OUT_OF_RESOURCES from a launch or
 * a wait: NVIDIA's drivers report a kernel's out-of-bounds access so, and a smaller batch
 * would only hide the fault. Nor for CLBlast's kInsufficientMemory* codes: they say that a
 * buffer we passed is too small for the sizes we gave, a bug of ours. */
int err_is_device_alloc(const clcam_err *err);
const char *clcam_status_str(clcam_status st);
/* 2 for usage and input errors, 1 for run-time failures, 0 for success. */
int clcam_exit_code(clcam_status st);

#endif
