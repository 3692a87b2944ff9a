/* Peak float32 multiply-add rate of this CPU, all cores: each thread runs independent chains
 * of vector multiply-adds, which gcc -O2 -march=native turns into the widest FMA the CPU has
 * (AVX-512 here). The figure a convolution's GFLOP/s are read against (bench_resnet.py builds
 * and runs it). Build: gcc -O2 -march=native -fopenmp cpu_peak.c -o cpu_peak */
#include <omp.h>
#include <stdio.h>
#include <time.h>

#define CHAINS 12
#define LANES 16

typedef float vec __attribute__((vector_size(4 * LANES)));

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
    const long iters = 20000000L;
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        float sink = 0;
        double t0 = now();
#pragma omp parallel reduction(+ : sink)
        {
            vec acc[CHAINS], a, b;
            for (int l = 0; l < LANES; l++) a[l] = 0.999999f, b[l] = 1e-7f;
            for (int c = 0; c < CHAINS; c++)
                for (int l = 0; l < LANES; l++) acc[c][l] = (float)c;
            for (long i = 0; i < iters; i++) {
#pragma GCC unroll 12
                for (int c = 0; c < CHAINS; c++) acc[c] = acc[c] * a + b; /* in registers */
            }
            for (int c = 0; c < CHAINS; c++)
                for (int l = 0; l < LANES; l++) sink += acc[c][l];
        }
        double dt = now() - t0, flops = 2.0 * LANES * CHAINS * (double)iters * omp_get_max_threads();
        if (flops / dt > best) best = flops / dt;
        if (sink == 12345.0f) printf(" "); /* keeps the chains alive */
    }
    printf("threads %d: %.1f GFLOP/s float32 multiply-add peak\n", omp_get_max_threads(), best / 1e9);
    return 0;
}
