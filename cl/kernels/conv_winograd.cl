/* Winograd F(4x4, 3x3) convolution forward (Lavin & Gray, "Fast Algorithms for Convolutional
 * Neural Networks", 2016) for 3x3 kernels at stride 1, pad 1: each 4x4 block of output pixels
 * ("tile") is A^T [(G g G^T) . (B^T d B)] A, d the tile's 6x6 input window, g a 3x3 kernel.
 * 36 multiplies per tile and channel pair instead of 144: the sums over input channels become
 * 36 independent GEMMs (wino_gemm), between the transformed weights U [36, K, C] (wino_weights,
 * once per layer at inference) and the transformed input V [36, C, tiles] (wino_input), and
 * wino_output turns their results M [36, K, tiles] into output pixels.
 * Not bitwise the same as the direct or GEMM methods: the transforms round differently (on
 * resnet18's 56x56 layer about 10x direct's float32 error against float64, still 1e-6 of the
 * output's scale; tests/test_conv_methods.c holds it to the same tolerance as the others).
 * Each GEMM sum runs over the input channels in order: the same result on every run, for any
 * batch or chunk of it. PoCL compiles a work-item as scalar code unless it holds explicit
 * vectors, so every kernel here works on vectors of 16 tiles: with one tile a work-item the
 * two transforms took 4x the GEMM's time on resnet18. */
#pragma OPENCL FP_CONTRACT OFF

#define WINO_RB 8 /* output channels per GEMM work-item */

/* o = G a for a 3-vector a (G: 6x3, rows 1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 * 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1). */
static inline void wino_g(float a0, float a1, float a2, float *o, int step)
{
    o[0] = a0 * 0.25f;
    o[step] = (a0 + a1 + a2) * (-1.0f / 6.0f);
    o[2 * step] = (a0 - a1 + a2) * (-1.0f / 6.0f);
    o[3 * step] = a0 * (1.0f / 24.0f) + a1 * (1.0f / 12.0f) + a2 * (1.0f / 6.0f);
    o[4 * step] = a0 * (1.0f / 24.0f) - a1 * (1.0f / 12.0f) + a2 * (1.0f / 6.0f);
    o[5 * step] = a2;
}

/* U [36, n_kb, C, 8] = G g G^T of weight [K, C, 3, 3], output channels in blocks of 8 (those
 * past K zero). A work-item per (block of 8 output channels, c), c fastest: adjacent
 * work-items read adjacent kernels and write adjacent blocks of 8 (one work-item per (k, c)
 * took 0.14 s for resnet18's layers, 9% of the first batch's device time). */
__kernel void wino_weights(__global const float *weight, __global float *U, int K, int C,
                           int n_kb, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int c = gid % C, kb = gid / C;
    float u[36][WINO_RB];
    for (int r = 0; r < WINO_RB; r++) {
        int k = kb * WINO_RB + r;
        float g[9], t[18], v[36];
        for (int i = 0; i < 9; i++) g[i] = k < K ? weight[((size_t)k * C + c) * 9 + i] : 0.0f;
        for (int j = 0; j < 3; j++) wino_g(g[j], g[3 + j], g[6 + j], t + j, 3); /* t [6, 3] = G g */
        for (int i = 0; i < 6; i++) wino_g(t[3 * i], t[3 * i + 1], t[3 * i + 2], v + 6 * i, 1);
        for (int x = 0; x < 36; x++) u[x][r] = v[x];
    }
    for (int x = 0; x < 36; x++)
        vstore8(vload8(0, u[x]), 0, U + (((size_t)x * n_kb + kb) * C + c) * WINO_RB);
}

/* The tiles of a chunk go to V and M in vectors of 16: SW tiles of a row of tiles (SW = 16,
 * or 8 or 4 when the rows are narrower) times 16 / SW rows of tiles, the tile grid of each
 * image padded to whole vectors (those tiles are computed and never stored). Vector vb of a
 * chunk: image vb / (n_rg * n_seg), then row group, then segment along the row. */
