#include "tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <clblast_c.h>

#include "../../cl/blas.h"
#include "../../cl/conv.h"
#include "../../cl/conv_winograd.h"
#include "../../cl/gemm_params.h"
#include "../../cl/ops.h"
#include "../../base/progress.h"
#include "../run.h"
#include "tune_batch.h"

/* The GEMMs of SimpleCNN's convolutions as im2col + GEMM slices ([out channels, C*k*k] x
 * [C*k*k, images * OH * OW]): what `run` spends its device time on. */
static const struct { size_t m, n, k; } SHAPES[] = {
    {32, 128 * 1024, 27}, {64, 56 * 256, 288}, {128, 113 * 64, 576},
};
enum { N_SHAPES = sizeof SHAPES / sizeof *SHAPES, REPS = 2 };

/* Sets that suit CPUs (large tiles per work-item, no local memory) and GPUs (CLBlast's
 * common picks), timed before the random ones. */
static const gemm_params PRESETS[] = {
    {{64, 64, 32, 8, 8, 8, 8, 2, 4, 4, 0, 0, 0, 0, 0, 1}},
    {{128, 64, 32, 16, 8, 16, 8, 2, 8, 8, 0, 0, 0, 0, 0, 1}},
    {{64, 128, 32, 8, 16, 8, 16, 2, 8, 8, 0, 0, 0, 0, 0, 1}},
    {{32, 64, 16, 4, 8, 4, 8, 2, 8, 8, 0, 0, 0, 0, 0, 1}},
    {{64, 64, 16, 4, 4, 4, 4, 2, 16, 16, 0, 0, 0, 0, 0, 1}},
    {{64, 64, 16, 8, 8, 8, 8, 2, 8, 8, 0, 0, 0, 0, 0, 1}},
    {{128, 128, 32, 16, 16, 16, 16, 2, 8, 8, 0, 0, 1, 1, 0, 1}},
    {{64, 64, 32, 16, 16, 16, 16, 2, 2, 2, 0, 0, 1, 1, 0, 1}},
};

static size_t pick(unsigned *state, const size_t *values, size_t n)
{
    *state = *state * 1103515245u + 12345u;
    return values[(*state >> 16) % n];
}

/* A random valid set from CLBlast's tuner ranges, widened to the small work-groups that
 * suit CPUs. */
static gemm_params random_params(unsigned *state, size_t max_wg, unsigned long long local_mem)
{
    static const size_t WG[] = {16, 32, 64, 128}, KW[] = {16, 32}, DIM[] = {2, 4, 8, 16, 32},
                        KWI[] = {2, 8}, VW[] = {1, 2, 4, 8, 16}, BIT[] = {0, 1};
    gemm_params p;
    do {
        size_t *v = p.v;
#define PICK(values) pick(state, values, sizeof values / sizeof *values)
        v[GEMM_MWG] = PICK(WG), v[GEMM_NWG] = PICK(WG);
        v[GEMM_KWG] = PICK(KW), v[GEMM_KWI] = PICK(KWI);
        v[GEMM_MDIMC] = PICK(DIM), v[GEMM_NDIMC] = PICK(DIM);
        v[GEMM_MDIMA] = PICK(DIM), v[GEMM_NDIMB] = PICK(DIM);
        v[GEMM_VWM] = PICK(VW), v[GEMM_VWN] = PICK(VW);
        v[GEMM_STRM] = PICK(BIT), v[GEMM_STRN] = PICK(BIT);
        v[GEMM_SA] = PICK(BIT), v[GEMM_SB] = PICK(BIT);
#undef PICK
        v[GEMM_GEMMK] = 0, v[GEMM_KREG] = 1;
    } while (!gemm_params_valid(&p, max_wg, local_mem));
    return p;
}

typedef struct {
    cl_mem a[N_SHAPES], b[N_SHAPES], bp[N_SHAPES], c[N_SHAPES]; /* bp: b packed for our GEMM */
    float *want;  /* the defaults' result of the first shape: each candidate must match it */
    double flops;
    int own;      /* time our GEMM kernel instead of CLBlast's */
} tune_bench;

