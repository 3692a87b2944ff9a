/* Put before every kernel file, each of which is built as a program of its own (cl/runtime.c):
 * only what every file needs. A pragma holds to the end of the program it is in, so a file that
 * wants one (FP_CONTRACT OFF) states it itself, and none reaches another file. */
#if !defined(__OPENCL_C_VERSION__) || __OPENCL_C_VERSION__ < 120
#error "clcam's kernels are OpenCL C 1.2"
#endif