typedef struct {
    int img, ty0, tx0; /* the image in the chunk, the first tile's row and column */
} wino_block;

static inline wino_block wino_locate(int vb, int n_rg, int n_seg, int sw)
{
    wino_block b;
    int per_image = n_rg * n_seg, r = vb % per_image;
    b.img = vb / per_image;
    b.ty0 = r / n_seg * (16 / sw);
    b.tx0 = r % n_seg * sw;
    return b;
}

/* OpenCL C 1.2 has no generic address space: the helpers that read or write V come in one
 * copy per address space they serve, made by these macros (global for the chunked kernels,
 * private and local for wino_fused). */

/* Lanes l of one padded input row (row pointing at the first tile's column): the value at
 * column 4 * (l % sw) + j, for the sw tiles of lane l's row of tiles (rows[l / sw]). */
#define WINO_GATHER(NAME, AS)                                                                 \
    static inline float16 NAME(AS const float *r0, AS const float *r1, AS const float *r2,     \
                               AS const float *r3, int j, const int sw)                       \
    {                                                                                         \
        if (sw == 16) {                                                                       \
            float16 q0 = vload16(0, r0 + j), q1 = vload16(1, r0 + j), q2 = vload16(2, r0 + j), \
                    q3 = vload16(3, r0 + j);                                                  \
            return (float16)(q0.s048c, q1.s048c, q2.s048c, q3.s048c);                         \
        }                                                                                     \
        if (sw == 8) {                                                                        \
            float16 a0 = vload16(0, r0 + j), a1 = vload16(1, r0 + j), b0 = vload16(0, r1 + j), \
                    b1 = vload16(1, r1 + j);                                                  \
            return (float16)(a0.s048c, a1.s048c, b0.s048c, b1.s048c);                         \
        }                                                                                     \
        float16 a = vload16(0, r0 + j), b = vload16(0, r1 + j), c = vload16(0, r2 + j),       \
                d = vload16(0, r3 + j);                                                       \
        return (float16)(a.s048c, b.s048c, c.s048c, d.s048c);                                 \
    }
WINO_GATHER(wino_gather, __global)
WINO_GATHER(wino_gather_private, __private)

/* o = B^T a, over 6 vectors. */
static inline void wino_bt16(const float16 *a, int as, float16 *o, int os)
{
    float16 a0 = a[0], a1 = a[as], a2 = a[2 * as], a3 = a[3 * as], a4 = a[4 * as], a5 = a[5 * as];
    o[0] = 4.0f * a0 - 5.0f * a2 + a4;
    o[os] = -4.0f * a1 - 4.0f * a2 + a3 + a4;
    o[2 * os] = 4.0f * a1 - 4.0f * a2 - a3 + a4;
    o[3 * os] = -2.0f * a1 - a2 + 2.0f * a3 + a4;
    o[4 * os] = 2.0f * a1 - a2 - 2.0f * a3 + a4;
    o[5 * os] = 4.0f * a1 - 5.0f * a3 + a5;
}

/* o = A^T a, over 6 vectors. */
static inline void wino_at16(const float16 *a, int as, float16 *o, int os)
{
    float16 a0 = a[0], a1 = a[as], a2 = a[2 * as], a3 = a[3 * as], a4 = a[4 * as], a5 = a[5 * as];
    float16 s12 = a1 + a2, d12 = a1 - a2, s34 = a3 + a4, d34 = a3 - a4;
    o[0] = a0 + s12 + s34;
    o[os] = d12 + 2.0f * d34;
    o[2 * os] = s12 + 4.0f * s34;
    o[3 * os] = d12 + 8.0f * d34 + a5;
}

/* dst [x * stride] for the 36 points x = B^T t (t = d B, 16 tiles' windows d), a column of t
 * at a time, stored as it comes. */
