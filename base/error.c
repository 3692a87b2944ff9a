#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static void err_vset(clcam_err *err, clcam_status st, int cl_code, int alloc, const char *fmt,
                     va_list ap)
{
    if (!err || err->status != CLCAM_OK) return;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    err->status = st;
    err->cl_code = cl_code;
    err->alloc = alloc;
}

clcam_status err_set(clcam_err *err, clcam_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, st, 0, 0, fmt, ap);
    va_end(ap);
    return st;
}

clcam_status err_set_cl(clcam_err *err, int cl_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, CLCAM_ERR_CL, cl_code, 0, fmt, ap);
    va_end(ap);
    return CLCAM_ERR_CL;
}

clcam_status err_set_alloc(clcam_err *err, int cl_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, CLCAM_ERR_CL, cl_code, 1, fmt, ap);
    va_end(ap);
    return CLCAM_ERR_CL;
}

void err_clear(clcam_err *err)
{
    err->status = CLCAM_OK;
    err->msg[0] = '\0';
    err->cl_code = 0;
    err->alloc = 0;
}

int err_is_device_alloc(const clcam_err *err)
{
    /* -4: CL_MEM_OBJECT_ALLOCATION_FAILURE (error.c does not include OpenCL's headers) */
    return err->status == CLCAM_ERR_CL && (err->alloc || err->cl_code == -4);
}

const char *clcam_status_str(clcam_status st)
{
    switch (st) {
    case CLCAM_OK: return "ok";
    case CLCAM_ERR_USAGE: return "usage error";
    case CLCAM_ERR_INPUT: return "bad input";
    case CLCAM_ERR_CL: return "OpenCL error";
    case CLCAM_ERR_HDF5: return "HDF5 error";
    case CLCAM_ERR_IO: return "I/O error";
    case CLCAM_ERR_NOMEM: return "out of memory";
    case CLCAM_ERR_INTERRUPTED: return "interrupted";
    case CLCAM_ERR_LIMIT: return "internal limit reached";
    }
    return "unknown status";
}

int clcam_exit_code(clcam_status st)
{
    switch (st) {
    case CLCAM_OK: return 0;
    case CLCAM_ERR_USAGE:
    case CLCAM_ERR_INPUT: return 2;
    default: return 1;
    }
}
