#include "conv_winograd.h"

#include <stdlib.h>

#define WINO_RB 8      /* output channels per GEMM work-item, as conv_winograd.cl */
#define WINO_POINTS 36 /* the 6x6 transform points */

/* The transformed input and the GEMM results of one chunk of images each stay under this many
 * bytes (in this CPU's 32 MiB L3 together with the layer's input and output), unless a single
 * image needs more: resnet18 ran at 81-82 images/s with 2-8 MiB, 76.5 with 16. The GEMM's
 * cost does not depend on it. CLCAM_WINOGRAD_CHUNK_BYTES changes it (the tests: many chunks). */
#define WINO_CHUNK_BYTES ((size_t)4 << 20)
#define WINO_FUSED_WG 1 /* work-items a group of wino_fused: on a CPU they run in turn anyway */
#define WINO_FUSED_M_BYTES (sizeof(float) * 2 * WINO_RB * WINO_POINTS * 16) /* a work-item's M */

int conv_winograd_fits(const conv_shape *s)
{
    return s->kernel == 3 && s->stride == 1 && s->pad == 1 && s->OH == s->H && s->OW == s->W;
}

static size_t wino_k8(const conv_shape *s)
{
    return (size_t)(s->K + WINO_RB - 1) / WINO_RB * WINO_RB;
}

/* wino_fused's local memory: the transformed input of 32 tiles, then each work-item's M. */
static size_t wino_fused_v_bytes(const conv_shape *s)
{
    return sizeof(float) * WINO_POINTS * (size_t)s->C * 32;
}

size_t conv_winograd_weights_elems(const conv_shape *s)
{
    return WINO_POINTS * wino_k8(s) * (size_t)s->C;
}

clcam_status conv_winograd_weights(cl_ctx *ctx, const conv_shape *s, cl_mem weight, cl_mem U,
                                   clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n_kb = (int)(wino_k8(s) / WINO_RB), n = n_kb * s->C;
    TRY(conv_check(s, "Winograd's transformed weights", conv_winograd_weights_elems(s), err));
    TRY(cl_ctx_kernel(ctx, "wino_weights", &k, err));
    TRY(CL_ARGS(ctx, k, err, CL_ARG(weight), CL_ARG(U), CL_ARG(s->K), CL_ARG(s->C), CL_ARG(n_kb),
                CL_ARG(n)));
    TRY(cl_ctx_launch1d(ctx, k, (size_t)n, err));
exit:
    return st;
}

/* How conv_winograd.cl lays an image's tiles into vectors of 16: sw tiles of a row of tiles
 * times 16 / sw rows (rows mode), or, where that would leave most lanes idle (7x7 and 8x8
 * planes: 2x2 tiles), one image a lane (lanes mode). */
typedef struct {
    int th, tw;          /* tiles down and across */
    int lanes;           /* lanes mode */
    int sw, n_seg, n_rg; /* rows mode: tiles a vector takes from a row; vectors across; row groups down */
    int tiles;           /* tiles an image takes in V and M: its vectors' lanes, or th x tw */
    int Hp, Wp;          /* the padded input every tile's reads fit in */
} wino_grid;

static wino_grid wino_grid_of(const conv_shape *s)
{
    wino_grid g;
    g.th = (s->OH + 3) / 4;
    g.tw = (s->OW + 3) / 4;
    g.sw = g.tw > 8 ? 16 : g.tw > 4 ? 8 : 4;
    g.n_seg = (g.tw + g.sw - 1) / g.sw;
    g.n_rg = (g.th + 16 / g.sw - 1) / (16 / g.sw);
    g.tiles = g.n_seg * g.n_rg * 16;
    g.lanes = 2 * g.th * g.tw < g.tiles; /* under half the lanes used */
    if (g.lanes) {
        g.tiles = g.th * g.tw;
        g.Hp = 4 * g.th + 2;
        g.Wp = 4 * g.tw + 2;
    } else {
        g.Hp = 4 * g.n_rg * (16 / g.sw) + 2; /* a window of 6 rows from each tile's 4 */
        g.Wp = 4 * g.n_seg * g.sw + 5;       /* and the last vector's reads past it (wino_gather) */
    }
    return g;
}

