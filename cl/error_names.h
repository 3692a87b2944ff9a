/* Names for OpenCL and CLBlast status codes, for error messages. */
#ifndef CLCAM_CL_ERROR_NAMES_H
#define CLCAM_CL_ERROR_NAMES_H

const char *cl_error_name(int code);
const char *clblast_status_name(int code);

#endif