/* b [k, n] row-major, packed in panels of 16 columns as op_im2col_packed writes. */
static clcam_status upload_packed(cl_ctx *ctx, const float *b, size_t k, size_t n, cl_mem *out,
                                  clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t panels = (n + 15) / 16;
    float *p = calloc(panels * k * 16, sizeof(float));
    if (!p) return err_set(err, CLCAM_ERR_NOMEM, "out of memory");
    for (size_t r = 0; r < k; r++)
        for (size_t j = 0; j < n; j++) p[(j / 16) * k * 16 + r * 16 + j % 16] = b[r * n + j];
    TRY(cl_ctx_alloc(ctx, sizeof(float) * panels * k * 16, out, "tune packed B", err));
    TRY(cl_ctx_upload(ctx, *out, p, sizeof(float) * panels * k * 16, err));
exit:
    free(p);
    return st;
}

static clcam_status bench_init(cl_ctx *ctx, tune_bench *t, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    float *host = NULL;
    unsigned state = 7;
    for (int s = 0; s < N_SHAPES; s++) {
        size_t na = SHAPES[s].m * SHAPES[s].k, nb = SHAPES[s].k * SHAPES[s].n, nc = SHAPES[s].m * SHAPES[s].n;
        size_t big = na > nb ? na : nb;
        free(host);
        if (!(host = malloc(sizeof(float) * big))) {
            st = err_set(err, CLCAM_ERR_NOMEM, "out of memory");
            goto exit;
        }
        for (size_t i = 0; i < big; i++) {
            state = state * 1103515245u + 12345u;
            host[i] = (float)((state >> 8) & 0xffff) / 65536.0f - 0.5f;
        }
        TRY(cl_ctx_alloc(ctx, sizeof(float) * na, &t->a[s], "tune A", err));
        TRY(cl_ctx_alloc(ctx, sizeof(float) * nb, &t->b[s], "tune B", err));
        TRY(cl_ctx_alloc(ctx, sizeof(float) * nc, &t->c[s], "tune C", err));
        TRY(cl_ctx_upload(ctx, t->a[s], host, sizeof(float) * na, err));
        TRY(cl_ctx_upload(ctx, t->b[s], host, sizeof(float) * nb, err));
        TRY(upload_packed(ctx, host, SHAPES[s].k, SHAPES[s].n, &t->bp[s], err));
        t->flops += 2.0 * (double)SHAPES[s].m * (double)SHAPES[s].n * (double)SHAPES[s].k;
    }
    if (!(t->want = malloc(sizeof(float) * SHAPES[0].m * SHAPES[0].n)))
        st = err_set(err, CLCAM_ERR_NOMEM, "out of memory");
exit:
    free(host);
    return st;
}

static void bench_free(tune_bench *t)
{
    for (int s = 0; s < N_SHAPES; s++) {
        if (t->a[s]) clReleaseMemObject(t->a[s]);
        if (t->b[s]) clReleaseMemObject(t->b[s]);
        if (t->c[s]) clReleaseMemObject(t->c[s]);
        if (t->bp[s]) clReleaseMemObject(t->bp[s]);
    }
    free(t->want);
}

static clcam_status run_shapes(cl_ctx *ctx, tune_bench *t, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    for (int s = 0; s < N_SHAPES; s++) {
        int m = (int)SHAPES[s].m, n = (int)SHAPES[s].n, k = (int)SHAPES[s].k;
        if (t->own) TRY(op_gemm_nchw(ctx, m, n, k, t->a[s], t->bp[s], NULL, t->c[s], 0, n, err));
        else TRY(blas_sgemm(ctx, 0, SHAPES[s].m, SHAPES[s].n, SHAPES[s].k, t->a[s], t->b[s], 0.0f, t->c[s], err));
    }
    CL_TRY(clFinish(ctx->queue));
exit:
    return st;
}

/* GFLOP/s of the current parameters (best of REPS after a first call that compiles), and
 * the largest difference of the first shape's result from t->want (or fills want). */
