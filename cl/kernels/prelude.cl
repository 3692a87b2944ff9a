/* Put before every kernel file, each of which is built as a program of its own (cl/runtime.c):
 * only what every file needs, and the few helpers that several files share. A pragma holds to the end of the program it is in, so a file that
 * wants one (FP_CONTRACT OFF) states it itself, and none reaches another file. */
#if !defined(__OPENCL_C_VERSION__) || __OPENCL_C_VERSION__ < 120
#error "clcam's kernels are OpenCL C 1.2"
#endif

/* lowbias32 (Chris Wellons' 32-bit integer hash): the mixer of every counter-based random
 * number of the kernels (augmentation, the random baseline, ROAD's noise); base/hash.h is the
 * same in C, for the references. */
static uint clcam_mix32(uint x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}
