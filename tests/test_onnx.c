/* The ONNX reader (io/onnx_read.c) on models torch.onnx.export writes at opsets 11 and 17
 * (tests/make_onnx_models.py): ops, order, attributes, names and every weight against the
 * state_dict; then damaged files (made here by editing a model with the protobuf-c structs),
 * each refused with CLCAM_ERR_INPUT and one line naming the file and the thing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/onnx_read.h"
#include "onnx.pb-c.h"
#include "testutil.h"

static char dir[512];

/* "conv,batchnorm,relu,...": the ops in order. */
static const char *ops_str(const graph_desc *g, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < g->n_nodes && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "," : "", graph_op_name(g->nodes[i].op));
    return buf;
}

static void dump(const graph_desc *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        printf("  %-13s %-38s <-", graph_op_name(n->op), n->name);
        for (int k = 0; k < n->n_inputs; k++) printf(" %s", n->inputs[k]);
        printf(" -> %s [", n->output);
        for (int k = 0; k < n->out_rank; k++) printf("%s%lld", k ? "," : "", (long long)n->out_dims[k]);
        printf("]");
        for (int p = 0; p < GRAPH_PARAM_COUNT; p++)
            if (n->param[p] >= 0) printf(" %s", g->consts[n->param[p]].name);
        printf("\n");
    }
}

/* Reads dir/file; prints the graph. Returns 0 on success. */
static int read_model(const char *file, graph_desc *g)
{
    char path[1024], ops[512];
    clcam_err err = {0};
    snprintf(path, sizeof path, "%s/%s", dir, file);
    clcam_status st = onnx_read(path, g, &err);
    CHECK(st == CLCAM_OK, "%s: %s", file, err.msg);
    if (st != CLCAM_OK) return -1;
    printf("%s: %s\n", file, ops_str(g, ops, sizeof ops));
    dump(g);
    return 0;
}

static int dims_are(int rank, const int64_t *dims, int want_rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
    const int64_t want[4] = {d0, d1, d2, d3};
    if (rank != want_rank) return 0;
    for (int i = 0; i < rank; i++)
        if (dims[i] != want[i]) return 0;
    return 1;
}

/* Every tensor of NAME's state_dict (NAME.params, NAME.bin) is a constant of g with the same
 * shape size and bitwise the same values; `transposed` names one stored as its transpose
 * (a MatMul weight, [in, out] in torch, [out, in] in graph_desc). Also: no other constants. */
static void check_params(const graph_desc *g, const char *model, const char *file, const char *transposed)
{
    char path[1024], name[256];
    size_t count, n_params = 0;
    snprintf(path, sizeof path, "%s/%s.params", dir, model);
    FILE *p = fopen(path, "r");
    snprintf(path, sizeof path, "%s/%s.bin", dir, model);
    FILE *b = fopen(path, "rb");
    CHECK(p && b, "%s: no state_dict files", model);
    while (p && b && fscanf(p, "%255s %zu", name, &count) == 2) {
        float *want = malloc(count * sizeof *want);
        int k = graph_desc_const_find(g, name);
        n_params++;
        CHECK(want && fread(want, sizeof *want, count, b) == count, "%s: short %s.bin", model, model);
        CHECK(k >= 0, "%s: state_dict tensor %s is no constant", file, name);
        if (k >= 0 && want) {
            const graph_tensor *t = &g->consts[k];
            int same = t->count == count;
            if (same && transposed && !strcmp(name, transposed) && t->rank == 2) {
                for (int64_t i = 0; i < t->dims[0] && same; i++)
                    for (int64_t j = 0; j < t->dims[1] && same; j++)
                        same = t->data[i * t->dims[1] + j] == want[j * t->dims[0] + i];
            } else {
                same = same && !memcmp(t->data, want, count * sizeof *want);
            }
            CHECK(same, "%s: constant %s differs from the state_dict", file, name);
        }
        free(want);
    }
    CHECK(n_params > 0 && (size_t)g->n_consts == n_params, "%s: %d constants, the state_dict has %zu tensors", file,
          g->n_consts, n_params);
    if (p) fclose(p);
    if (b) fclose(b);
}