/* Images per chunk: as many as keep V and M under the budget, at least one, at most the batch.
 * Every chunk reads all of U again (37.7 MB on resnet18's 512-channel layers), so the budget
 * is at least a quarter of U's size: that layer's GEMM took 9.6-10.0 ms for a batch of 32 in
 * chunks of 14, 14 and 4 images, 6.3 ms in one. Where the budget allows, a chunk's tiles are
 * a multiple of the GEMM's runs of 32 (14 images of 2x2 tiles ran as 64). */
static int wino_chunk(const conv_shape *s, const wino_grid *g)
{
    const char *env = getenv("CLCAM_WINOGRAD_CHUNK_BYTES");
    size_t u_bytes = sizeof(float) * conv_winograd_weights_elems(s);
    size_t budget = u_bytes / 4 > WINO_CHUNK_BYTES ? u_bytes / 4 : WINO_CHUNK_BYTES;
    size_t rows = (size_t)s->C > wino_k8(s) ? (size_t)s->C : wino_k8(s);
    size_t per_image = sizeof(float) * WINO_POINTS * rows * (size_t)g->tiles;
    size_t n, unit = 32;
    if (env && atol(env) > 0) budget = (size_t)atol(env);
    n = budget / per_image;
    for (size_t t = (size_t)g->tiles; t % 2 == 0 && unit > 1; t /= 2) unit /= 2; /* 32 / gcd(tiles, 32) */
    if (n >= unit) n = n / unit * unit;
    return n < 1 ? 1 : n > (size_t)s->batch ? s->batch : (int)n;
}

/* Whether the layer runs as one kernel (wino_fused): on a CPU device (a GPU would run its
 * work-groups of one work-item on one lane each), where rows mode lays its tiles and local
 * memory holds the transformed input of 32 tiles and a work-item's M (up to 219 channels in
 * PoCL's 1 MiB). CLCAM_WINOGRAD_FUSED=0 turns it off (the tests: both ways). */
static int wino_fused(const cl_ctx *ctx, const conv_shape *s, const wino_grid *g)
{
    const char *env = getenv("CLCAM_WINOGRAD_FUSED");
    if (env && env[0] == '0') return 0;
    return (ctx->type & CL_DEVICE_TYPE_CPU) && !g->lanes &&
           wino_fused_v_bytes(s) + WINO_FUSED_WG * WINO_FUSED_M_BYTES <= ctx->local_mem;
}

int conv_winograd_one_kernel(const cl_ctx *ctx, const conv_shape *s)
{
    wino_grid g = wino_grid_of(s);
    return conv_winograd_fits(s) && wino_fused(ctx, s, &g);
}

/* The fused layer: a work-group per two vectors of 16 tiles of the whole batch. */
static clcam_status conv_winograd_fused(cl_ctx *ctx, const conv_shape *s, const wino_grid *g,
                                        cl_mem in, cl_mem U, cl_mem bias, cl_mem res, int has_res,
                                        int relu, cl_mem out, clcam_err *err)
{
    static const char *const KERNEL[] = {"wino_fused_w4", "wino_fused_w8", "wino_fused_w16"};
    const char *name = KERNEL[g->sw == 16 ? 2 : g->sw == 8];
    clcam_status st = CLCAM_OK;
    cl_kernel k;
    int n_kb = (int)(wino_k8(s) / WINO_RB), n_vb = s->batch * g->n_rg * g->n_seg, img0 = 0;
    size_t local;
    TRY(conv_check(s, "Winograd's input", (size_t)s->batch * s->C * s->H * s->W, err));
    TRY(conv_check(s, "Winograd's output", (size_t)s->batch * s->K * s->OH * s->OW, err));
    TRY(cl_ctx_kernel(ctx, name, &k, err));
    local = cl_ctx_reduce_wg(ctx, name, WINO_FUSED_WG);
    TRY(CL_ARGS(ctx, k, err, CL_ARG(in), CL_ARG(U), CL_ARG(bias), CL_ARG_LOCAL(wino_fused_v_bytes(s)),
                CL_ARG_LOCAL(local * WINO_FUSED_M_BYTES), CL_ARG(s->C), CL_ARG(s->H), CL_ARG(s->W),
                CL_ARG(n_kb), CL_ARG(g->n_rg), CL_ARG(g->n_seg), CL_ARG(n_vb), CL_ARG(out), CL_ARG(res), CL_ARG(s->K), CL_ARG(s->OH), CL_ARG(s->OW),
                CL_ARG(img0), CL_ARG(has_res), CL_ARG(relu)));
    TRY(cl_ctx_launch_groups(ctx, k, (size_t)(n_vb + 1) / 2, local, err));
exit:
    return st;
}

