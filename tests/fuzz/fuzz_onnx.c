/* libFuzzer: the ONNX reader (io/onnx_read.c) on arbitrary file contents, from a seed corpus of
 * tiny torch exports (tests/fuzz/corpus/onnx). It must return a status, never crash, leak or
 * read out of bounds; a model it reads must hold what graph_desc promises (inputs that exist,
 * parameters in range). The file sits alone in a folder of its own, so external data can only
 * name that file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/onnx_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const graph_desc *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        if (!n->name || !n->output || n->op < 0 || n->op >= GRAPH_OP_COUNT) abort();
        for (int p = 0; p < GRAPH_PARAM_COUNT; p++)
            if (n->param[p] < -1 || n->param[p] >= g->n_consts) abort();
        for (int k = 0; k < n->n_inputs; k++) {
            int src = graph_desc_node_find(g, n->inputs[k]), is_input = 0;
            for (int j = 0; j < g->n_inputs; j++) is_input |= !strcmp(g->inputs[j].name, n->inputs[k]);
            if (!is_input && (src < 0 || src >= i)) abort(); /* read before written */
        }
    }
    for (int i = 0; i < g->n_consts; i++) {
        size_t count = 1;
        for (int d = 0; d < g->consts[i].rank; d++) count *= (size_t)g->consts[i].dims[d];
        if (count != g->consts[i].count) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[96];
    graph_desc g;
    clcam_err err = {0};
    FILE *f;
    if (!path[0]) {
        char folder[64];
        snprintf(folder, sizeof folder, "/tmp/clcam-fuzz-onnx-%ld", (long)getpid());
        mkdir(folder, 0700);
        snprintf(path, sizeof path, "%s/model.onnx", folder);
    }
    if (!(f = fopen(path, "wb"))) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    if (onnx_read(path, &g, &err) == CLCAM_OK) {
        check(&g);
        graph_desc_free(&g);
    } else if (err.status != CLCAM_ERR_INPUT && err.status != CLCAM_ERR_NOMEM) {
        abort();
    } else if (strncmp(err.msg, path, strlen(path)) || strchr(err.msg, '\n')) {
        abort(); /* one line, naming the file */
    }
    return 0;
}