/* Every node reads only graph inputs and earlier outputs; outputs are unique. */
static void check_order(const graph_desc *g, const char *file)
{
    for (int i = 0; i < g->n_nodes; i++) {
        for (int k = 0; k < g->n_inputs; k++)
            CHECK(strcmp(g->nodes[i].output, g->inputs[k].name), "%s: node %s writes a graph input", file, g->nodes[i].name);
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            const char *in = g->nodes[i].inputs[k];
            int src = graph_desc_node_find(g, in), is_input = 0;
            for (int j = 0; j < g->n_inputs; j++) is_input |= !strcmp(g->inputs[j].name, in);
            CHECK(is_input || (src >= 0 && src < i), "%s: node %s reads %s before it is written", file, g->nodes[i].name, in);
        }
    }
    CHECK(g->n_outputs == 1 && g->n_nodes > 0 && !strcmp(g->outputs[0], "output") &&
              !strcmp(g->nodes[g->n_nodes - 1].output, "output"), "%s: the last node writes the graph output", file);
}

static void check_resblock(void)
{
    const char *files[] = {"resblock_op11.onnx", "resblock_op17.onnx", "resblock_op11_dyn.onnx", "resblock_op17_dyn.onnx"};
    char ops[512];
    for (int f = 0; f < 4; f++) {
        graph_desc g;
        if (read_model(files[f], &g)) continue;
        const graph_node *n = g.nodes;
        int64_t batch = f >= 2 ? GRAPH_DIM_UNKNOWN : 1;
        CHECK(!strcmp(ops_str(&g, ops, sizeof ops), "conv,batchnorm,relu,conv,batchnorm,conv,batchnorm,add,relu"),
              "%s: ops %s", files[f], ops);
        CHECK(g.n_inputs == 1 && !strcmp(g.inputs[0].name, "input") &&
                  dims_are(g.inputs[0].rank, g.inputs[0].dims, 4, batch, 8, 8, 8), "%s: graph input", files[f]);
        CHECK(g.opset == (f % 2 ? 17 : 11) && !strncmp(g.producer, "pytorch", 7), "%s: opset %lld, producer %s", files[f],
              (long long)g.opset, g.producer);
        if (g.n_nodes == 9) {
            CHECK(n[0].kernel[0] == 3 && n[0].stride[0] == 2 && n[0].pads[0] == 1 && n[0].pads[3] == 1 && n[0].group == 1 &&
                      n[0].param[GRAPH_PARAM_BIAS] < 0 && !strcmp(n[0].inputs[0], "input") && !strcmp(n[0].name, "/conv1/Conv"),
                  "%s: conv1 attributes", files[f]);
            CHECK(n[5].kernel[0] == 1 && n[5].stride[1] == 2 && n[5].pads[0] == 0 && !strcmp(n[5].inputs[0], "input"),
                  "%s: the 1x1 projection reads the block input", files[f]);
            CHECK(fabsf(n[1].epsilon - 1e-5f) < 1e-10f && !strcmp(g.consts[n[1].param[GRAPH_PARAM_MEAN]].name, "bn1.running_mean") &&
                      !strcmp(g.consts[n[1].param[GRAPH_PARAM_VAR]].name, "bn1.running_var") &&
                      !strcmp(g.consts[n[1].param[GRAPH_PARAM_WEIGHT]].name, "bn1.weight"),
                  "%s: bn1", files[f]);
            CHECK(n[7].n_inputs == 2 && !strcmp(n[7].inputs[0], n[4].output) && !strcmp(n[7].inputs[1], n[6].output),
                  "%s: the add reads both branches", files[f]);
            CHECK(dims_are(n[8].out_rank, n[8].out_dims, 4, batch, 16, 4, 4), "%s: output shape", files[f]);
        }
        check_order(&g, files[f]);
        check_params(&g, "resblock", files[f], NULL);
        graph_desc_free(&g);
    }
    /* As torch exports by default: batchnorms folded into the convolutions. */
    for (int opset = 11; opset <= 17; opset += 6) {
        graph_desc g;
        char file[64];
        snprintf(file, sizeof file, "resblock_op%d_fused.onnx", opset);
        if (read_model(file, &g)) continue;
        CHECK(!strcmp(ops_str(&g, ops, sizeof ops), "conv,relu,conv,conv,add,relu"), "%s: ops %s", file, ops);
        for (int i = 0; i < g.n_nodes; i++)
            if (g.nodes[i].op == GRAPH_OP_CONV) CHECK(g.nodes[i].param[GRAPH_PARAM_BIAS] >= 0, "%s: folded bias", file);
        CHECK(g.n_consts == 6, "%s: %d constants", file, g.n_consts);
        check_order(&g, file);
        graph_desc_free(&g);
    }
}