static clcam_status measure(cl_ctx *ctx, tune_bench *t, int fill_want, double *gflops, double *diff,
                            clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t n = SHAPES[0].m * SHAPES[0].n;
    float *got = NULL;
    double best = INFINITY;
    TRY(run_shapes(ctx, t, err));
    for (int r = 0; r < REPS; r++) {
        double t0 = progress_now();
        TRY(run_shapes(ctx, t, err));
        double dt = progress_now() - t0;
        if (dt < best) best = dt;
    }
    *gflops = t->flops / best * 1e-9;
    if (fill_want) {
        TRY(cl_ctx_download(ctx, t->c[0], t->want, sizeof(float) * n, err));
        *diff = 0;
        goto exit;
    }
    if (!(got = malloc(sizeof(float) * n))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "out of memory");
        goto exit;
    }
    TRY(cl_ctx_download(ctx, t->c[0], got, sizeof(float) * n, err));
    *diff = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - t->want[i]);
        if (!(d <= *diff)) *diff = d; /* NaN counts as the worst */
    }
exit:
    free(got);
    return st;
}

/* SimpleCNN's convolutions at batch 256, as `run` calls them. */
static const conv_shape CONV_SHAPES[] = {
    {256, 3, 32, 32, 32, 3, 1, 1, 32, 32},
    {256, 32, 16, 16, 64, 3, 1, 1, 16, 16},
    {256, 64, 8, 8, 128, 3, 1, 1, 8, 8},
};
enum { N_CONV = sizeof CONV_SHAPES / sizeof *CONV_SHAPES, CONV_REPS = 3 };

/* One forward of method m, then the result in got (the output filled with NaN first, so a
 * method that writes nothing cannot pass). */
static clcam_status conv_check_run(cl_ctx *ctx, conv_method m, const conv_shape *s, cl_mem in,
                                   cl_mem w, cl_mem b, cl_mem out, float *got, size_t n_out,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    float nan = NAN;
    CL_TRY(clEnqueueFillBuffer(ctx->queue, out, &nan, sizeof nan, 0, sizeof(float) * n_out, 0, NULL, NULL));
    TRY(conv_forward(ctx, m, s, in, w, b, out, err));
    TRY(cl_ctx_download(ctx, out, got, sizeof(float) * n_out, err));
exit:
    return st;
}

/* max |got - want| / max |want|: the error relative to the output's magnitude (NaN: infinite). */
static double rel_error(const float *got, const float *want, size_t n)
{
    double diff = 0, mag = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= diff)) diff = isnan(d) ? INFINITY : d;
        if (fabs(want[i]) > mag) mag = fabs(want[i]);
    }
    return diff / (mag > 0 ? mag : 1);
}

/* Times every forward method on one shape, alternating methods in each round (machine noise
 * hits all alike) and keeping each one's best; a method is a candidate only if it ran and its
 * result is within 1e-4 of im2col + CLBlast's (relative to the output's magnitude). Appends a
 * comment with all times and the CONV line of the fastest to lines. */
