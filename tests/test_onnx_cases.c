/* ONNX's own per-operator test models (Debian's libonnx-testdata, data/node/test_*) for every
 * op clcam reads: each case either reads, or is refused with one line naming the file and the
 * reason (dilation, ceil_mode, SAME padding, broadcasting, a weight that is no constant...). The
 * cases that read and those refused are listed in the output and checked against EXPECT_READ,
 * so a change in either direction shows.
 *
 * The test models give weights as graph inputs (input_1.pb...): case_model() turns the inputs
 * a node reads as parameters into initializers, as an exported model has them, and
 * case_tensor() reads input_0.pb / output_0.pb. Each case that fits clcam's model (one 4-D
 * input, or an elementwise op's input of rank 1..3 read as 4-D; every node a layer clcam runs)
 * then runs through model_load_onnx and the forward pass
 * on the device, its output against output_0.pb within 1e-4 (1 + |expected|). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/onnx_read.h"
#include "onnx.pb-c.h"
#include "pipeline/model/model.h"
#include "testutil.h"

/* Cases that ran through the forward pass with libonnx-testdata 1.12: 27 (average and max
 * pooling, conv, Gemm, MatMul, and Relu and Clip on tensors of rank 1..3 as [1, C, H, W]:
 * case_pad_dims); the others have no single input of a shape clcam runs (Add, Concat: two
 * graph inputs), or a first layer clcam cannot run on the network input itself (batchnorm,
 * flatten, identity, dropout: their output would be the input's buffer). */
#define CASES_RUN_MIN 27
#define TESTDATA_DEFAULT "/usr/share/libonnx-testdata/data/node"

/* The cases of supported ops, by name prefix. */
static const char *PREFIXES[] = {"test_conv_", "test_batchnorm", "test_relu", "test_clip", "test_add",
                                 "test_concat", "test_maxpool", "test_averagepool", "test_globalaveragepool",
                                 "test_flatten", "test_gemm", "test_matmul_", "test_identity", "test_dropout",
                                 "test_reflect_pad", "test_constant_pad", "test_edge_pad", "test_reshape"};

/* The cases that must read (libonnx-testdata 1.12); every other case listed must be refused. */
static const char *EXPECT_READ[] = {
#include "onnx_cases_read.inc"
};

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    long n = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n)) &&
        fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = b ? (size_t)n : 0;
    return b;
}

/* Is graph input `name` read as a parameter: at a position past 0 by an op other than Add
 * and Concat (whose inputs are all activations)? */
static int read_as_param(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        if (!strcmp(n->op_type, "Add") || !strcmp(n->op_type, "Concat")) continue;
        for (size_t k = 1; k < n->n_input; k++)
            if (!strcmp(n->input[k], name)) return 1;
    }
    return 0;
}

/* Elementwise cases on tensors of rank 1 to 3 (test_relu [3, 4, 5], test_clip_example [3]):
 * the values do not depend on the layout, so they run as clcam's [1, C, H, W], the dims in order
 * and padded with 1s ([3, 4, 5] -> [1, 3, 4, 5], [3] -> [1, 3, 1, 1]). Only ops whose output
 * element depends on the same input element alone are padded: Relu and Clip. (Add and Concat
 * cases read two graph inputs, and clcam's models one; Dropout and Identity on the network
 * input are refused by design: their output would alias the input's buffer.) */
static void case_pad_dims(int rank, const int64_t *dims, int64_t out[4])
{
    out[0] = 1;
    for (int k = 0; k < 3; k++) out[k + 1] = k < rank ? dims[k] : 1;
}

static int case_elementwise(const Onnx__GraphProto *g)
{
    for (size_t i = 0; i < g->n_node; i++)
        if (strcmp(g->node[i]->op_type, "Relu") && strcmp(g->node[i]->op_type, "Clip")) return 0;
    return g->n_node > 0;
}

/* A value's declared shape, replaced by its 4-D padding (and put back by shape4_restore). */
typedef struct {
    Onnx__TypeProto__Tensor *t;
    Onnx__TensorShapeProto *old, shape;
    Onnx__TensorShapeProto__Dimension d[4], *dp[4];
} shape4;

