/* Fault injection for the tests of interruption and resume: CLCAM_FAULT=POINT:N makes the
 * process act at the N-th time it passes POINT:
 *   kill_after_write:N   SIGKILL after a batch's rows are written, before its progress mark
 *   kill_after_mark:N    SIGKILL after the progress mark
 *   term_after_mark:N    SIGTERM (handled: finish, flush, exit 143) after the progress mark
 *   int_after_mark:N     SIGINT, the same with exit 130
 *   kill_after_step:N    clcam train: SIGKILL after its N-th optimizer step
 *   kill_after_checkpoint:N  clcam train: SIGKILL after the checkpoint of epoch N is written
 * and CLCAM_FAULT=NAME:VALUE sets a value that a part of clcam reads with fault_value:
 *   device_alloc_limit:BYTES  a device buffer larger than BYTES fails to allocate with
 *                             CL_MEM_OBJECT_ALLOCATION_FAILURE, as on a device with little memory
 *   launch_out_of_resources:N  the N-th kernel launch of the process fails with
 *                             CL_OUT_OF_RESOURCES, as NVIDIA's drivers report a kernel fault
 * Unset in normal use: then fault_point does nothing and fault_value gives 0. */
#ifndef CLCAM_FAULT_H
#define CLCAM_FAULT_H

void fault_point(const char *point, int count);
/* VALUE when CLCAM_FAULT is NAME:VALUE, else 0. */
long long fault_value(const char *name);

#endif
