/* Tiny test harness: CHECK counts failures, test_finish prints "N passed, N failed". */
#ifndef CLCAM_TESTUTIL_H
#define CLCAM_TESTUTIL_H

#include <stddef.h>

extern int test_passed, test_failed;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (cond) {                                                                   \
            test_passed++;                                                            \
        } else {                                                                      \
            test_failed++;                                                            \
            test_report(__FILE__, __LINE__, #cond);                                   \
            test_detail(__VA_ARGS__);                                                 \
        }                                                                             \
    } while (0)

void test_report(const char *file, int line, const char *expr);
void test_detail(const char *fmt, ...);
/* Prints the closing line and returns the process exit code. */
int test_finish(const char *name);
/* Exit code 77 with a reason: ctest reports the test as skipped. */
int test_skip(const char *name, const char *why);

/* The GEMM engine in use (gemm_own: cl_ctx.gemm_own or run_report.gemm_own) is the one
 * CLCAM_GEMM asks for, where it asks: a CHECK, so an engine variable that is ignored or
 * misspelt fails the test instead of testing the default engine twice. */
void test_check_engine(int gemm_own);
/* ../shared by default, or $CLCAM_SHARED; NULL if the folder is absent. */
const char *test_shared_dir(void);
/* Deterministic uniform floats in [lo, hi). */
void test_fill_uniform(float *x, size_t n, float lo, float hi, unsigned *seed);
/* max |a-b| / (abs_tol + rel_tol*|b|) over n elements; <= 1 means within tolerance. */
double test_tol_ratio(const float *a, const float *b, size_t n, double abs_tol, double rel_tol,
                      size_t *worst);
/* A fresh temporary directory (under $TMPDIR or /tmp), owned by the caller. */
const char *test_tmpdir(void);

#endif