static void check_invres(void)
{
    const char *files[] = {"invres_op11.onnx", "invres_op17.onnx", "invres_op11_fused.onnx", "invres_op17_fused.onnx"};
    char ops[512];
    for (int f = 0; f < 4; f++) {
        graph_desc g;
        if (read_model(files[f], &g)) continue;
        int fused = f >= 2, clips = 0, dw = 0;
        CHECK(!strcmp(ops_str(&g, ops, sizeof ops), fused ? "conv,clip,conv,clip,conv,add"
                                                          : "conv,batchnorm,clip,conv,batchnorm,clip,conv,batchnorm,add"),
              "%s: ops %s", files[f], ops);
        for (int i = 0; i < g.n_nodes; i++) {
            const graph_node *n = &g.nodes[i];
            if (n->op == GRAPH_OP_CLIP) clips += n->clip_min == 0.0f && n->clip_max == 6.0f;
            if (n->op == GRAPH_OP_CONV && n->group == 32) {
                const graph_tensor *w = &g.consts[n->param[GRAPH_PARAM_WEIGHT]];
                dw += dims_are(w->rank, w->dims, 4, 32, 1, 3, 3) && n->kernel[0] == 3 && n->pads[0] == 1;
            }
        }
        CHECK(clips == 2, "%s: ReLU6 as Clip [0, 6] twice (%d)", files[f], clips);
        CHECK(dw == 1, "%s: one depthwise 3x3 conv, group 32", files[f]);
        CHECK(g.n_nodes > 0 && g.nodes[g.n_nodes - 1].op == GRAPH_OP_ADD && !strcmp(g.nodes[g.n_nodes - 1].inputs[0], "input"),
              "%s: the residual add reads the block input", files[f]);
        check_order(&g, files[f]);
        if (!fused) check_params(&g, "invres", files[f], NULL);
        graph_desc_free(&g);
    }
}

static void check_dense(void)
{
    const char *files[] = {"dense_op11.onnx", "dense_op17.onnx"};
    char ops[512];
    for (int f = 0; f < 2; f++) {
        graph_desc g;
        if (read_model(files[f], &g)) continue;
        const graph_node *n = g.nodes;
        CHECK(!strcmp(ops_str(&g, ops, sizeof ops), "batchnorm,relu,conv,concat,batchnorm,relu,conv,concat"), "%s: ops %s",
              files[f], ops);
        if (g.n_nodes == 8) {
            CHECK(!strcmp(n[0].inputs[0], "input"), "%s: an unfolded batchnorm reads the input", files[f]);
            CHECK(n[3].axis == 1 && n[3].n_inputs == 2 && !strcmp(n[3].inputs[0], "input") && !strcmp(n[3].inputs[1], n[2].output) &&
                      dims_are(n[3].out_rank, n[3].out_dims, 4, 1, 12, 6, 6), "%s: first concat", files[f]);
            CHECK(n[7].axis == 1 && !strcmp(n[7].inputs[0], n[3].output) && dims_are(n[7].out_rank, n[7].out_dims, 4, 1, 16, 6, 6),
                  "%s: second concat", files[f]);
            CHECK(g.consts[n[4].param[GRAPH_PARAM_VAR]].dims[0] == 12, "%s: norm2 over 12 channels", files[f]);
        }
        check_order(&g, files[f]);
        check_params(&g, "dense", files[f], NULL);
        graph_desc_free(&g);
    }
}