static clcam_status tune_conv_shape(cl_ctx *ctx, const conv_shape *s, FILE *out, char *lines,
                                    size_t size, cl_conv_choice *chosen, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t n_in = (size_t)s->batch * s->C * s->H * s->W, n_w = (size_t)s->K * s->C * s->kernel * s->kernel;
    size_t n_out = (size_t)s->batch * s->K * s->OH * s->OW, big = n_in > n_out ? n_in : n_out;
    cl_mem in = NULL, w = NULL, b = NULL, o = NULL;
    float *host = NULL, *want = NULL;
    double ms[CONV_METHOD_COUNT], rel[CONV_METHOD_COUNT];
    int ok[CONV_METHOD_COUNT], best = -1;
    unsigned state = 11;
    char why[CONV_METHOD_COUNT][160];
    if (!(host = malloc(sizeof(float) * big)) || !(want = malloc(sizeof(float) * n_out))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "out of memory");
        goto exit;
    }
    for (size_t i = 0; i < n_in; i++) {
        state = state * 1103515245u + 12345u;
        host[i] = (float)((state >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
    TRY(cl_ctx_alloc(ctx, sizeof(float) * n_in, &in, "tune conv input", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * n_w, &w, "tune conv weight", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * (size_t)s->K, &b, "tune conv bias", err));
    TRY(cl_ctx_alloc(ctx, sizeof(float) * n_out, &o, "tune conv output", err));
    TRY(cl_ctx_upload(ctx, in, host, sizeof(float) * n_in, err));
    TRY(cl_ctx_upload(ctx, w, host, sizeof(float) * n_w, err));
    TRY(cl_ctx_upload(ctx, b, host + n_w, sizeof(float) * (size_t)s->K, err));
    /* the check (and each method's first call, which compiles): im2col + CLBlast first */
    for (int m = 0; m < CONV_METHOD_COUNT; m++) {
        ms[m] = INFINITY;
        rel[m] = 0;
        why[m][0] = '\0';
        if (m == CONV_WINOGRAD && !conv_winograd_fits(s)) {
            snprintf(why[m], sizeof why[m], "not for this shape (3x3, stride 1, pad 1 only)");
            ok[m] = 0;
            continue;
        }
        st = conv_check_run(ctx, (conv_method)m, s, in, w, b, o, m == CONV_IM2COL ? want : host, n_out, err);
        if (st != CLCAM_OK) { /* a method this driver cannot run is left out, not fatal */
            snprintf(why[m], sizeof why[m], "failed: %.150s", err->msg);
            err_clear(err);
            st = CLCAM_OK;
            ok[m] = 0;
            if (m == CONV_IM2COL) { /* nothing to check the others against */
                st = err_set(err, CLCAM_ERR_CL, "tune: im2col + CLBlast convolution failed: %s", why[m]);
                goto exit;
            }
            continue;
        }
        /* im2col against itself: 0, or infinite where its output is not finite */
        rel[m] = m == CONV_IM2COL ? rel_error(want, want, n_out) : rel_error(host, want, n_out);
        ok[m] = rel[m] <= 1e-4;
        if (m == CONV_IM2COL && !ok[m]) {
            st = err_set(err, CLCAM_ERR_CL, "tune: im2col + CLBlast convolution gave non-finite values "
                         "on %s: a driver problem; run clcam selftest", ctx->device_name);
            goto exit;
        }
        if (!ok[m]) snprintf(why[m], sizeof why[m], "rejected: off by %.3g (relative)", rel[m]);
    }
    for (int r = 0; r < CONV_REPS; r++)
        for (int m = 0; m < CONV_METHOD_COUNT; m++) {
            if (!ok[m]) continue;
            double t0 = progress_now();
            TRY(conv_forward(ctx, (conv_method)m, s, in, w, b, o, err));
            CL_TRY(clFinish(ctx->queue));
            double dt = (progress_now() - t0) * 1e3;
            if (dt < ms[m]) ms[m] = dt;
        }
    /* Winograd trades precision (about 10x direct's float32 error) for speed: only for 10% */
    for (int m = 0; m < CONV_METHOD_COUNT; m++)
        if (ok[m] && m != CONV_WINOGRAD && (best < 0 || ms[m] < ms[best])) best = m;
    if (ok[CONV_WINOGRAD] && (best < 0 || ms[CONV_WINOGRAD] < 0.9 * ms[best])) best = CONV_WINOGRAD;
    {
        double gflop = 2.0 * (double)n_out * (double)s->C * s->kernel * s->kernel * 1e-9;
        char note[256], line[256];
        int len = snprintf(note, sizeof note, "# batch %d:", s->batch);
        fprintf(out, "conv C=%d H=%d W=%d K=%d k=%d pad=%d stride=%d, batch %d (%.2f GFLOP):\n", s->C,
                s->H, s->W, s->K, s->kernel, s->pad, s->stride, s->batch, gflop);
        for (int m = 0; m < CONV_METHOD_COUNT; m++) {
            const char *name = conv_method_name((conv_method)m);
            if (!ok[m]) {
                fprintf(out, "  %-9s %s\n", name, why[m]);
                continue;
            }
            fprintf(out, "  %-9s %9.2f ms %7.1f GFLOP/s  rel. error %.2g%s\n", name, ms[m],
                    gflop / ms[m] * 1e3, rel[m], m == best ? "  <- fastest" : "");
            if (len > 0 && (size_t)len < sizeof note)
                len += snprintf(note + len, sizeof note - (size_t)len, "%s %s %.3f ms", m ? "," : "", name, ms[m]);
        }
        cl_conv_choice c = {s->C, s->H, s->W, s->K, s->kernel, s->pad, s->stride, best};
        gemm_params_format_conv(&c, ms[best], line, sizeof line);
        *chosen = c;
        size_t used = strlen(lines);
        if (used < size) snprintf(lines + used, size - used, "%s\n%s\n", note, line);
    }
exit:
    if (in) clReleaseMemObject(in);
    if (w) clReleaseMemObject(w);
    if (b) clReleaseMemObject(b);
    if (o) clReleaseMemObject(o);
    free(host);
    free(want);
    return st;
}

/* The model's distinct convolution shapes, at batch TUNE_BATCH_DEFAULT (at most
 * CL_CTX_MAX_CONV). */
static int model_conv_shapes(const model *m, conv_shape *shapes)
{
    int n = 0;
    for (int i = 0; i < m->n_layers && n < CL_CTX_MAX_CONV; i++) {
        const layer *l = &m->layers[i];
        if (l->kind != LAYER_CONV) continue;
        conv_shape s = {TUNE_BATCH_DEFAULT, l->in.c, l->in.h, l->in.w, l->out.c, l->kernel, l->pad,
                        l->stride, l->out.h, l->out.w};
        int seen = 0;
        for (int j = 0; j < n; j++) seen |= memcmp(&shapes[j], &s, sizeof s) == 0;
        if (!seen) shapes[n++] = s;
    }
    return n;
}

clcam_status tune_run(const tune_options *o, FILE *out, double *default_gflops, double *best_gflops,
                      clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_ctx ctx = {0};
    tune_bench t = {0};
    gemm_params best = {{0}};
    double diff, g, own_gflops = 0;
    int have_best = 0, n_pre = (int)(sizeof PRESETS / sizeof *PRESETS);
    unsigned state = o->seed * 2654435761u + 1u;
    char set[256], note[512], conv_lines[4096] = "";
    dataset_reader d = {.file = H5I_INVALID_HID, .images = H5I_INVALID_HID, .labels = H5I_INVALID_HID};
    model m = {0};
    explain_params xp;
    conv_shape shapes[CL_CTX_MAX_CONV];
    int n_conv, cam_layer = -1;
    long count = 0;

    /* the config's work is checked before anything is timed */
    if (o->cfg) TRY(run_load(o->cfg, &d, &m, &cam_layer, &xp, &count, err));
    setenv("CLCAM_GEMM_TUNING", "0", 1); /* time CLBlast's own defaults first */
    TRY(cl_ctx_init(&ctx, o->device, err));
    TRY(bench_init(&ctx, &t, err));
    fprintf(out, "clcam tune: %s (%s), %d GEMMs of SimpleCNN's convolutions, %.2f GFLOP per pass\n",
            ctx.device_name, ctx.platform_name, N_SHAPES, t.flops * 1e-9);
    TRY(measure(&ctx, &t, 1, default_gflops, &diff, err));
    *best_gflops = *default_gflops;
    fprintf(out, "%4s %9s  %s\n%4d %9.1f  CLBlast defaults\n", "#", "GFLOP/s", "parameters", 0, *default_gflops);
    t.own = 1;
    {
        float zero = 0.0f;
        CL_TRY(clEnqueueFillBuffer(ctx.queue, t.c[0], &zero, sizeof zero, 0,
                                   sizeof(float) * SHAPES[0].m * SHAPES[0].n, 0, NULL, NULL));
    }
    TRY(measure(&ctx, &t, 0, &own_gflops, &diff, err));
    t.own = 0;
    fprintf(out, "%4s %9.1f  clcam's own GEMM kernel\n", "own", own_gflops);
    if (!(diff <= 1e-3)) {
        st = err_set(err, CLCAM_ERR_CL, "clcam's own GEMM kernel is off by %g from CLBlast's on %s: "
                     "a driver problem; run clcam selftest", diff, ctx.device_name);
        goto exit;
    }
    for (int i = 0; i < o->budget; i++) {
        gemm_params p = i < n_pre ? PRESETS[i] : random_params(&state, ctx.max_work_group, ctx.local_mem);
        if (!gemm_params_valid(&p, ctx.max_work_group, ctx.local_mem)) continue;
        gemm_params_format(&p, set, sizeof set);
        st = gemm_params_apply(&ctx, &p, err);
        if (st == CLCAM_OK) st = measure(&ctx, &t, 0, &g, &diff, err);
        if (st != CLCAM_OK) { /* a set this driver cannot build or run is skipped, not fatal */
            fprintf(out, "%4d %9s  %s (%s)\n", i + 1, "failed", set, err->msg);
            err_clear(err);
            st = CLCAM_OK;
            continue;
        }
        if (!(diff <= 1e-3)) {
            fprintf(out, "%4d %9s  %s (wrong result: off by %g)\n", i + 1, "rejected", set, diff);
            continue;
        }
        fprintf(out, "%4d %9.1f  %s\n", i + 1, g, set);
        if (g > *best_gflops) {
            *best_gflops = g;
            best = p;
            have_best = 1;
        }
    }
    /* CLBlast's best set only where it beats its defaults clearly (timing noise aside). */
    if (have_best && *best_gflops < 1.05 * *default_gflops) have_best = 0;
    double clblast = have_best ? *best_gflops : *default_gflops;
    int own = own_gflops > clblast;
    if (have_best) gemm_params_format(&best, set, sizeof set);
    else snprintf(set, sizeof set, "CLBlast defaults");
    fprintf(out, "clcam tune: CLBlast %.1f GFLOP/s (%s; defaults %.1f), clcam's own GEMM %.1f: "
            "convolutions use %s\n", clblast, set, *default_gflops, own_gflops,
            own ? "clcam's own GEMM" : "CLBlast");
    snprintf(note, sizeof note, "on SimpleCNN's conv GEMMs: own %.1f GFLOP/s, CLBlast %.1f (defaults %.1f)",
             own_gflops, clblast, *default_gflops);
    *best_gflops = own ? own_gflops : clblast;
    /* The convolutions with the GEMM parameters just chosen: the best set, or the defaults
     * (clearing CLBlast's cache drops the last candidate's override). */
    if (have_best) TRY(gemm_params_apply(&ctx, &best, err));
    else {
        CLBlastStatusCode rc = CLBlastClearCache();
        if (rc != CLBlastSuccess) {
            st = err_set_cl(err, (int)rc, "CLBlastClearCache failed: %d", (int)rc);
            goto exit;
        }
    }
    ctx.gemm_own = own;
    n_conv = o->cfg ? model_conv_shapes(&m, shapes) : N_CONV;
    if (!o->cfg) memcpy(shapes, CONV_SHAPES, sizeof CONV_SHAPES);
    ctx.n_conv = 0;
    for (int i = 0; i < n_conv; i++) {
        cl_conv_choice c;
        TRY(tune_conv_shape(&ctx, &shapes[i], out, conv_lines, sizeof conv_lines, &c, err));
        ctx.conv_choice[ctx.n_conv++] = c; /* in use for the batch measurement below */
    }
    if (!o->dry_run) TRY(gemm_params_store(&ctx, own, have_best ? &best : NULL, note, conv_lines, err));
    if (o->cfg) {
        char key[17];
        int batch = 0;
        fprintf(out, "clcam tune: images/s of `clcam run` of the config (%s at %s, %d method%s) on %ld "
                "images, by batch size:\n", o->cfg->model_arch, o->cfg->cam_layer, xp.n_methods,
                xp.n_methods > 1 ? "s" : "", count < TUNE_BATCH_IMAGES ? count : (long)TUNE_BATCH_IMAGES);
        TRY(tune_batch_measure(o->cfg, count, out, &batch, err));
        tune_batch_key(&m, cam_layer, &xp, key);
        fprintf(out, "clcam tune: batch: auto runs batches of %d for this config's work (key %s)\n", batch, key);
        if (!o->dry_run) TRY(tune_batch_store(&ctx, key, batch, err));
    }
exit:
    bench_free(&t);
    cl_ctx_free(&ctx);
    model_free(&m);
    dataset_close(&d);
    return st;
}
