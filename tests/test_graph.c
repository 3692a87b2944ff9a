/* A model as a graph (model.layers with inputs): a residual block, a 1x1 side branch joined
 * by a concat, then pool, flatten and linear, on random weights. Forward and the backward
 * pass to several layers against the plain-C reference of the whole graph; the summed
 * gradient of a tensor with three readers against central differences of a float64 forward;
 * buffer reuse (fewer bytes than one buffer per tensor, results bitwise equal without it);
 * and the graphs that are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "pipeline/model/model.h"
#include "pipeline/model/reference.h"
#include "testutil.h"

#define B 2
#define CLASSES 5

static cl_ctx ctx;

#define CONV(n, k, p, o) {.kind = LAYER_CONV, .name = n, .kernel = k, .stride = 1, .pad = p, .out = o}
#define ONE(kd, n) {.kind = kd, .name = n}
#define JOIN(kd, n, ...)                                                                            \
    {.kind = kd, .name = n, .n_inputs = (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), \
     .inputs = {__VA_ARGS__}}
static const layer_spec RESNET[] = {
    CONV("c0", 3, 1, 4),
    ONE(LAYER_RELU, "r0"),
    CONV("block.c1", 3, 1, 4),
    ONE(LAYER_RELU, "block.r1"),
    CONV("block.c2", 3, 1, 4),
    JOIN(LAYER_IDENTITY, "block.skip", "r0"),
    JOIN(LAYER_ADD, "block.add", "block.c2", "block.skip"),
    ONE(LAYER_RELU, "block.r2"),
    {.kind = LAYER_CONV, .name = "side", .kernel = 1, .stride = 1, .out = 3, .n_inputs = 1, .inputs = {"r0"}},
    JOIN(LAYER_CONCAT, "cat", "block.r2", "side"),
    {.kind = LAYER_MAXPOOL, .name = "pool", .kernel = 2, .stride = 2},
    ONE(LAYER_FLATTEN, "flat"),
    {.kind = LAYER_LINEAR, .name = "fc", .out = CLASSES},
};
#define N_RESNET ((int)(sizeof RESNET / sizeof *RESNET))
static const layer_shape IN = {3, 6, 6};

/* Random parameters in place of the zeros model_build gives without a weights file. */
static void randomise(model *m, unsigned seed)
{
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        if (l->weight) test_fill_uniform(l->weight, (size_t)l->n_weight, -0.5f, 0.5f, &seed);
        if (l->bias) test_fill_uniform(l->bias, (size_t)l->n_bias, -0.2f, 0.2f, &seed);
    }
}

/* ---- the plain-C reference of the whole graph, in float, with the kernels' summing order ---- */

typedef struct {
    float *act[MODEL_MAX_LAYERS];
    int *aux[MODEL_MAX_LAYERS];
} ref_state;

static void ref_graph_forward(model *m, const float *x, ref_state *r)
{
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        size_t n = (size_t)B * layer_shape_size(l->out);
        r->act[i] = calloc(n, sizeof(float));
        r->aux[i] = calloc(n, sizeof(int));
        for (int k = 0; k < l->n_inputs; k++) l->ref_in[k] = l->inputs[k] < 0 ? x : r->act[l->inputs[k]];
        LAYER_OPS[l->kind]->ref_forward(l, l->ref_in[0], r->act[i], r->aux[i], B);
    }
}

static void ref_state_free(model *m, ref_state *r)
{
    for (int i = 0; i < m->n_layers; i++) free(r->act[i]), free(r->aux[i]);
}

/* Gradient at layer t's output (malloc'd) from dlogits: reverse layer order, a tensor's
 * first contribution written, later ones added, as model_backward_to does. */