/* Per chunk of images: the chunk's input with its padding made real (conv_direct_pad) into
 * ctx's scratch buffer 3, so the input transform reads it from the cache (the whole batch
 * padded at once went through memory: 33 MB for resnet18's 56x56 layer), then the three
 * kernels, V and M in scratch buffers 0 and 1. */
static clcam_status conv_winograd_chunked(cl_ctx *ctx, const conv_shape *s, const wino_grid *gp,
                                          cl_mem in, cl_mem U, cl_mem bias, cl_mem res, int has_res,
                                          int relu, cl_mem out, clcam_err *err)
{
    static const char *const INPUT_KERNEL[] = {"wino_input_w4", "wino_input_w8", "wino_input_w16"};
    clcam_status st = CLCAM_OK;
    cl_kernel k_pad, k_in, k_gemm, k_out;
    cl_mem V, M, inp;
    wino_grid g = *gp;
    int chunk = wino_chunk(s, &g), n_kb = (int)(wino_k8(s) / WINO_RB), k8 = (int)wino_k8(s);
    size_t p32_max = ((size_t)chunk * g.tiles + 31) / 32 * 32;
    size_t padded = (size_t)chunk * s->C * g.Hp * g.Wp;
    int n_pad, one = 1;
    TRY(conv_check(s, "Winograd's transformed input", WINO_POINTS * (size_t)s->C * p32_max, err));
    TRY(conv_check(s, "Winograd's GEMM results", WINO_POINTS * wino_k8(s) * p32_max, err));
    TRY(conv_check(s, "Winograd's padded input", padded, err));
    TRY(conv_check(s, "Winograd's output", (size_t)s->batch * s->K * s->OH * s->OW, err));
    TRY(cl_ctx_scratch(ctx, 0, sizeof(float) * WINO_POINTS * s->C * p32_max, &V, err));
    TRY(cl_ctx_scratch(ctx, 1, sizeof(float) * WINO_POINTS * wino_k8(s) * p32_max, &M, err));
    TRY(cl_ctx_scratch(ctx, 3, sizeof(float) * padded, &inp, err));
    TRY(cl_ctx_kernel(ctx, "conv_direct_pad", &k_pad, err));
    TRY(cl_ctx_kernel(ctx, g.lanes ? "wino_input_lanes" : INPUT_KERNEL[g.sw == 16 ? 2 : g.sw == 8], &k_in,
                      err));
    TRY(cl_ctx_kernel(ctx, "wino_gemm", &k_gemm, err));
    TRY(cl_ctx_kernel(ctx, g.lanes ? "wino_output_lanes" : "wino_output", &k_out, err));
    for (int img0 = 0; img0 < s->batch; img0 += chunk) {
        int b = s->batch - img0 < chunk ? s->batch - img0 : chunk;
        int P = b * g.tiles, P32 = (P + 31) / 32 * 32, n_vb = (P + 15) / 16;
        int kb_fastest = k8 <= P32; /* U's point read again per run of tiles, or V's per block */
        int n_in = s->C * (P32 / 16), n_gemm = WINO_POINTS * n_kb * (P32 / 32), n_out = s->K * n_vb;
        int plane0 = img0 * s->C, none = 0; /* the chunk's images, padded: its input reads them from 0 */
        n_pad = b * s->C * g.Hp;
        TRY(CL_ARGS(ctx, k_pad, err, CL_ARG(in), CL_ARG(inp), CL_ARG(s->H), CL_ARG(s->W), CL_ARG(one),
                    CL_ARG(g.Hp), CL_ARG(g.Wp), CL_ARG(plane0), CL_ARG(n_pad)));
        TRY(cl_ctx_launch1d(ctx, k_pad, (size_t)n_pad, err));
        if (g.lanes)
            TRY(CL_ARGS(ctx, k_in, err, CL_ARG(inp), CL_ARG(V), CL_ARG(s->C), CL_ARG(g.Hp),
                        CL_ARG(g.Wp), CL_ARG(g.tw), CL_ARG(none), CL_ARG(b), CL_ARG(P), CL_ARG(P32),
                        CL_ARG(n_in)));
        else
            TRY(CL_ARGS(ctx, k_in, err, CL_ARG(inp), CL_ARG(V), CL_ARG(s->C), CL_ARG(g.Hp),
                        CL_ARG(g.Wp), CL_ARG(g.n_rg), CL_ARG(g.n_seg), CL_ARG(none), CL_ARG(n_vb),
                        CL_ARG(P32), CL_ARG(n_in)));
        TRY(cl_ctx_launch1d(ctx, k_in, (size_t)n_in, err));
        TRY(CL_ARGS(ctx, k_gemm, err, CL_ARG(U), CL_ARG(V), CL_ARG(M), CL_ARG(s->C), CL_ARG(n_kb),
                    CL_ARG(P32), CL_ARG(kb_fastest), CL_ARG(n_gemm)));
        TRY(cl_ctx_launch1d(ctx, k_gemm, (size_t)n_gemm, err));
        if (g.lanes)
            TRY(CL_ARGS(ctx, k_out, err, CL_ARG(M), CL_ARG(bias), CL_ARG(k8), CL_ARG(g.tw), CL_ARG(b),
                        CL_ARG(P), CL_ARG(P32), CL_ARG(out), CL_ARG(res), CL_ARG(s->K), CL_ARG(s->OH),
                        CL_ARG(s->OW), CL_ARG(img0), CL_ARG(has_res), CL_ARG(relu), CL_ARG(n_out)));
        else
            TRY(CL_ARGS(ctx, k_out, err, CL_ARG(M), CL_ARG(bias), CL_ARG(k8), CL_ARG(g.n_rg),
                        CL_ARG(g.n_seg), CL_ARG(g.sw), CL_ARG(n_vb), CL_ARG(P32), CL_ARG(out), CL_ARG(res),
                        CL_ARG(s->K), CL_ARG(s->OH), CL_ARG(s->OW), CL_ARG(img0), CL_ARG(has_res),
                        CL_ARG(relu), CL_ARG(n_out)));
        TRY(cl_ctx_launch1d(ctx, k_out, (size_t)n_out, err));
    }
exit:
    return st;
}

/* The weights transformed where not given, then the layer in one kernel or in chunks. */
clcam_status conv_winograd(cl_ctx *ctx, const conv_shape *s, cl_mem in, cl_mem weight, cl_mem U,
                           cl_mem bias, cl_mem residual, int relu, cl_mem out, clcam_err *err)
{
    cl_mem res = residual ? residual : out; /* a valid buffer the kernels do not read */
    int has_res = residual != NULL;
    clcam_status st = CLCAM_OK;
    wino_grid g = wino_grid_of(s);
    if (!U) {
        TRY(cl_ctx_scratch(ctx, 2, sizeof(float) * conv_winograd_weights_elems(s), &U, err));
        TRY(conv_winograd_weights(ctx, s, weight, U, err));
    }
    st = wino_fused(ctx, s, &g) ? conv_winograd_fused(ctx, s, &g, in, U, bias, res, has_res, relu, out, err)
                                : conv_winograd_chunked(ctx, s, &g, in, U, bias, res, has_res, relu, out, err);
exit:
    return st;
}