static void check_heads(void)
{
    const char *models[] = {"head_view", "head_reshape", "head_flatten"};
    char ops[512], file[64];
    for (int m = 0; m < 3; m++)
        for (int v = 0; v < 4; v++) {
            graph_desc g;
            int dyn = v >= 2;
            if (dyn && m) continue;
            snprintf(file, sizeof file, "%s_op%d%s.onnx", models[m], v % 2 ? 17 : 11, dyn ? "_dyn" : "");
            if (read_model(file, &g)) continue;
            const graph_node *n = g.nodes;
            CHECK(!strcmp(ops_str(&g, ops, sizeof ops), "conv,relu,maxpool,avgpool,flatten,linear"), "%s: ops %s", file, ops);
            if (g.n_nodes == 6) {
                CHECK(n[2].kernel[0] == 3 && n[2].kernel[1] == 3 && n[2].stride[0] == 2 && n[2].pads[0] == 1 && n[2].pads[2] == 1 &&
                          dims_are(n[2].out_rank, n[2].out_dims, 4, dyn ? GRAPH_DIM_UNKNOWN : 1, 8, 8, 8), "%s: MaxPool 3x3 s2 p1", file);
                CHECK(n[3].kernel[0] == 3 && n[3].stride[0] == 2 && n[3].pads[1] == 1 && n[3].count_include_pad == 0,
                      "%s: AvgPool 3x3 s2 p1 without the padding in the count", file);
                CHECK(n[4].axis == 1 && dims_are(n[4].out_rank, n[4].out_dims, 2, dyn ? GRAPH_DIM_UNKNOWN : 1, 128, 0, 0),
                      "%s: flatten to [N, 128]", file);
                const graph_tensor *w = &g.consts[n[5].param[GRAPH_PARAM_WEIGHT]];
                CHECK(!strcmp(w->name, "fc.weight") && dims_are(w->rank, w->dims, 2, 10, 128, 0, 0) && n[5].trans_b == 1 &&
                          n[5].alpha == 1 && n[5].beta == 1 && !strcmp(g.consts[n[5].param[GRAPH_PARAM_BIAS]].name, "fc.bias") &&
                          !strcmp(n[5].inputs[0], n[4].output), "%s: Gemm as linear", file);
            }
            check_order(&g, file);
            check_params(&g, models[m], file, NULL);
            graph_desc_free(&g);
        }
}

static void check_gaphead(void)
{
    char ops[512], file[64];
    for (int opset = 11; opset <= 17; opset += 6) {
        graph_desc g;
        snprintf(file, sizeof file, "gaphead_op%d.onnx", opset);
        if (read_model(file, &g)) continue;
        const graph_node *n = g.nodes;
        CHECK(!strcmp(ops_str(&g, ops, sizeof ops), "pad,avgpool,globalavgpool,flatten,linear"), "%s: ops %s", file, ops);
        if (g.n_nodes == 5) {
            /* AvgPool2d(count_include_pad=True) comes as a zero Pad and an unpadded pool. */
            CHECK(n[0].pad_mode == GRAPH_PAD_CONSTANT && n[0].pad_value == 0 && n[0].pads[0] == 1 && n[0].pads[3] == 1 &&
                      dims_are(n[0].out_rank, n[0].out_dims, 4, 1, 8, 6, 6), "%s: pad", file);
            CHECK(n[1].pads[0] == 0 && n[1].stride[0] == 1 && n[1].kernel[0] == 3, "%s: avgpool", file);
            CHECK(dims_are(n[2].out_rank, n[2].out_dims, 4, 1, 8, 1, 1), "%s: global pool", file);
            const graph_tensor *w = &g.consts[n[4].param[GRAPH_PARAM_WEIGHT]];
            CHECK(!strcmp(w->name, "w") && dims_are(w->rank, w->dims, 2, 5, 8, 0, 0) && n[4].param[GRAPH_PARAM_BIAS] >= 0 &&
                      !strcmp(g.consts[n[4].param[GRAPH_PARAM_BIAS]].name, "b") && !strcmp(n[4].output, "output"),
                  "%s: MatMul + Add as one linear layer, weight [out, in]", file);
        }
        check_order(&g, file);
        check_params(&g, "gaphead", file, "w");
        graph_desc_free(&g);
    }
}

/* torchvision's resnet18 and mobilenet_v2, where torchvision is installed: one node per
 * Conv2d, BatchNorm2d and Linear module, every weight as in the state_dict. */