#define WINO_INPUT_STORE(NAME, AS)                                                           \
    static inline void NAME(const float16 *t, AS float *dst, size_t stride)                  \
    {                                                                                        \
        for (int m = 0; m < 6; m++) {                                                        \
            float16 v[6];                                                                    \
            wino_bt16(t + m, 6, v, 1);                                                       \
            for (int n = 0; n < 6; n++) vstore16(v[n], 0, dst + (size_t)(6 * n + m) * stride); \
        }                                                                                    \
    }
WINO_INPUT_STORE(wino_input_store, __global)
WINO_INPUT_STORE(wino_input_store_local, __local)

/* t [6, 6] = d B for 16 tiles' windows d, read from padded rows w apart at base, a row of
 * windows at a time. */
#define WINO_INPUT_T(NAME, GATHER, AS)                                                  \
    static inline void NAME(AS const float *base, int w, const int sw, float16 *t)      \
    {                                                                                   \
        float16 e[6];                                                                   \
        for (int i = 0; i < 6; i++) {                                                   \
            AS const float *r0 = base + i * w;                                          \
            for (int j = 0; j < 6; j++) e[j] = GATHER(r0, r0 + 4 * w, r0 + 8 * w, r0 + 12 * w, j, sw); \
            wino_bt16(e, 1, t + 6 * i, 1);                                              \
        }                                                                               \
    }
WINO_INPUT_T(wino_input_t, wino_gather, __global)
WINO_INPUT_T(wino_input_t_private, wino_gather_private, __private)

/* V [36, C, P32] = B^T d B for the chunk's tile vectors, d read from inp [b, C, Hp, Wp] (the
 * input with its padding made real by conv_direct_pad, one pixel before each row and column
 * and room for every vector read); vectors past the chunk's (up to P32) zero. A work-item per
 * (c, vector of 16 tiles), the vectors of one channel adjacent. */
static inline void wino_input_block(__global const float *inp, __global float *V, int C, int Hp,
                                    int Wp, int n_rg, int n_seg, int img0, int n_vb, int P32,
                                    const int sw, int gid)
{
    int n32 = P32 / 16, vb = gid % n32, c = gid / n32;
    __global float *dst = V + (size_t)c * P32 + vb * 16;
    if (vb >= n_vb) {
        for (int x = 0; x < 36; x++) vstore16((float16)(0.0f), 0, dst + (size_t)x * C * P32);
        return;
    }
    wino_block b = wino_locate(vb, n_rg, n_seg, sw);
    __global const float *base =
        inp + ((size_t)(img0 + b.img) * C + c) * Hp * Wp + (size_t)b.ty0 * 4 * Wp + b.tx0 * 4;
    float16 t[36];
    wino_input_t(base, Wp, sw, t);
    wino_input_store(t, dst, (size_t)C * P32);
}

#define WINO_INPUT_ARGS                                                                       \
    __global const float *inp, __global float *V, int C, int Hp, int Wp, int n_rg, int n_seg, \
        int img0, int n_vb, int P32, int n
__kernel void wino_input_w16(WINO_INPUT_ARGS)
{
    int gid = get_global_id(0);
    if (gid < n) wino_input_block(inp, V, C, Hp, Wp, n_rg, n_seg, img0, n_vb, P32, 16, gid);
}
__kernel void wino_input_w8(WINO_INPUT_ARGS)
{
    int gid = get_global_id(0);
    if (gid < n) wino_input_block(inp, V, C, Hp, Wp, n_rg, n_seg, img0, n_vb, P32, 8, gid);
}
__kernel void wino_input_w4(WINO_INPUT_ARGS)
{
    int gid = get_global_id(0);
    if (gid < n) wino_input_block(inp, V, C, Hp, Wp, n_rg, n_seg, img0, n_vb, P32, 4, gid);
}

/* The same for planes of few tiles (7x7's 2x2 would fill a quarter of a row vector): the
 * chunk's tiles one image a lane, tile p = position p / n_img of image p % n_img, windows
 * gathered value by value; tiles P..P32 zero. */
