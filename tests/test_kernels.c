/* Every kernel and CLBlast call against the plain-C reference, at every selftest size
 * variant (batch 1, odd sizes, sizes that are not multiples of a work-group). */
#include <stdio.h>

#include "cl/runtime.h"
#include "pipeline/selftest/selftest.h"
#include "testutil.h"

int main(void)
{
    cl_ctx ctx;
    clcam_err err = {0};
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "cannot open an OpenCL device: %s\n", err.msg);
        return 1; /* CI always has PoCL: no device is a failure, not a skip */
    }
    for (int i = 0; i < selftest_case_count(); i++) {
        for (int v = 0; v < 3; v++) {
            selftest_result r;
            clcam_status st = selftest_case(&ctx, i, v, &r, &err);
            CHECK(st == CLCAM_OK, "case %d variant %d: %s", i, v, err.msg);
            CHECK(r.ratio <= 1.0, "%s (%s): error/tolerance %.3g, max |diff| %.3g", r.name, r.sizes,
                  r.ratio, r.max_abs);
        }
    }
    cl_ctx_free(&ctx);
    return test_finish("test_kernels");
}
