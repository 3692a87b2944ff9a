#include "graph_desc.h"

#include <stdlib.h>
#include <string.h>

static void strv_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

void graph_desc_free(graph_desc *g)
{
    if (!g) return;
    for (int i = 0; g->inputs && i < g->n_inputs; i++) free(g->inputs[i].name);
    free(g->inputs);
    strv_free(g->outputs, g->n_outputs);
    for (int i = 0; g->consts && i < g->n_consts; i++) {
        free(g->consts[i].name);
        free(g->consts[i].data);
    }
    free(g->consts);
    for (int i = 0; g->nodes && i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        strv_free(g->nodes[i].inputs, g->nodes[i].n_inputs);
        free(g->nodes[i].output);
    }
    free(g->nodes);
    free(g->producer);
    memset(g, 0, sizeof *g);
}

int graph_desc_const_find(const graph_desc *g, const char *name)
{
    for (int i = 0; i < g->n_consts; i++)
        if (!strcmp(g->consts[i].name, name)) return i;
    return -1;
}

int graph_desc_node_find(const graph_desc *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].output, name)) return i;
    return -1;
}

const char *graph_op_name(graph_op op)
{
    static const char *NAMES[] = {"conv", "batchnorm", "relu", "clip", "add", "concat", "maxpool",
                                  "avgpool", "globalavgpool", "flatten", "linear", "identity",
                                  "dropout", "pad"};
    _Static_assert(sizeof NAMES / sizeof *NAMES == GRAPH_OP_COUNT, "graph op names");
    return (unsigned)op < GRAPH_OP_COUNT ? NAMES[op] : "?";
}
