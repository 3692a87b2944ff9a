#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int test_passed, test_failed;

void test_report(const char *file, int line, const char *expr)
{
    fprintf(stderr, "FAIL %s:%d: %s\n", file, line, expr);
}

void test_detail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("     ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int test_finish(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
    return test_failed == 0 && test_passed > 0 ? 0 : 1;
}

int test_skip(const char *name, const char *why)
{
    printf("SKIP %s: %s\n", name, why);
    return 77;
}

void test_check_engine(int gemm_own)
{
    static int said;
    const char *want = getenv("CLCAM_GEMM");
    if (!said++) printf("GEMM engine: %s (CLCAM_GEMM=%s)\n", gemm_own ? "own" : "clblast", want ? want : "unset");
    if (!want) return;
    CHECK(strcmp(want, "own") == 0 || strcmp(want, "clblast") == 0, "CLCAM_GEMM=%s: expected own or clblast", want);
    CHECK(gemm_own == (strcmp(want, "own") == 0), "CLCAM_GEMM=%s, but the engine in use is %s", want,
          gemm_own ? "own" : "clblast");
}

const char *test_shared_dir(void)
{
    static char buf[1024];
    const char *env = getenv("CLCAM_SHARED");
    struct stat st;
    snprintf(buf, sizeof buf, "%s", env && *env ? env : CLCAM_SOURCE_DIR "/../shared");
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? buf : NULL;
}

void test_fill_uniform(float *x, size_t n, float lo, float hi, unsigned *seed)
{
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        x[i] = lo + (hi - lo) * (float)((*seed >> 8) / 16777216.0);
    }
}

double test_tol_ratio(const float *a, const float *b, size_t n, double abs_tol, double rel_tol,
                      size_t *worst)
{
    double r = 0;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / (abs_tol + rel_tol * fabs(b[i]));
        if (!(d <= r)) { /* catches NaN too */
            r = isnan(d) ? INFINITY : d;
            w = i;
        }
    }
    if (worst) *worst = w;
    return r;
}

const char *test_tmpdir(void)
{
    static char buf[1024];
    const char *base = getenv("TMPDIR");
    snprintf(buf, sizeof buf, "%s/clcam-test-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(buf);
}
