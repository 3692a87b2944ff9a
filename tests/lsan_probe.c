/* The LeakSanitizer check of the sanitizer build (tests/lsan_check.sh runs it): opens the
 * device and runs a kernel as every device test does, so the OpenCL driver's threads and
 * thread-local storage are there when LSan scans at exit; with the argument "leak" it loses
 * one allocation made by clcam's own code, which LSan must report. */
#include <stdio.h>
#include <string.h>

#include "cl/profile.h"
#include "cl/runtime.h"
#include "pipeline/selftest/selftest.h"

/* In a frame of its own, so no copy of the pointer is left where LSan looks for roots. */
static __attribute__((noinline)) void lose_profile(void)
{
    cl_profile *volatile p = cl_profile_new();
    p = NULL;
    (void)p;
}

int main(int argc, char **argv)
{
    cl_ctx ctx;
    clcam_err err = {0};
    selftest_result r;
    int leak = argc > 1 && strcmp(argv[1], "leak") == 0;
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "lsan_probe: cannot open an OpenCL device: %s\n", err.msg);
        return 1;
    }
    if (selftest_case(&ctx, 0, 0, &r, &err) != CLCAM_OK) {
        fprintf(stderr, "lsan_probe: %s\n", err.msg);
        cl_ctx_free(&ctx);
        return 1;
    }
    if (leak) lose_profile();
    else if (!ctx.prof) ctx.prof = cl_profile_new(); /* the same allocation, freed by cl_ctx_free */
    cl_ctx_free(&ctx);
    printf("lsan_probe: %s, %s %s\n", leak ? "one profile lost" : "nothing lost", r.name,
           r.ratio <= 1.0 ? "passed" : "failed");
    return 0;
}