static float *ref_graph_backward(model *m, const float *x, ref_state *r, int t, const float *dlogits)
{
    int n = m->n_layers, from[MODEL_MAX_LAYERS], written[MODEL_MAX_LAYERS] = {0};
    float *g[MODEL_MAX_LAYERS] = {NULL}, *tmp;
    for (int i = 0; i < n; i++) {
        g[i] = calloc((size_t)B * layer_shape_size(m->layers[i].out), sizeof(float));
        from[i] = i == t;
        for (int k = 0; i > t && k < m->layers[i].n_inputs; k++)
            if (m->layers[i].inputs[k] >= 0 && from[m->layers[i].inputs[k]]) from[i] = 1;
    }
    memcpy(g[n - 1], dlogits, sizeof(float) * B * CLASSES);
    written[n - 1] = 1;
    for (int i = n - 1; i > t; i--) {
        layer *l = &m->layers[i];
        if (!from[i] || !written[i]) continue;
        for (int k = 0; k < l->n_inputs; k++) {
            int j = l->inputs[k];
            size_t nj;
            if (j < 0 || !from[j]) continue;
            nj = (size_t)B * layer_shape_size(m->layers[j].out);
            tmp = calloc(nj, sizeof(float));
            l->bwd_slot = k;
            LAYER_OPS[l->kind]->ref_backward(l, l->inputs[0] < 0 ? x : r->act[l->inputs[0]], r->act[i],
                                             r->aux[i], g[i], tmp, B);
            if (written[j]) ref_add_inplace(g[j], tmp, (int)nj);
            else memcpy(g[j], tmp, sizeof(float) * nj);
            written[j] = 1;
            free(tmp);
        }
        l->bwd_slot = 0;
    }
    for (int i = 0; i < n; i++)
        if (i != t) free(g[i]);
    return g[t];
}

/* ---- float64 forward for finite differences: layer p's output gets +h at element e ---- */

static double *d_conv(const layer *l, const double *in)
{
    layer_shape I = l->in, O = l->out;
    int K = l->kernel;
    double *out = calloc((size_t)B * layer_shape_size(O), sizeof(double));
    for (int b = 0; b < B; b++)
        for (int o = 0; o < O.c; o++)
            for (int y = 0; y < O.h; y++)
                for (int xx = 0; xx < O.w; xx++) {
                    double s = l->bias[o];
                    for (int c = 0; c < I.c; c++)
                        for (int ky = 0; ky < K; ky++)
                            for (int kx = 0; kx < K; kx++) {
                                int iy = y * l->stride - l->pad + ky, ix = xx * l->stride - l->pad + kx;
                                if (iy < 0 || ix < 0 || iy >= I.h || ix >= I.w) continue;
                                s += (double)l->weight[((o * I.c + c) * K + ky) * K + kx] *
                                     in[((size_t)(b * I.c + c) * I.h + iy) * I.w + ix];
                            }
                    out[((size_t)(b * O.c + o) * O.h + y) * O.w + xx] = s;
                }
    return out;
}

static double d_logit_sum(const model *m, const float *x, const int *target, int p, size_t e, double h)
{
    double *act[MODEL_MAX_LAYERS] = {NULL}, *xd, sum = 0;
    size_t nx = (size_t)B * layer_shape_size(m->input);
    xd = malloc(sizeof(double) * nx);
    for (size_t i = 0; i < nx; i++) xd[i] = x[i];
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = &m->layers[i];
        const double *in = l->inputs[0] < 0 ? xd : act[l->inputs[0]];
        size_t n = (size_t)B * layer_shape_size(l->out);
        if (l->kind == LAYER_CONV) {
            act[i] = d_conv(l, in);
        } else {
            act[i] = calloc(n, sizeof(double));
        }
        if (l->kind == LAYER_RELU) {
            for (size_t j = 0; j < n; j++) act[i][j] = in[j] > 0 ? in[j] : 0;
        } else if (l->kind == LAYER_ADD) {
            for (int k = 0; k < l->n_inputs; k++)
                for (size_t j = 0; j < n; j++) act[i][j] += act[l->inputs[k]][j];
        } else if (l->kind == LAYER_CONCAT) {
            int hw = l->out.h * l->out.w, off = 0;
            for (int k = 0; k < l->n_inputs; k++) {
                int ck = l->in_shapes[k].c * hw;
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < ck; j++)
                        act[i][(size_t)b * layer_shape_size(l->out) + off + j] = act[l->inputs[k]][(size_t)b * ck + j];
                off += ck;
            }
        } else if (l->kind == LAYER_MAXPOOL) {
            for (int pl = 0; pl < B * l->in.c; pl++)
                for (int y = 0; y < l->out.h; y++)
                    for (int xx = 0; xx < l->out.w; xx++) {
                        double best = -INFINITY;
                        for (int ky = 0; ky < l->kernel; ky++)
                            for (int kx = 0; kx < l->kernel; kx++) {
                                double v = in[((size_t)pl * l->in.h + y * l->stride + ky) * l->in.w + xx * l->stride + kx];
                                if (v > best) best = v;
                            }
                        act[i][((size_t)pl * l->out.h + y) * l->out.w + xx] = best;
                    }
        } else if (l->kind == LAYER_FLATTEN || l->kind == LAYER_IDENTITY) {
            memcpy(act[i], in, sizeof(double) * n);
        } else if (l->kind == LAYER_LINEAR) {
            for (int b = 0; b < B; b++)
                for (int o = 0; o < l->out.c; o++) {
                    double s = l->bias[o];
                    for (int k = 0; k < l->in.c; k++) s += (double)l->weight[o * l->in.c + k] * in[(size_t)b * l->in.c + k];
                    act[i][(size_t)b * l->out.c + o] = s;
                }
        }
        if (i == p) act[i][e] += h;
    }
    for (int b = 0; b < B; b++) sum += act[m->n_layers - 1][b * CLASSES + target[b]];
    for (int i = 0; i < m->n_layers; i++) free(act[i]);
    free(xd);
    return sum;
}