static int shape4_set(shape4 *s, Onnx__ValueInfoProto *v)
{
    Onnx__TypeProto__Tensor *t =
        v->type && v->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? v->type->tensor_type : NULL;
    int64_t dims[3], padded[4];
    if (!t || !t->shape || t->shape->n_dim < 1 || t->shape->n_dim > 3) return 0;
    for (size_t k = 0; k < t->shape->n_dim; k++) {
        if (t->shape->dim[k]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) return 0;
        dims[k] = t->shape->dim[k]->dim_value;
    }
    case_pad_dims((int)t->shape->n_dim, dims, padded);
    s->shape = (Onnx__TensorShapeProto)ONNX__TENSOR_SHAPE_PROTO__INIT;
    s->shape.n_dim = 4;
    s->shape.dim = s->dp;
    for (int k = 0; k < 4; k++) {
        s->d[k] = (Onnx__TensorShapeProto__Dimension)ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
        s->d[k].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        s->d[k].dim_value = padded[k];
        s->dp[k] = &s->d[k];
    }
    s->t = t;
    s->old = t->shape;
    t->shape = &s->shape;
    return 1;
}

static void shape4_restore(shape4 *s)
{
    if (s->t) s->t->shape = s->old;
    s->t = NULL;
}

/* Writes case_dir/model.onnx to `out` with its parameter inputs (read_as_param) turned into
 * initializers holding test_data_set_0/input_<k>.pb, and an elementwise case's input and
 * output of rank 1..3 declared 4-D (case_pad_dims). Returns 0 on success. */
int case_model(const char *case_dir, const char *out);
int case_model(const char *case_dir, const char *out)
{
    char path[1400];
    size_t n = 0, size;
    int rc = -1;
    snprintf(path, sizeof path, "%s/model.onnx", case_dir);
    unsigned char *b = slurp(path, &n), *packed = NULL;
    Onnx__ModelProto *m = b ? onnx__model_proto__unpack(NULL, n, b) : NULL;
    Onnx__GraphProto *g = m ? m->graph : NULL;
    Onnx__TensorProto **inits = NULL, *added[16];
    Onnx__ValueInfoProto **inputs = NULL, **old_inputs = g ? g->input : NULL;
    Onnx__TensorProto **old_inits = g ? g->initializer : NULL;
    char *names[16];
    shape4 padded[2] = {{0}};
    size_t n_added = 0, old_n_inputs = g ? g->n_input : 0, old_n_inits = g ? g->n_initializer : 0;
    if (!g || !(inits = calloc(g->n_initializer + g->n_input + 1, sizeof *inits)) ||
        !(inputs = calloc(g->n_input + 1, sizeof *inputs)))
        goto exit;
    if (g->n_initializer) memcpy(inits, g->initializer, g->n_initializer * sizeof *inits);
    size_t n_inputs = 0, n_inits = g->n_initializer;
    for (size_t k = 0; k < g->n_input; k++) {
        unsigned char *tb;
        if (!read_as_param(g, g->input[k]->name) || n_added == 16) {
            inputs[n_inputs++] = g->input[k];
            continue;
        }
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%zu.pb", case_dir, k);
        if (!(tb = slurp(path, &size))) goto exit;
        added[n_added] = onnx__tensor_proto__unpack(NULL, size, tb);
        free(tb);
        if (!added[n_added]) goto exit;
        names[n_added] = added[n_added]->name; /* the input's name, restored before freeing */
        added[n_added]->name = g->input[k]->name;
        inits[n_inits++] = added[n_added++];
    }
    g->input = inputs;
    g->n_input = n_inputs;
    if (n_inputs == 1 && g->n_output == 1 && case_elementwise(g) && shape4_set(&padded[0], inputs[0]) &&
        !shape4_set(&padded[1], g->output[0]))
        shape4_restore(&padded[0]); /* both or neither */
    g->initializer = inits;
    g->n_initializer = n_inits;
    size = onnx__model_proto__get_packed_size(m);
    if ((packed = malloc(size)) && onnx__model_proto__pack(m, packed) == size) {
        FILE *f = fopen(out, "wb");
        rc = f && fwrite(packed, 1, size, f) == size ? 0 : -1;
        if (f && fclose(f) != 0) rc = -1;
    }
exit:
    shape4_restore(&padded[0]);
    shape4_restore(&padded[1]);
    if (g) {
        g->input = old_inputs;
        g->n_input = old_n_inputs;
        g->initializer = old_inits;
        g->n_initializer = old_n_inits;
    }
    for (size_t i = 0; i < n_added; i++) {
        added[i]->name = names[i];
        onnx__tensor_proto__free_unpacked(added[i], NULL);
    }
    if (m) onnx__model_proto__free_unpacked(m, NULL);
    free(inits);
    free(inputs);
    free(packed);
    free(b);
    return rc;
}