static void check_torchvision(void)
{
    const char *models[] = {"tv_resnet18", "tv_mobilenet_v2"};
    for (int m = 0; m < 2; m++) {
        char path[1024], file[64];
        int want[3], got[GRAPH_OP_COUNT] = {0};
        graph_desc g;
        snprintf(path, sizeof path, "%s/%s.modules", dir, models[m]);
        FILE *f = fopen(path, "r");
        if (!f) {
            printf("%s: not exported (torchvision is missing)\n", models[m]);
            continue;
        }
        CHECK(fscanf(f, "%d %d %d", &want[0], &want[1], &want[2]) == 3, "%s", path);
        fclose(f);
        snprintf(file, sizeof file, "%s_op17.onnx", models[m]);
        if (read_model(file, &g)) continue;
        for (int i = 0; i < g.n_nodes; i++) got[g.nodes[i].op]++;
        CHECK(got[GRAPH_OP_CONV] == want[0] && got[GRAPH_OP_BATCHNORM] == want[1] && got[GRAPH_OP_LINEAR] == want[2],
              "%s: %d conv, %d batchnorm, %d linear nodes; the module has %d, %d, %d", file, got[GRAPH_OP_CONV],
              got[GRAPH_OP_BATCHNORM], got[GRAPH_OP_LINEAR], want[0], want[1], want[2]);
        CHECK(got[GRAPH_OP_ADD] == (m ? 10 : 8) && got[GRAPH_OP_GLOBALAVGPOOL] == 1, "%s: %d adds", file, got[GRAPH_OP_ADD]);
        CHECK(dims_are(g.nodes[g.n_nodes - 1].out_rank, g.nodes[g.n_nodes - 1].out_dims, 2, 1, 1000, 0, 0), "%s: logits", file);
        check_order(&g, file);
        check_params(&g, models[m], file, NULL);
        graph_desc_free(&g);
    }
}

/* ---- damaged models ---- */

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n)) &&
        fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    *size = b ? (size_t)n : 0;
    fclose(f);
    return b;
}

static int spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b, 1, n, f) == n;
    if (f) ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

/* Unpacks dir/src, lets edit() change it (apply 1), writes dst, lets edit() undo its change
 * (apply 0: the structs own what protobuf-c allocated), frees. */
typedef void (*model_edit)(Onnx__ModelProto *m, int apply);

static int model_rewrite(const char *src, const char *dst, model_edit edit)
{
    char path[1024];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, src);
    unsigned char *b = slurp(path, &n), *out = NULL;
    Onnx__ModelProto *m = b ? onnx__model_proto__unpack(NULL, n, b) : NULL;
    int rc = -1;
    if (m) {
        edit(m, 1);
        size_t size = onnx__model_proto__get_packed_size(m);
        if ((out = malloc(size)) && onnx__model_proto__pack(m, out) == size) rc = spit(dst, out, size);
        edit(m, 0);
        onnx__model_proto__free_unpacked(m, NULL);
    }
    CHECK(rc == 0, "could not rewrite %s as %s", src, dst);
    free(out);
    free(b);
    return rc;
}

static Onnx__TensorProto *initializer(Onnx__ModelProto *m, const char *name, size_t *index)
{
    for (size_t i = 0; i < m->graph->n_initializer; i++)
        if (!strcmp(m->graph->initializer[i]->name, name)) {
            if (index) *index = i;
            return m->graph->initializer[i];
        }
    return NULL;
}

static void drop_conv1_weight(Onnx__ModelProto *m, int apply)
{
    static size_t at;
    Onnx__GraphProto *g = m->graph;
    Onnx__TensorProto *t;
    if (apply && (t = initializer(m, "conv1.weight", &at))) { /* to the end, out of the count */
        g->initializer[at] = g->initializer[g->n_initializer - 1];
        g->initializer[--g->n_initializer] = t;
    } else if (!apply) {
        t = g->initializer[g->n_initializer++];
        g->initializer[g->n_initializer - 1] = g->initializer[at];
        g->initializer[at] = t;
    }
}

static void shrink_bn1_var(Onnx__ModelProto *m, int apply)
{
    Onnx__TensorProto *t = initializer(m, "bn1.running_var", NULL);
    if (!t) return;
    t->dims[0] = apply ? 8 : 16;
    t->raw_data.len = (size_t)t->dims[0] * 4;
}

