/* Fault injection for the tests of interruption and resume: CLCAM_FAULT=POINT:N makes the
 * process act at the N-th time it passes POINT:
 *   kill_after_write:N   SIGKILL after a batch's rows are written, before its progress mark
 *   kill_after_mark:N    SIGKILL after the progress mark
 *   term_after_mark:N    SIGTERM (handled: finish, flush, exit 143) after the progress mark
 *   int_after_mark:N     SIGINT, the same with exit 130
 *   kill_after_step:N    clcam train: SIGKILL after its N-th optimizer step
 *   kill_after_checkpoint:N  clcam train: SIGKILL after the checkpoint of epoch N is written
 * Unset in normal use: then fault_point does nothing. */
#ifndef CLCAM_FAULT_H
#define CLCAM_FAULT_H

void fault_point(const char *point, int count);

#endif
