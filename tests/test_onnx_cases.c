/* ONNX's own per-operator test models (Debian's libonnx-testdata, data/node/test_*) for every
 * op clcam reads: each case either reads, or is refused with one line naming the file and the
 * reason (dilation, ceil_mode, SAME padding, broadcasting, a weight that is no constant...). The
 * cases that read and those refused are listed in the output and checked against EXPECT_READ,
 * so a change in either direction shows.
 *
 * The test models give weights as graph inputs (input_1.pb...): case_model() turns the inputs
 * a node reads as parameters into initializers, as an exported model has them, and
 * case_tensor() reads input_0.pb / output_0.pb, so that running the cases through clcam's
 * forward (once the pipeline builds models from a graph_desc) is a loop over these helpers. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/onnx_read.h"
#include "onnx.pb-c.h"
#include "testutil.h"

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

/* Writes case_dir/model.onnx to `out` with its parameter inputs (read_as_param) turned into
 * initializers holding test_data_set_0/input_<k>.pb. Returns 0 on success. */
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
    g->initializer = inits;
    g->n_initializer = n_inits;
    size = onnx__model_proto__get_packed_size(m);
    if ((packed = malloc(size)) && onnx__model_proto__pack(m, packed) == size) {
        FILE *f = fopen(out, "wb");
        rc = f && fwrite(packed, 1, size, f) == size ? 0 : -1;
        if (f && fclose(f) != 0) rc = -1;
    }
exit:
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

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void)
{
    const char *root = getenv("CLCAM_ONNX_TESTDATA") ? getenv("CLCAM_ONNX_TESTDATA") : TESTDATA_DEFAULT;
    char *names[512], tmp[700], model[1200], case_dir[1200];
    int n_names = 0, n_read = 0, n_refused = 0;
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
    snprintf(model, sizeof model, "%s/model.onnx", tmp);
    for (int i = 0; i < n_names; i++) {
        graph_desc g;
        clcam_err err = {0};
        int expect = 0;
        for (size_t k = 0; k < sizeof EXPECT_READ / sizeof *EXPECT_READ; k++) expect |= !strcmp(EXPECT_READ[k], names[i]);
        snprintf(case_dir, sizeof case_dir, "%s/%s", root, names[i]);
        CHECK(case_model(case_dir, model) == 0, "%s: could not prepare the model", names[i]);
        clcam_status st = onnx_read(model, &g, &err);
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
            free(in.name), free(in.data), free(want.name), free(want.data);
            graph_desc_free(&g);
        } else {
            n_refused++;
            printf("refused  %-52s %s\n", names[i], err.msg + strlen(model) + 2);
            CHECK(st == CLCAM_ERR_INPUT && !strncmp(err.msg, model, strlen(model)) && !strchr(err.msg, '\n'),
                  "%s: one line starting with the file: %s", names[i], err.msg);
        }
        CHECK((st == CLCAM_OK) == expect, "%s: %s, expected to %s", names[i], st == CLCAM_OK ? "reads" : "refused",
              expect ? "read" : "be refused");
        free(names[i]);
    }
    printf("%d cases of supported ops: %d read, %d refused\n", n_names, n_read, n_refused);
    CHECK(n_names > 100, "only %d cases found under %s", n_names, root);
    unlink(model);
    rmdir(tmp);
    return test_finish("test_onnx_cases");
}