static void conv1_reads_output(Onnx__ModelProto *m, int apply)
{
    static char *saved;
    static char output[] = "output";
    Onnx__NodeProto *n = m->graph->node[0];
    if (apply) saved = n->input[0];
    n->input[0] = apply ? output : saved;
}

static void conv1_reads_two_lines(Onnx__ModelProto *m, int apply)
{
    static char *saved;
    static char name[] = "conv1.weight\nsecond line";
    Onnx__NodeProto *n = m->graph->node[0];
    if (apply) saved = n->input[1];
    n->input[1] = apply ? name : saved;
}

static void reverse_nodes(Onnx__ModelProto *m, int apply)
{
    Onnx__GraphProto *g = m->graph;
    (void)apply;
    for (size_t i = 0; i < g->n_node / 2; i++) {
        Onnx__NodeProto *t = g->node[i];
        g->node[i] = g->node[g->n_node - 1 - i];
        g->node[g->n_node - 1 - i] = t;
    }
}

static void nan_in_conv2(Onnx__ModelProto *m, int apply)
{
    static unsigned char saved[4];
    static const float nan_value = NAN;
    Onnx__TensorProto *t = initializer(m, "conv2.weight", NULL);
    if (!t || t->raw_data.len < 40) return;
    if (apply) memcpy(saved, t->raw_data.data + 36, 4);
    memcpy(t->raw_data.data + 36, apply ? (const void *)&nan_value : saved, 4);
}

static void opset_9(Onnx__ModelProto *m, int apply)
{
    m->opset_import[0]->version = apply ? 9 : 17;
}

/* External data for big's 0.weight: location as set in ext_location, at offset 16. */
static const char *ext_location;
static void weight_external(Onnx__ModelProto *m, int apply)
{
    static Onnx__StringStringEntryProto e[3] = {ONNX__STRING_STRING_ENTRY_PROTO__INIT, ONNX__STRING_STRING_ENTRY_PROTO__INIT,
                                                ONNX__STRING_STRING_ENTRY_PROTO__INIT};
    static Onnx__StringStringEntryProto *list[3] = {&e[0], &e[1], &e[2]};
    static char offset[] = "16", length[32], k_loc[] = "location", k_off[] = "offset", k_len[] = "length", loc[600];
    Onnx__TensorProto *t = initializer(m, "0.weight", NULL);
    if (!t) return;
    snprintf(length, sizeof length, "%zu", t->raw_data.len);
    snprintf(loc, sizeof loc, "%s", ext_location);
    e[0].key = k_loc, e[0].value = loc;
    e[1].key = k_off, e[1].value = offset;
    e[2].key = k_len, e[2].value = length;
    t->has_raw_data = !apply;
    t->has_data_location = apply;
    t->data_location = apply ? ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL : ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT;
    t->n_external_data = apply ? 3 : 0;
    t->external_data = apply ? list : NULL;
}

/* onnx_read refuses path with CLCAM_ERR_INPUT: one line, starting with the path, naming `what`. */
static void expect_refused(const char *path, const char *what)
{
    graph_desc g;
    clcam_err err = {0};
    clcam_status st = onnx_read(path, &g, &err);
    printf("refused as expected: %s\n", err.msg);
    CHECK(st == CLCAM_ERR_INPUT, "%s: status %d (%s)", path, st, err.msg);
    CHECK(!strncmp(err.msg, path, strlen(path)) && err.msg[strlen(path)] == ':' && !strchr(err.msg, '\n'),
          "%s: the message must be one line starting with the file: %s", path, err.msg);
    CHECK(strstr(err.msg, what) != NULL, "%s: the message must name \"%s\": %s", path, what, err.msg);
    CHECK(g.n_nodes == 0 && g.nodes == NULL && g.consts == NULL, "%s: the desc is left empty", path);
    if (st == CLCAM_OK) graph_desc_free(&g);
}