/* ---- the device side ---- */

typedef struct {
    float logits[B * CLASSES];
    float *grad;   /* at the layer asked for */
} device_out;

static void device_run(model *m, const float *x, const float *dlogits, int t, device_out *o)
{
    clcam_err err = {0};
    cl_mem d_x = NULL, d_dl = NULL, g = NULL;
    size_t ng = t >= 0 ? (size_t)B * layer_shape_size(m->layers[t].out) : 0;
    o->grad = ng ? calloc(ng, sizeof(float)) : NULL;
    CHECK(model_upload(&ctx, m, B, &err) == CLCAM_OK, "upload: %s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * B * layer_shape_size(m->input), &d_x, "x", &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cl_ctx_alloc(&ctx, sizeof(float) * B * CLASSES, &d_dl, "dlogits", &err) == CLCAM_OK, "%s", err.msg);
    if (d_x && d_dl) {
        CHECK(cl_ctx_upload(&ctx, d_x, x, sizeof(float) * B * layer_shape_size(m->input), &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_upload(&ctx, d_dl, dlogits, sizeof(float) * B * CLASSES, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(model_forward(&ctx, m, d_x, B, &err) == CLCAM_OK, "forward: %s", err.msg);
        CHECK(cl_ctx_download(&ctx, m->layers[m->n_layers - 1].d_out, o->logits, sizeof o->logits, &err) == CLCAM_OK,
              "%s", err.msg);
        if (ng) {
            CHECK(model_backward_to(&ctx, m, t, d_dl, B, &g, &err) == CLCAM_OK, "backward to %s: %s",
                  m->layers[t].name, err.msg);
            if (g) CHECK(cl_ctx_download(&ctx, g, o->grad, sizeof(float) * ng, &err) == CLCAM_OK, "%s", err.msg);
            /* a second pass (the next target rank) reads what the first left */
            if (g) CHECK(model_backward_to(&ctx, m, t, d_dl, B, &g, &err) == CLCAM_OK, "%s", err.msg);
            if (g) {
                float *again = calloc(ng, sizeof(float));
                CHECK(cl_ctx_download(&ctx, g, again, sizeof(float) * ng, &err) == CLCAM_OK, "%s", err.msg);
                CHECK(memcmp(again, o->grad, sizeof(float) * ng) == 0, "second backward to %s differs",
                      m->layers[t].name);
                free(again);
            }
        }
    }
    if (d_x) clReleaseMemObject(d_x);
    if (d_dl) clReleaseMemObject(d_dl);
    model_release_device(m);
}

static void inputs_for(const model *m, float *x, int *target, float *dlogits, unsigned seed)
{
    test_fill_uniform(x, (size_t)B * layer_shape_size(m->input), -1.0f, 1.0f, &seed);
    memset(dlogits, 0, sizeof(float) * B * CLASSES);
    for (int b = 0; b < B; b++) {
        target[b] = (b * 3 + 1) % CLASSES;
        dlogits[b * CLASSES + target[b]] = 1.0f;
    }
}

static void check_resnet(void)
{
    clcam_err err = {0};
    model m;
    ref_state r;
    memset(&r, 0, sizeof r);
    float x[B * 3 * 6 * 6], dlogits[B * CLASSES];
    int target[B];
    const char *at[] = {"r0", "block.r1", "block.c2", "block.skip", "block.add", "block.r2", "side", "cat"};
    CHECK(model_build(&m, RESNET, N_RESNET, NULL, IN, &err) == CLCAM_OK, "build: %s", err.msg);
    if (m.n_layers != N_RESNET) return;
    randomise(&m, 5u);
    inputs_for(&m, x, target, dlogits, 9u);
    ref_graph_forward(&m, x, &r);
    {
        const layer *cat = &m.layers[model_find_layer(&m, "cat")];
        CHECK(cat->out.c == 7 && cat->out.h == 6, "cat is %dx%dx%d", cat->out.c, cat->out.h, cat->out.w);
    }
    CHECK(model_readers(&m, 1) == 3, "r0 has %d readers", model_readers(&m, 1));
    for (size_t a = 0; a < sizeof at / sizeof *at; a++) {
        int t = model_find_layer(&m, at[a]);
        device_out o;
        float *want = ref_graph_backward(&m, x, &r, t, dlogits);
        size_t worst, ng = (size_t)B * layer_shape_size(m.layers[t].out);
        double ratio;
        m.cam_t = -1;
        device_run(&m, x, dlogits, t, &o);
        ratio = test_tol_ratio(o.logits, r.act[m.n_layers - 1], B * CLASSES, 1e-5, 1e-4, &worst);
        CHECK(ratio <= 1, "logits[%zu] %g vs reference %g", worst, o.logits[worst], r.act[m.n_layers - 1][worst]);
        ratio = test_tol_ratio(o.grad, want, ng, 1e-5, 1e-4, &worst);
        CHECK(ratio <= 1, "gradient at %s [%zu]: %g vs reference %g (ratio %g)", at[a], worst, o.grad[worst],
              want[worst], ratio);
        /* The summed gradient of r0 (three readers) against central differences in float64. */
        if (strcmp(at[a], "r0") == 0) {
            double worst_fd = 0;
            for (size_t e = 0; e < ng; e++) {
                double h = 1e-4;
                double fd = (d_logit_sum(&m, x, target, t, e, h) - d_logit_sum(&m, x, target, t, e, -h)) / (2 * h);
                double q = fabs(fd - o.grad[e]) / (1e-4 + 1e-3 * fabs(fd));
                if (q > worst_fd) worst_fd = q;
                if (q > 1) {
                    CHECK(q <= 1, "r0 gradient [%zu]: %g, central differences %g", e, o.grad[e], fd);
                    break;
                }
            }
            CHECK(worst_fd <= 1, "r0 vs finite differences: ratio %g", worst_fd);
            printf("r0 (three readers): summed gradient vs float64 central differences, worst ratio %.3g\n", worst_fd);
        }
        free(want);
        free(o.grad);
    }
    /* The CAM layer at the add's output: buffers planned by liveness; bitwise equal to the
     * unplanned run and to no reuse at all. */
    {
        int t;
        device_out planned, unplanned, plain;
        size_t ng;
        CHECK(model_check_cam_layer(&m, "block.add", &t, &err) == CLCAM_OK, "%s", err.msg);
        ng = (size_t)B * layer_shape_size(m.layers[t].out);
        device_run(&m, x, dlogits, t, &planned);
        printf("resnet-style graph, CAM at block.add: %zu bytes with reuse, %zu without\n", m.device_bytes,
               m.unshared_bytes);
        CHECK(m.device_bytes < m.unshared_bytes, "%zu >= %zu", m.device_bytes, m.unshared_bytes);
        setenv("CLCAM_GRAPH_REUSE", "0", 1);
        device_run(&m, x, dlogits, t, &plain);
        CHECK(m.device_bytes == m.unshared_bytes, "reuse off: %zu != %zu", m.device_bytes, m.unshared_bytes);
        unsetenv("CLCAM_GRAPH_REUSE");
        m.cam_t = -1;
        device_run(&m, x, dlogits, t, &unplanned);
        CHECK(memcmp(planned.logits, plain.logits, sizeof plain.logits) == 0 &&
              memcmp(planned.logits, unplanned.logits, sizeof plain.logits) == 0, "logits differ with reuse");
        CHECK(memcmp(planned.grad, plain.grad, sizeof(float) * ng) == 0 &&
              memcmp(planned.grad, unplanned.grad, sizeof(float) * ng) == 0, "gradients differ with reuse");
        free(planned.grad), free(plain.grad), free(unplanned.grad);
    }
    ref_state_free(&m, &r);
    model_free(&m);
}

/* A long chain: memory follows the widest cut, and reuse does not change a bit. */
static void check_chain(void)
{
    enum { DEPTH = 16 };
    layer_spec s[2 * DEPTH + 2];
    char names[2 * DEPTH][16];
    clcam_err err = {0};
    model m;
    float x[B * 3 * 6 * 6], dlogits[B * CLASSES];
    int target[B], t, n = 0;
    device_out a, b;
    size_t ng;
    for (int i = 0; i < DEPTH; i++) {
        snprintf(names[2 * i], sizeof names[0], "c%d", i);
        snprintf(names[2 * i + 1], sizeof names[0], "r%d", i);
        s[n++] = (layer_spec)CONV(names[2 * i], 3, 1, 6);
        s[n++] = (layer_spec)ONE(LAYER_RELU, names[2 * i + 1]);
    }
    s[n++] = (layer_spec)ONE(LAYER_FLATTEN, "flat");
    s[n++] = (layer_spec){.kind = LAYER_LINEAR, .name = "fc", .out = CLASSES};
    /* every ReLU a tensor of its own (no fusion into its conv): the planner's test */
    setenv("CLCAM_FUSE", "0", 1);
    CHECK(model_build(&m, s, n, NULL, IN, &err) == CLCAM_OK, "chain: %s", err.msg);
    unsetenv("CLCAM_FUSE");
    if (m.n_layers != n) return;
    randomise(&m, 11u);
    inputs_for(&m, x, target, dlogits, 13u);
    CHECK(model_check_cam_layer(&m, "r13", &t, &err) == CLCAM_OK, "%s", err.msg);
    ng = (size_t)B * layer_shape_size(m.layers[t].out);
    device_run(&m, x, dlogits, t, &a);
    printf("chain of %d conv+relu, CAM at r13: device_peak_bytes %zu, one buffer per tensor %zu\n", DEPTH,
           m.device_bytes, m.unshared_bytes);
    CHECK(m.device_bytes * 2 < m.unshared_bytes, "reuse saves too little: %zu of %zu", m.device_bytes,
          m.unshared_bytes);
    setenv("CLCAM_GRAPH_REUSE", "0", 1);
    device_run(&m, x, dlogits, t, &b);
    unsetenv("CLCAM_GRAPH_REUSE");
    CHECK(memcmp(a.logits, b.logits, sizeof a.logits) == 0, "chain logits differ with reuse");
    CHECK(memcmp(a.grad, b.grad, sizeof(float) * ng) == 0, "chain gradients differ with reuse");
    free(a.grad), free(b.grad);
    model_free(&m);
}

/* ReLU + max-pool fusion only where the max-pool is the ReLU's one reader (not necessarily the
 * next layer), and bitwise the same as CLCAM_FUSE=0 either way. */
static void check_fusion(void)
{
    const layer_spec one[] = {CONV("c0", 3, 1, 4), ONE(LAYER_RELU, "r0"), JOIN(LAYER_CONV, "s", "input"),
                              {.kind = LAYER_MAXPOOL, .name = "p", .kernel = 2, .stride = 2, .n_inputs = 1, .inputs = {"r0"}},
                              {.kind = LAYER_MAXPOOL, .name = "q", .kernel = 2, .stride = 2, .n_inputs = 1, .inputs = {"s"}},
                              JOIN(LAYER_ADD, "a", "p", "q"), ONE(LAYER_FLATTEN, "f"),
                              {.kind = LAYER_LINEAR, .name = "fc", .out = CLASSES}};
    const layer_spec two[] = {CONV("c0", 3, 1, 4), ONE(LAYER_RELU, "r0"),
                              {.kind = LAYER_MAXPOOL, .name = "p", .kernel = 2, .stride = 2},
                              {.kind = LAYER_MAXPOOL, .name = "q", .kernel = 2, .stride = 2, .n_inputs = 1, .inputs = {"r0"}},
                              JOIN(LAYER_ADD, "a", "p", "q"), ONE(LAYER_FLATTEN, "f"),
                              {.kind = LAYER_LINEAR, .name = "fc", .out = CLASSES}};
    const layer_spec *g[2] = {one, two};
    int n[2] = {8, 7};
    for (int v = 0; v < 2; v++) {
        clcam_err err = {0};
        model m;
        float x[B * 3 * 6 * 6], dlogits[B * CLASSES];
        int target[B], t;
        device_out fused, plain;
        layer_spec s[8];
        memcpy(s, g[v], sizeof(layer_spec) * (size_t)n[v]);
        if (v == 0) s[2].kernel = 3, s[2].stride = 1, s[2].pad = 1, s[2].out = 4;
        CHECK(model_build(&m, s, n[v], NULL, IN, &err) == CLCAM_OK, "fusion graph %d: %s", v, err.msg);
        if (m.n_layers != n[v]) continue;
        CHECK(m.layers[1].fuse_relu == (v == 0), "graph %d: r0 fused %d", v, m.layers[1].fuse_relu);
        randomise(&m, 17u);
        inputs_for(&m, x, target, dlogits, 19u);
        CHECK(model_check_cam_layer(&m, "c0", &t, &err) == CLCAM_OK, "%s", err.msg);
        device_run(&m, x, dlogits, t, &fused);
        model_free(&m);
        setenv("CLCAM_FUSE", "0", 1);
        CHECK(model_build(&m, s, n[v], NULL, IN, &err) == CLCAM_OK, "%s", err.msg);
        unsetenv("CLCAM_FUSE");
        CHECK(m.layers[1].fuse_relu == 0, "CLCAM_FUSE=0 fused");
        randomise(&m, 17u);
        CHECK(model_check_cam_layer(&m, "c0", &t, &err) == CLCAM_OK, "%s", err.msg);
        device_run(&m, x, dlogits, t, &plain);
        CHECK(memcmp(fused.logits, plain.logits, sizeof plain.logits) == 0, "graph %d: fused logits differ", v);
        CHECK(memcmp(fused.grad, plain.grad, sizeof(float) * B * 4 * 36) == 0, "graph %d: fused gradient differs", v);
        free(fused.grad), free(plain.grad);
        model_free(&m);
    }
}

/* ReLUs fused into the conv and the add before them (relu_out): c0 -> r0 (read by c1 and
 * the add) and the add -> r1; and the add itself done in c1's stores (c1 + r0: residual_in,
 * add_in_conv), the add's ReLU with it. Logits and the gradient at the CAM layer bitwise the
 * same as CLCAM_FUSE=0 for a CAM at each layer, the ReLU fusion undone where the CAM reads a
 * tensor before its ReLU (c0, a) and kept where it reads the ReLU's output (r0, r1), the add
 * kept in c1 except where the CAM reads c1's own output. */
static void check_relu_fusion(void)
{
    const layer_spec g[] = {CONV("c0", 3, 1, 4), ONE(LAYER_RELU, "r0"), CONV("c1", 3, 1, 4),
                            JOIN(LAYER_ADD, "a", "c1", "r0"), ONE(LAYER_RELU, "r1"),
                            ONE(LAYER_FLATTEN, "f"), {.kind = LAYER_LINEAR, .name = "fc", .out = CLASSES}};
    const char *cams[] = {"c0", "r0", "a", "r1", "c1"};
    const int c0_fused[] = {0, 1, 1, 1, 1}, a_fused[] = {1, 1, 0, 1, 1}, in_c1[] = {1, 1, 1, 1, 0};
    int n = (int)(sizeof g / sizeof *g);
    for (int v = 0; v < 5; v++) {
        clcam_err err = {0};
        model m;
        float x[B * 3 * 6 * 6], dlogits[B * CLASSES];
        int target[B], t;
        device_out fused, plain;
        CHECK(model_build(&m, g, n, NULL, IN, &err) == CLCAM_OK, "relu fusion graph: %s", err.msg);
        if (m.n_layers != n) continue;
        randomise(&m, 23u);
        inputs_for(&m, x, target, dlogits, 29u);
        CHECK(model_check_cam_layer(&m, cams[v], &t, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(m.layers[0].relu_out == c0_fused[v] && m.layers[1].relu_in_source == c0_fused[v],
              "CAM at %s: c0 -> r0 fused %d %d, want %d", cams[v], m.layers[0].relu_out,
              m.layers[1].relu_in_source, c0_fused[v]);
        CHECK(m.layers[3].add_in_conv == in_c1[v] && m.layers[2].residual_in == (in_c1[v] ? 2 : 0),
              "CAM at %s: a done in c1 %d (residual_in %d), want %d", cams[v], m.layers[3].add_in_conv,
              m.layers[2].residual_in, in_c1[v]);
        int relu_at = in_c1[v] ? 2 : 3; /* the add's ReLU goes with the add */
        CHECK(m.layers[relu_at].relu_out == a_fused[v] && m.layers[5 - relu_at].relu_out == 0 &&
                  m.layers[4].relu_in_source == a_fused[v],
              "CAM at %s: a -> r1 fused %d %d (in %s), want %d", cams[v], m.layers[relu_at].relu_out,
              m.layers[4].relu_in_source, m.layers[relu_at].name, a_fused[v]);
        device_run(&m, x, dlogits, t, &fused);
        size_t ng = (size_t)B * layer_shape_size(m.layers[t].out);
        model_free(&m);
        setenv("CLCAM_FUSE", "0", 1);
        CHECK(model_build(&m, g, n, NULL, IN, &err) == CLCAM_OK, "%s", err.msg);
        unsetenv("CLCAM_FUSE");
        CHECK(m.layers[0].relu_out == 0 && m.layers[3].relu_out == 0 && m.layers[3].add_in_conv == 0,
              "CLCAM_FUSE=0 fused");
        randomise(&m, 23u);
        CHECK(model_check_cam_layer(&m, cams[v], &t, &err) == CLCAM_OK, "%s", err.msg);
        device_run(&m, x, dlogits, t, &plain);
        CHECK(memcmp(fused.logits, plain.logits, sizeof plain.logits) == 0, "CAM at %s: fused logits differ",
              cams[v]);
        CHECK(memcmp(fused.grad, plain.grad, sizeof(float) * ng) == 0, "CAM at %s: fused gradient differs",
              cams[v]);
        free(fused.grad), free(plain.grad);
        model_free(&m);
    }
}

/* Graphs that are refused, with the entry and the name in one line. */
static void check_config_error(const char *layers, const char *want1, const char *want2)
{
    char set[1024];
    const char *sets[1] = {set};
    clcam_config cfg;
    clcam_err err = {0};
    clcam_status st;
    snprintf(set, sizeof set, "model.layers=%s", layers);
    st = config_load(NULL, sets, 1, &cfg, &err);
    CHECK(st == CLCAM_ERR_INPUT || st == CLCAM_ERR_USAGE, "accepted: %s", layers);
    CHECK(strstr(err.msg, want1) && (!want2 || strstr(err.msg, want2)), "'%s' / '%s' not in: %s", want1,
          want2 ? want2 : "", err.msg);
}

static void check_model_error(const char *layers, const char *want)
{
    char set[1024];
    const char *sets[1] = {set};
    clcam_config cfg;
    clcam_err err = {0};
    model m;
    snprintf(set, sizeof set, "model.layers=%s", layers);
    CHECK(config_load(NULL, sets, 1, &cfg, &err) == CLCAM_OK, "config: %s", err.msg);
    CHECK(model_init_config(&m, &cfg, IN, CLASSES, &err) == CLCAM_ERR_INPUT, "built: %s", layers);
    CHECK(strstr(err.msg, want), "'%s' not in: %s", want, err.msg);
}

static void check_refusals(void)
{
    char *yaml;
    clcam_config cfg;
    clcam_err err = {0};
    const char *ok = "model.layers=[{type: conv, name: a, out: 4, kernel: 3, padding: 1}, "
                     "{type: relu, name: b}, {type: conv, name: c, out: 4, kernel: 1}, "
                     "{type: add, name: d, inputs: [c, b, a]}, {type: flatten, name: e}, "
                     "{type: linear, name: f, out: 5}]";
    /* round trip of the effective config */
    CHECK(config_load(NULL, &ok, 1, &cfg, &err) == CLCAM_OK, "%s", err.msg);
    CHECK(cfg.model_layers[3].n_inputs == 3 && strcmp(cfg.model_layers[3].inputs[2], "a") == 0, "inputs not read");
    yaml = config_to_yaml(&cfg);
    CHECK(yaml && strstr(yaml, "{type: add, name: d, inputs: [c, b, a]}"), "effective config: %s", yaml ? yaml : "");
    free(yaml);
    check_config_error("[{type: relu, name: a, inputs: [b]}, {type: relu, name: b}]", "entry 1 (a)",
                       "'b' is entry 2, a later one");
    check_config_error("[{type: relu, name: a, inputs: [b]}, {type: relu, name: b, inputs: [a]}]",
                       "entry 1 (a)", "a later one"); /* a cycle needs a forward reference */
    check_config_error("[{type: relu, name: a, inputs: [a]}]", "entry 1 (a)", "itself");
    check_config_error("[{type: relu, name: a}, {type: relu, name: b, inputs: [nope]}]", "entry 2 (b)",
                       "no layer named 'nope'");
    check_config_error("[{type: relu, name: a}, {type: add, name: b, inputs: [a]}]", "entry 2 (b)",
                       "two or more");
    check_config_error("[{type: relu, name: a}, {type: relu, name: b, inputs: [a, a]}]", "entry 2 (b)",
                       "reads one input");
    check_config_error("[{type: relu, name: a, inputs: [bad..name]}]", "entry 1 (a): inputs", NULL);
    check_config_error("[{type: relu, name: a, inputs: a}]", "entry 1 (a): inputs: expected a list", NULL);
    {
        const layer_spec add_bad[] = {CONV("a", 3, 0, 4), JOIN(LAYER_ADD, "c", "a", "input"),
                                      ONE(LAYER_FLATTEN, "d"), {.kind = LAYER_LINEAR, .name = "e", .out = 5}};
        const layer_spec cat_bad[] = {CONV("a", 3, 0, 4), JOIN(LAYER_CONCAT, "c", "a", "input"),
                                      ONE(LAYER_FLATTEN, "d"), {.kind = LAYER_LINEAR, .name = "e", .out = 5}};
        const layer_spec cat_ok[] = {CONV("a", 3, 1, 4), JOIN(LAYER_CONCAT, "c", "a", "input"),
                                     ONE(LAYER_FLATTEN, "d"), {.kind = LAYER_LINEAR, .name = "e", .out = 5}};
        const layer_spec unknown[] = {CONV("a", 3, 1, 4), JOIN(LAYER_RELU, "b", "zz"),
                                      ONE(LAYER_FLATTEN, "d"), {.kind = LAYER_LINEAR, .name = "e", .out = 5}};
        model m;
        err_clear(&err);
        CHECK(model_build(&m, add_bad, 4, NULL, IN, &err) == CLCAM_ERR_INPUT, "add of 4x4x4 and 3x6x6 built");
        CHECK(strstr(err.msg, "layer c: an add needs inputs of one shape, but input 1 is 4x4x4 and input 2 is 3x6x6"),
              "%s", err.msg);
        err_clear(&err);
        CHECK(model_build(&m, cat_bad, 4, NULL, IN, &err) == CLCAM_ERR_INPUT, "concat of 4x4 and 6x6 built");
        CHECK(strstr(err.msg, "layer c: a concat needs inputs of one height and width"), "%s", err.msg);
        err_clear(&err);
        CHECK(model_build(&m, unknown, 4, NULL, IN, &err) == CLCAM_ERR_INPUT, "unknown input built");
        CHECK(strstr(err.msg, "layer b: input 'zz' is no earlier layer"), "%s", err.msg);
        err_clear(&err);
        CHECK(model_build(&m, cat_ok, 4, NULL, IN, &err) == CLCAM_OK, "%s", err.msg);
        if (m.n_layers == 4) CHECK(m.layers[1].out.c == 7, "concat with the input: %d channels", m.layers[1].out.c);
        model_free(&m);
    }
    /* training is for sequential models */
    check_model_error("[{type: conv, name: a, out: 3, kernel: 3, padding: 1}, {type: relu, name: b}, "
                      "{type: add, name: c, inputs: [b, input]}, {type: flatten, name: d}, "
                      "{type: linear, name: e, out: 5}]", "clcam train trains sequential models only");
}

int main(void)
{
    clcam_err err = {0};
    if (cl_ctx_init(&ctx, "any", &err) != CLCAM_OK) {
        fprintf(stderr, "cannot open an OpenCL device: %s\n", err.msg);
        return 1;
    }
    test_check_engine(ctx.gemm_own);
    check_refusals();
    check_resnet();
    check_chain();
    check_fusion();
    check_relu_fusion();
    cl_ctx_free(&ctx);
    return test_finish("test_graph");
}