__kernel void wino_input_lanes(__global const float *inp, __global float *V, int C, int Hp,
                               int Wp, int tw, int img0, int n_img, int P, int P32, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int n16 = P32 / 16, vb = gid % n16, c = gid / n16;
    float d[36 * 16]; /* [window value][lane] */
    for (int l = 0; l < 16; l++) {
        int p = vb * 16 + l, pos = p / n_img, img = img0 + p % n_img;
        __global const float *src =
            inp + ((size_t)img * C + c) * Hp * Wp + pos / tw * 4 * Wp + pos % tw * 4;
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) d[(6 * i + j) * 16 + l] = p < P ? src[i * Wp + j] : 0.0f;
    }
    float16 t[36], e[6];
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 6; j++) e[j] = vload16(0, d + (6 * i + j) * 16);
        wino_bt16(e, 1, t + 6 * i, 1);
    }
    wino_input_store(t, V + (size_t)c * P32 + vb * 16, (size_t)C * P32);
}

/* acc0/acc1 [r] = row r of U's 8-channel block u x the 32 tiles of V at v (rows P32 apart),
 * summed over the C input channels in order, each weight feeding two fmas. */
#define WINO_GEMM_POINT(NAME, AS)                                                         \
    static inline void NAME(__global const float *u, AS const float *v, int C, int P32,   \
                            float16 *acc0, float16 *acc1)                                 \
    {                                                                                     \
        _Pragma("unroll") for (int r = 0; r < WINO_RB; r++) acc0[r] = acc1[r] = 0.0f;     \
        for (int c = 0; c < C; c++) {                                                     \
            float16 x0 = vload16(0, v), x1 = vload16(1, v);                               \
            _Pragma("unroll") for (int r = 0; r < WINO_RB; r++) {                         \
                float16 wr = (float16)(u[r]);                                             \
                acc0[r] = fma(wr, x0, acc0[r]);                                           \
                acc1[r] = fma(wr, x1, acc1[r]);                                           \
            }                                                                             \
            u += WINO_RB;                                                                 \
            v += P32;                                                                     \
        }                                                                                 \
    }
WINO_GEMM_POINT(wino_gemm_point, __global)
WINO_GEMM_POINT(wino_gemm_point_local, __local)

/* M [36, n_kb * 8, P32] = U x V, one GEMM per transform point: a work-item keeps 8 output
 * channels x 32 tiles in float16 accumulators (as conv_direct.cl). With kb_fastest the
 * channel blocks of one run of tiles are adjacent (its V stays in cache, the point's U is
 * read once per run), else the runs of tiles of one channel block (its U stays, the point's V
 * is read once per block): cl/conv_winograd.c picks the order that reads the smaller one
 * again. */
__kernel void wino_gemm(__global const float *U, __global const float *V, __global float *M,
                        int C, int n_kb, int P32, int kb_fastest, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int n_pb = P32 / 32, per_x = n_kb * n_pb, x = gid / per_x, r = gid % per_x;
    int kb = kb_fastest ? r % n_kb : r / n_pb, pb = kb_fastest ? r / n_kb : r % n_pb;
    float16 acc0[WINO_RB], acc1[WINO_RB];
    wino_gemm_point(U + ((size_t)x * n_kb + kb) * C * WINO_RB, V + (size_t)x * C * P32 + pb * 32,
                    C, P32, acc0, acc1);
    __global float *m = M + ((size_t)x * n_kb * WINO_RB + kb * WINO_RB) * P32 + pb * 32;
    for (int r = 0; r < WINO_RB; r++) {
        vstore16(acc0[r], 0, m + (size_t)r * P32);
        vstore16(acc1[r], 1, m + (size_t)r * P32);
    }
}

/* y [16] = A^T m A + bias for 16 tiles' 36 points m: y[4 i + j] the pixels (i, j). */
static inline void wino_output_y(const float16 *m, float bias, float16 *y)
{
    float16 t[24];
    for (int j = 0; j < 6; j++) wino_at16(m + j, 6, t + j, 6);       /* t [4, 6] = A^T m */
    for (int i = 0; i < 4; i++) wino_at16(t + 6 * i, 1, y + 4 * i, 1); /* y [4, 4] = t A */
    for (int x = 0; x < 16; x++) y[x] += (float16)(bias);
}