static void check_external(void)
{
    char ext[700], path[1024], model[1024], weights[1024], abs_loc[1024];
    size_t n;
    snprintf(ext, sizeof ext, "%s/ext", dir);
    CHECK(mkdir(ext, 0700) == 0, "mkdir %s", ext);
    /* The weights behind 16 bytes of something else, to exercise the offset. */
    snprintf(path, sizeof path, "%s/big_op17.onnx", dir);
    unsigned char *b = slurp(path, &n);
    Onnx__ModelProto *m = b ? onnx__model_proto__unpack(NULL, n, b) : NULL;
    Onnx__TensorProto *t = m ? initializer(m, "0.weight", NULL) : NULL;
    CHECK(t != NULL, "big_op17.onnx has 0.weight");
    if (t) {
        unsigned char *blob = calloc(1, t->raw_data.len + 16);
        snprintf(weights, sizeof weights, "%s/weights.bin", ext);
        if (blob) memcpy(blob + 16, t->raw_data.data, t->raw_data.len);
        CHECK(blob && spit(weights, blob, t->raw_data.len + 16) == 0, "write %s", weights);
        free(blob);
    }
    if (m) onnx__model_proto__free_unpacked(m, NULL);
    free(b);

    snprintf(model, sizeof model, "%s/model.onnx", ext);
    ext_location = "weights.bin";
    if (model_rewrite("big_op17.onnx", model, weight_external) == 0) {
        graph_desc g;
        clcam_err err = {0};
        CHECK(onnx_read(model, &g, &err) == CLCAM_OK, "external data next to the model: %s", err.msg);
        if (err.status == CLCAM_OK) {
            printf("ext/model.onnx: weights from ext/weights.bin read\n");
            check_params(&g, "big", "ext/model.onnx", NULL);
            graph_desc_free(&g);
        }
    }
    snprintf(abs_loc, sizeof abs_loc, "%s", weights); /* exists: refused for being absolute */
    ext_location = abs_loc;
    if (model_rewrite("big_op17.onnx", model, weight_external) == 0) expect_refused(model, "no absolute path");
    ext_location = "../ext/weights.bin";
    if (model_rewrite("big_op17.onnx", model, weight_external) == 0) expect_refused(model, "\"../ext/weights.bin\"");
    ext_location = "sub/../weights.bin";
    if (model_rewrite("big_op17.onnx", model, weight_external) == 0) expect_refused(model, "no \"..\"");
    ext_location = "missing.bin";
    if (model_rewrite("big_op17.onnx", model, weight_external) == 0) expect_refused(model, "missing.bin");
    /* Shorter than offset + length. */
    unsigned char few[64] = {0};
    CHECK(spit(weights, few, sizeof few) == 0, "write %s", weights);
    ext_location = "weights.bin";
    if (model_rewrite("big_op17.onnx", model, weight_external) == 0) expect_refused(model, "holds fewer than");
}