/* test_data_set_0/<which>.pb of a case ("input_0", "output_0") as float32. */
clcam_status case_tensor(const char *case_dir, const char *which, graph_tensor *out, clcam_err *err);
clcam_status case_tensor(const char *case_dir, const char *which, graph_tensor *out, clcam_err *err)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/test_data_set_0/%s.pb", case_dir, which);
    return onnx_tensor_file_read(path, out, err);
}

static cl_ctx g_ctx;
static int g_ctx_ok = -1;

/* Runs a read case through clcam's forward: 1 ran (and was checked), 0 does not fit (why in
 * `why`). */
static int case_run(const char *name, const char *model_path, const graph_tensor *in,
                    const graph_tensor *want, char *why, size_t n_why)
{
    clcam_err err = {0};
    model m;
    cl_mem d_x = NULL;
    float *got = NULL;
    int64_t dims[4];
    if (in->rank < 1 || in->rank > 4) {
        snprintf(why, n_why, "input of rank %d", in->rank);
        return 0;
    }
    if (in->rank == 4 || in->rank == 2) /* [N, F] runs as F x 1 x 1 (a Gemm's input) */
        for (int k = 0; k < 4; k++) dims[k] = k < in->rank ? in->dims[k] : 1;
    else /* 1 or 3: as case_model declared an elementwise case (other cases are refused below) */
        case_pad_dims(in->rank, in->dims, dims);
    int batch = (int)dims[0];
    layer_shape shape = {(int)dims[1], (int)dims[2], (int)dims[3]};
    if (model_load_onnx_any(&m, model_path, shape, 1, &err) != CLCAM_OK) {
        size_t n = strlen(model_path);
        const char *msg = strncmp(err.msg, model_path, n) == 0 ? err.msg + n + 2 : err.msg;
        snprintf(why, n_why, "%.400s", msg);
        return 0;
    }
    if (g_ctx_ok < 0) g_ctx_ok = cl_ctx_init(&g_ctx, "any", &err) == CLCAM_OK;
    CHECK(g_ctx_ok, "cannot open an OpenCL device: %s", err.msg);
    size_t n_out = (size_t)batch * (size_t)layer_shape_size(m.layers[m.n_layers - 1].out);
    CHECK(n_out == want->count, "%s: clcam's output holds %zu values, output_0.pb %zu", name, n_out, want->count);
    if (g_ctx_ok && n_out == want->count && (got = malloc(sizeof(float) * n_out))) {
        CHECK(model_upload(&g_ctx, &m, batch, &err) == CLCAM_OK, "%s: upload: %s", name, err.msg);
        CHECK(cl_ctx_alloc(&g_ctx, sizeof(float) * in->count, &d_x, "x", &err) == CLCAM_OK, "%s", err.msg);
        CHECK(cl_ctx_upload(&g_ctx, d_x, in->data, sizeof(float) * in->count, &err) == CLCAM_OK, "%s", err.msg);
        CHECK(model_forward(&g_ctx, &m, d_x, batch, &err) == CLCAM_OK, "%s: forward: %s", name, err.msg);
        CHECK(cl_ctx_download(&g_ctx, m.layers[m.n_layers - 1].d_out, got, sizeof(float) * n_out, &err) == CLCAM_OK,
              "%s", err.msg);
        double worst = 0;
        for (size_t i = 0; i < n_out; i++) {
            double e = fabs((double)got[i] - want->data[i]) / (1.0 + fabs((double)want->data[i]));
            if (!(e <= worst)) worst = e; /* NaN too */
        }
        printf("ran      %-52s %d layers, batch %d, max |a-b|/(1+|b|) %.3g\n", name, m.n_layers, batch, worst);
        CHECK(worst <= 1e-4, "%s: output off by %.3g (1+|b|)", name, worst);
        if (d_x) clReleaseMemObject(d_x);
    }
    free(got);
    model_free(&m);
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void)
{
    const char *root = getenv("CLCAM_ONNX_TESTDATA") ? getenv("CLCAM_ONNX_TESTDATA") : TESTDATA_DEFAULT;
    char *names[512], tmp[700], model_path[1200], case_dir[1200];
    int n_names = 0, n_read = 0, n_refused = 0, n_ran = 0;
    DIR *d = opendir(root);
    if (!d) return test_skip("test_onnx_cases", "no ONNX test data (apt-get install libonnx-testdata, or set CLCAM_ONNX_TESTDATA)");
    for (struct dirent *e; (e = readdir(d)) && n_names < 512;)
        for (size_t p = 0; p < sizeof PREFIXES / sizeof *PREFIXES; p++)
            if (!strncmp(e->d_name, PREFIXES[p], strlen(PREFIXES[p]))) {
                names[n_names++] = strdup(e->d_name);
                break;
            }
    closedir(d);
    qsort(names, (size_t)n_names, sizeof *names, by_name);
    snprintf(tmp, sizeof tmp, "%s", test_tmpdir());
    snprintf(model_path, sizeof model_path, "%s/model_path.onnx", tmp);
    for (int i = 0; i < n_names; i++) {
        graph_desc g;
        clcam_err err = {0};
        int expect = 0;
        for (size_t k = 0; k < sizeof EXPECT_READ / sizeof *EXPECT_READ; k++) expect |= !strcmp(EXPECT_READ[k], names[i]);
        snprintf(case_dir, sizeof case_dir, "%s/%s", root, names[i]);
        CHECK(case_model(case_dir, model_path) == 0, "%s: could not prepare the model_path", names[i]);
        clcam_status st = onnx_read(model_path, &g, &err);
        if (st == CLCAM_OK) {
            graph_tensor in, want;
            clcam_err terr = {0};
            n_read++;
            printf("read     %-52s %d nodes\n", names[i], g.n_nodes);
            /* The helpers for running the case: its input and expected output load. */
            CHECK(case_tensor(case_dir, "input_0", &in, &terr) == CLCAM_OK, "%s: %s", names[i], terr.msg);
            CHECK(case_tensor(case_dir, "output_0", &want, &terr) == CLCAM_OK, "%s: %s", names[i], terr.msg);
            if (g.n_nodes > 0 && terr.status == CLCAM_OK) {
                const graph_node *last = &g.nodes[g.n_nodes - 1];
                size_t count = 1;
                for (int k = 0; k < last->out_rank; k++) count *= (size_t)last->out_dims[k];
                CHECK(count == want.count, "%s: the inferred output shape holds %zu values, output_0.pb %zu", names[i], count,
                      want.count);
            }
            if (terr.status == CLCAM_OK) {
                char why[512] = "";
                if (case_run(names[i], model_path, &in, &want, why, sizeof why))
                    n_ran++;
                else
                    printf("not run  %-52s %s\n", names[i], why);
                if (!strcmp(names[i], "test_gemm_alpha") || !strcmp(names[i], "test_gemm_beta"))
                    CHECK(strstr(why, "node Gemm_0 (Gemm) has alpha") != NULL, "%s: %s", names[i], why);
            }
            free(in.name), free(in.data), free(want.name), free(want.data);
            graph_desc_free(&g);
        } else {
            n_refused++;
            printf("refused  %-52s %s\n", names[i], err.msg + strlen(model_path) + 2);
            CHECK(st == CLCAM_ERR_INPUT && !strncmp(err.msg, model_path, strlen(model_path)) && !strchr(err.msg, '\n'),
                  "%s: one line starting with the file: %s", names[i], err.msg);
        }
        CHECK((st == CLCAM_OK) == expect, "%s: %s, expected to %s", names[i], st == CLCAM_OK ? "reads" : "refused",
              expect ? "read" : "be refused");
        free(names[i]);
    }
    printf("%d cases of supported ops: %d read, %d refused; %d ran through the forward pass\n", n_names, n_read,
           n_refused, n_ran);
    CHECK(n_names > 100, "only %d cases found under %s", n_names, root);
    CHECK(n_ran >= CASES_RUN_MIN, "only %d cases ran through the forward pass", n_ran);
    if (g_ctx_ok == 1) cl_ctx_free(&g_ctx);
    unlink(model_path);
    rmdir(tmp);
    return test_finish("test_onnx_cases");
}