/* The same for the 16 tiles of M at src (the 36 points K8 * P32 apart). */
static inline void wino_output_tiles(__global const float *src, int K8, int P32, float bias,
                                     float16 *y)
{
    float16 m[36];
    for (int x = 0; x < 36; x++) m[x] = vload16(0, src + (size_t)x * K8 * P32);
    wino_output_y(m, bias, y);
}

/* v (+ res, a residual add done here: the add's own sum) ReLU'd where asked as relu_forward
 * would (NaN and -0 to +0). */
static inline float wino_finish(float v, __global const float *res, int has_res, int relu)
{
    float x = has_res ? v + *res : v;
    return relu ? (x > 0.0f ? x : 0.0f) : x;
}

/* Where the output's pixels go: out [b, K, OH, OW] (+ res, a tensor of out's shape, where
 * has_res; then ReLU'd where asked). */
typedef struct {
    __global float *out;
    __global const float *res;
    int K, OH, OW, img0, has_res, relu;
} wino_dest;

/* Channel k's pixels y of vector vb of rows-mode tiles (wino_locate), pixels past the
 * output's edge not stored. */
static inline void wino_store_rows(const float16 *y, wino_dest d, int k, int vb, int n_rg,
                                   int n_seg, int sw)
{
    wino_block blk = wino_locate(vb, n_rg, n_seg, sw);
    size_t plane = ((size_t)(d.img0 + blk.img) * d.K + k) * d.OH * d.OW;
    __global float *dst = d.out + plane;
    __global const float *rsrc = d.res + plane;
    const uint16 lo = (uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const uint16 hi = lo + 8;
    const uint16 first = (uint16)(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const uint16 second = first + 8;
    for (int i = 0; i < 4; i++) {
        /* row i of the 16 tiles, interleaved: chunk q = lanes 4q..4q+3's 4 pixels each */
        float16 lo01 = shuffle2(y[4 * i], y[4 * i + 1], lo), hi01 = shuffle2(y[4 * i], y[4 * i + 1], hi);
        float16 lo23 = shuffle2(y[4 * i + 2], y[4 * i + 3], lo);
        float16 hi23 = shuffle2(y[4 * i + 2], y[4 * i + 3], hi);
        float16 chunk[4] = {shuffle2(lo01, lo23, first), shuffle2(lo01, lo23, second),
                            shuffle2(hi01, hi23, first), shuffle2(hi01, hi23, second)};
        for (int q = 0; q < 4; q++) {
            int oy = (blk.ty0 + 4 * q / sw) * 4 + i, ox = (blk.tx0 + 4 * q % sw) * 4;
            if (oy >= d.OH || ox >= d.OW) continue;
            __global float *row = dst + oy * d.OW + ox;
            __global const float *rrow = rsrc + oy * d.OW + ox;
            if (ox + 16 <= d.OW) {
                float16 v = chunk[q];
                if (d.has_res) v += vload16(0, rrow);
                if (d.relu) v = select((float16)(0.0f), v, v > 0.0f);
                vstore16(v, 0, row);
                continue;
            }
            float t[16];
            vstore16(chunk[q], 0, t);
            for (int l = 0; ox + l < d.OW; l++) row[l] = wino_finish(t[l], rrow + l, d.has_res, d.relu);
        }
    }
}

/* The same for vector vb of lanes-mode tiles (one image a lane), stored pixel by pixel. */
static inline void wino_store_lanes(const float16 *y, wino_dest d, int k, int vb, int tw,
                                    int n_img, int P)
{
    float v[256]; /* [pixel][lane] */
    for (int x = 0; x < 16; x++) vstore16(y[x], 0, v + 16 * x);
    for (int l = 0; l < 16 && vb * 16 + l < P; l++) {
        int p = vb * 16 + l, pos = p / n_img, img = d.img0 + p % n_img;
        int oy = pos / tw * 4, ox = pos % tw * 4;
        size_t plane = ((size_t)img * d.K + k) * d.OH * d.OW;
        for (int i = 0; i < 4 && oy + i < d.OH; i++)
            for (int j = 0; j < 4 && ox + j < d.OW; j++) {
                int at = (oy + i) * d.OW + ox + j;
                d.out[plane + at] = wino_finish(v[16 * (4 * i + j) + l], d.res + plane + at, d.has_res, d.relu);
            }
    }
}

#define WINO_DEST_ARGS                                                                       \
    __global float *out, __global const float *res, int K, int OH, int OW, int img0, int has_res, \
        int relu
#define WINO_DEST ((wino_dest){out, res, K, OH, OW, img0, has_res, relu})

/* out for the chunk's tile vectors = A^T M A + bias (then the residual and ReLU, wino_dest).
 * A work-item per (k, vector of 16 tiles), the vectors of one channel adjacent. */
__kernel void wino_output(__global const float *M, __global const float *bias, int K8,
                          int n_rg, int n_seg, int sw, int n_vb, int P32, WINO_DEST_ARGS, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int vb = gid % n_vb, k = gid / n_vb;
    float16 y[16];
    wino_output_tiles(M + (size_t)k * P32 + vb * 16, K8, P32, bias[k], y);
    wino_store_rows(y, WINO_DEST, k, vb, n_rg, n_seg, sw);
}

/* The same for wino_input_lanes's tiles. */
__kernel void wino_output_lanes(__global const float *M, __global const float *bias, int K8,
                                int tw, int n_img, int P, int P32, WINO_DEST_ARGS, int n)
{
    int gid = get_global_id(0);
    if (gid >= n) return;
    int n16 = (P + 15) / 16, vb = gid % n16, k = gid / n16;
    float16 y[16];
    wino_output_tiles(M + (size_t)k * P32 + vb * 16, K8, P32, bias[k], y);
    wino_store_lanes(y, WINO_DEST, k, vb, tw, n_img, P);
}

/* Channel block kb's pixels from its GEMM results Mw [16][36][16 lanes] (channel r of the
 * first vector of tiles at r, of the second at 8 + r), vectors vb0 and vb0 + 1 of rows-mode
 * tiles. */
static inline void wino_block_out(__local const float *Mw, __global const float *bias, wino_dest d,
                                  int kb, int vb0, int n_vb, int n_rg, int n_seg, int sw)
{
    for (int h = 0; h < 2 && vb0 + h < n_vb; h++)
        for (int r = 0; r < WINO_RB && kb * WINO_RB + r < d.K; r++) {
            int k = kb * WINO_RB + r;
            float16 m[36], y[16];
            for (int x = 0; x < 36; x++) m[x] = vload16(0, Mw + ((h * WINO_RB + r) * 36 + x) * 16);
            wino_output_y(m, bias[k], y);
            wino_store_rows(y, d, k, vb0 + h, n_rg, n_seg, sw);
        }
}

/* win [R, Wc] = the input plane's rows y0.. and columns x0.. (R x Wc), zero outside it: the
 * padding made real for one vector's windows, in private memory. */
static inline void wino_stage(__global const float *plane, int H, int W, int y0, int x0, int R,
                              int Wc, float *win)
{
    int lo = x0 < 0 ? -x0 : 0, hi = W - x0 < Wc ? W - x0 : Wc;
    for (int r = 0; r < R; r++) {
        int y = y0 + r, q = 0;
        float *row = win + r * Wc;
        if (y >= 0 && y < H) {
            for (; q < lo; q++) row[q] = 0.0f;
            for (; q < hi; q++) row[q] = plane[(size_t)y * W + x0 + q];
        }
        for (; q < Wc; q++) row[q] = 0.0f;
    }
}

/* A whole layer in one kernel, on a CPU device whose local memory holds the transformed input
 * of 32 tiles (36 x C x 32 floats: 295 KB at 64 channels) and, per work-item, the GEMM
 * results of 8 channels of them (36 KB): a work-group per two vectors of 16 tiles, vb0 = 2 x
 * group. Its work-items first transform the input (the padding made on the fly) into local
 * V, a channel each in turn, then each takes channel blocks of 8 outputs: the 36 GEMMs into
 * its part of local M, then the output transform. V and M stay in the cache of one core (the
 * chunked kernels write them through the L3 cache, 8 MB a chunk on resnet18's 56x56 layers)
 * and the layer takes one launch, not four a chunk: that layer 11.7-12.0 -> 10.8-11.0 ms at
 * batch 32 (build/conv_direct_bench). M is in local memory, not private, so that no
 * compiler meets a work-item of 40 KB of private arrays. The same sums in the same order as
 * the chunked kernels: bitwise the same. */
static inline void wino_fused_block(__global const float *in, __global const float *U,
                                    __global const float *bias, __local float *Vl,
                                    __local float *Ml, int C, int H, int W, int n_kb, int n_rg,
                                    int n_seg, int n_vb, wino_dest d, const int sw)
{
    const int R = 4 * (16 / sw) + 2, Wc = 4 * sw + 5; /* a vector's windows, as wino_gather reads */
    int vb0 = 2 * (int)get_group_id(0), l = get_local_id(0), L = get_local_size(0);
    __local float *Mw = Ml + l * (2 * WINO_RB * 36 * 16);
    for (int c = l; c < C; c += L)
        for (int h = 0; h < 2; h++) {
            __local float *dst = Vl + c * 32 + 16 * h;
            float16 t[36];
            float win[6 * 69]; /* R x Wc: at most 6 x 69 (sw 16), 10 x 37, 18 x 21 */
            if (vb0 + h >= n_vb) {
                for (int x = 0; x < 36; x++) vstore16((float16)(0.0f), 0, dst + x * C * 32);
                continue;
            }
            wino_block b = wino_locate(vb0 + h, n_rg, n_seg, sw);
            wino_stage(in + ((size_t)b.img * C + c) * H * W, H, W, 4 * b.ty0 - 1, 4 * b.tx0 - 1, R,
                       Wc, win);
            wino_input_t_private(win, Wc, sw, t);
            wino_input_store_local(t, dst, (size_t)C * 32);
        }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kb = l; kb < n_kb; kb += L) {
        for (int x = 0; x < 36; x++) {
            float16 acc0[WINO_RB], acc1[WINO_RB];
            wino_gemm_point_local(U + ((size_t)x * n_kb + kb) * C * WINO_RB, Vl + x * C * 32, C, 32,
                                  acc0, acc1);
            for (int r = 0; r < WINO_RB; r++) {
                vstore16(acc0[r], 0, Mw + (r * 36 + x) * 16);
                vstore16(acc1[r], 0, Mw + ((WINO_RB + r) * 36 + x) * 16);
            }
        }
        wino_block_out(Mw, bias, d, kb, vb0, n_vb, n_rg, n_seg, sw);
    }
}

#define WINO_FUSED_ARGS                                                                       \
    __global const float *in, __global const float *U, __global const float *bias,           \
        __local float *Vl, __local float *Ml, int C, int H, int W, int n_kb, int n_rg,        \
        int n_seg, int n_vb, WINO_DEST_ARGS
__kernel void wino_fused_w16(WINO_FUSED_ARGS)
{
    wino_fused_block(in, U, bias, Vl, Ml, C, H, W, n_kb, n_rg, n_seg, n_vb, WINO_DEST, 16);
}
__kernel void wino_fused_w8(WINO_FUSED_ARGS)
{
    wino_fused_block(in, U, bias, Vl, Ml, C, H, W, n_kb, n_rg, n_seg, n_vb, WINO_DEST, 8);
}
__kernel void wino_fused_w4(WINO_FUSED_ARGS)
{
    wino_fused_block(in, U, bias, Vl, Ml, C, H, W, n_kb, n_rg, n_seg, n_vb, WINO_DEST, 4);
}