static void check_damaged(void)
{
    char src[1024], path[1024];
    size_t n;
    unsigned char *b;
    snprintf(src, sizeof src, "%s/resblock_op17.onnx", dir);
    b = slurp(src, &n);
    CHECK(b != NULL, "read %s", src);
    if (b) {
        snprintf(path, sizeof path, "%s/truncated.onnx", dir);
        if (spit(path, b, n / 2) == 0) expect_refused(path, "truncated");
        snprintf(path, sizeof path, "%s/truncated_tail.onnx", dir);
        if (spit(path, b, n - 3) == 0) expect_refused(path, "protobuf decoding failed");
        unsigned seed = 7;
        for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(rand_r(&seed) >> 7);
        snprintf(path, sizeof path, "%s/garbage.onnx", dir);
        if (spit(path, b, 3000 < n ? 3000 : n) == 0) expect_refused(path, "not an ONNX model");
        snprintf(path, sizeof path, "%s/empty.onnx", dir);
        if (spit(path, b, 0) == 0) expect_refused(path, "the file is empty");
        snprintf(path, sizeof path, "%s/one_byte.onnx", dir);
        if (spit(path, "\x08", 1) == 0) expect_refused(path, "not an ONNX model");
        free(b);
    }
    snprintf(path, sizeof path, "%s/no_such_file.onnx", dir);
    expect_refused(path, "cannot open");
    snprintf(path, sizeof path, "%s/softmax_op17.onnx", dir);
    expect_refused(path, "node /Softmax (Softmax): operator Softmax is not supported; clcam reads Conv,");
    snprintf(path, sizeof path, "%s/softmax_op11.onnx", dir); /* opset 11: Softmax over axis 1 by Transposes */
    expect_refused(path, "is not supported; clcam reads");

    snprintf(path, sizeof path, "%s/missing_init.onnx", dir);
    if (model_rewrite("resblock_op17.onnx", path, drop_conv1_weight) == 0)
        expect_refused(path, "node /conv1/Conv (Conv) reads conv1.weight, which is no initializer");
    snprintf(path, sizeof path, "%s/newline.onnx", dir); /* a name from the file keeps the message one line */
    if (model_rewrite("resblock_op17.onnx", path, conv1_reads_two_lines) == 0) expect_refused(path, "reads conv1.weight?second line");
    snprintf(path, sizeof path, "%s/bad_shape.onnx", dir);
    if (model_rewrite("resblock_op17.onnx", path, shrink_bn1_var) == 0) expect_refused(path, "bn1.running_var has shape [8]");
    snprintf(path, sizeof path, "%s/cycle.onnx", dir);
    if (model_rewrite("resblock_op17.onnx", path, conv1_reads_output) == 0) expect_refused(path, "cycle through node /");
    snprintf(path, sizeof path, "%s/nan.onnx", dir);
    if (model_rewrite("resblock_op17.onnx", path, nan_in_conv2) == 0) expect_refused(path, "tensor conv2.weight holds a non-finite");
    snprintf(path, sizeof path, "%s/opset9.onnx", dir);
    if (model_rewrite("resblock_op17.onnx", path, opset_9) == 0) expect_refused(path, "opset 9, clcam reads opsets 11 to 17");

    /* Nodes out of order: read in an order where every node follows what it reads. */
    snprintf(path, sizeof path, "%s/reversed.onnx", dir);
    if (model_rewrite("resblock_op17.onnx", path, reverse_nodes) == 0) {
        graph_desc g;
        if (read_model("reversed.onnx", &g) == 0) {
            CHECK(g.n_nodes == 9, "reversed.onnx: %d nodes", g.n_nodes);
            check_order(&g, "reversed.onnx");
            check_params(&g, "resblock", "reversed.onnx", NULL);
            graph_desc_free(&g);
        }
    }
}

/* The fuzzer's seeds (tests/fuzz/corpus/onnx) are models the reader reads: a fuzz run starts
 * from valid files, not from refusals. */
static void check_seeds(void)
{
    static const char *SEEDS[] = {"block_op17.onnx", "block_op11_fused.onnx", "head_op13.onnx", "deep_op17.onnx"};
    static const char *OPS[] = {"conv,batchnorm,clip,add,concat,maxpool,flatten,linear", "conv,clip,add,concat,maxpool,flatten,linear",
                                "pad,avgpool,globalavgpool,flatten,linear",
                                "conv,relu,add,conv,relu,add,conv,relu,add,conv,relu,add,conv,relu,add,conv,relu,add"};
    char path[1024], ops[512];
    for (int i = 0; i < 4; i++) {
        graph_desc g;
        clcam_err err = {0};
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus/onnx/%s", CLCAM_SOURCE_DIR, SEEDS[i]);
        CHECK(onnx_read(path, &g, &err) == CLCAM_OK, "%s", err.msg);
        if (err.status != CLCAM_OK) continue;
        CHECK(!strcmp(ops_str(&g, ops, sizeof ops), OPS[i]), "%s: ops %s", SEEDS[i], ops);
        printf("seed %s: %s\n", SEEDS[i], ops);
        graph_desc_free(&g);
    }
}

int main(void)
{
    char cmd[1200];
    check_seeds();
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/make_onnx_models.py %s", CLCAM_SOURCE_DIR, dir);
    int rc = system(cmd);
    if (rc != 0)
        return test_skip("test_onnx", WIFEXITED(rc) && WEXITSTATUS(rc) == 77 ? "torch is missing (/usr/bin/python3 -c 'import torch')"
                                                                             : "tests/make_onnx_models.py failed");
    check_resblock();
    check_invres();
    check_dense();
    check_heads();
    check_gaphead();
    check_torchvision();
    check_external();
    check_damaged();
    if (test_failed == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    }
    return test_finish("test_onnx");
}
