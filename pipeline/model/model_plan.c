/* Device buffers of a model: each tensor (a layer's output, and in inference its gradient)
 * gets a buffer from a pool, shared with tensors whose lifetimes do not overlap. Time runs
 * over the forward pass (layer i at step i) and then the backward pass (layer i at step
 * 2n-1-i); what the backward pass or the caller reads after the forward pass (the CAM
 * layer's output, the logits, the tensors a backward step reads) lives to the end, because
 * the backward pass runs once per target rank. Memory then follows the widest cut of the
 * graph, not its node count. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

int model_reuse_enabled(void)
{
    const char *v = getenv("CLCAM_GRAPH_REUSE");
    return !(v && strcmp(v, "0") == 0);
}

typedef struct {
    int start, end;  /* steps, inclusive; end FOREVER: read after the passes */
    size_t bytes;
    int slot;        /* pool buffer, -1 none (aliases, tensors no gradient reaches) */
} lifetime;

#define FOREVER (1 << 30)

/* Does layer i's output share its input's buffer (layer.h: aliases, fused ReLU)? */
static int model_aliases(const layer *l)
{
    return layer_output_aliases_input(l);
}

/* lead[i]: layer i's output reaches the logits; from[i]: it depends on layer t's output
 * (t < 0: every layer). */
static void model_paths(const model *m, int t, int *lead, int *from)
{
    int n = m->n_layers;
    memset(lead, 0, sizeof(int) * (size_t)n);
    lead[n - 1] = 1;
    for (int i = n - 1; i >= 0; i--)
        for (int k = 0; lead[i] && k < m->layers[i].n_inputs; k++)
            if (m->layers[i].inputs[k] >= 0) lead[m->layers[i].inputs[k]] = 1;
    for (int i = 0; i < n; i++) {
        from[i] = t < 0 || i == t;
        for (int k = 0; i > t && k < m->layers[i].n_inputs; k++)
            if (m->layers[i].inputs[k] >= 0 && from[m->layers[i].inputs[k]]) from[i] = 1;
    }
}

/* Lifetimes: lt[i] the output of layer i (its buffer's, for the first layer of an alias
 * chain), lt[n + i] its gradient; root[i] the layer whose buffer layer i's output is. */
static void model_lifetimes(const model *m, int reuse, lifetime *lt, int *root, size_t *scratch)
{
    int n = m->n_layers, t = m->cam_t;
    int lead[MODEL_MAX_LAYERS], from[MODEL_MAX_LAYERS], contrib[MODEL_MAX_LAYERS] = {0};
    size_t b = (size_t)m->max_batch * sizeof(float);
    model_paths(m, t, lead, from);
    *scratch = 0;
    for (int i = 0; i < 2 * n; i++) lt[i] = (lifetime){.start = 0, .end = -1, .bytes = 0, .slot = -1};
    for (int i = 0; i < n; i++) {
        const layer *l = &m->layers[i];
        root[i] = model_aliases(l) ? root[layer_alias_source(l)] : i;
        if (root[i] == i) lt[i] = (lifetime){i, i, b * (size_t)layer_shape_size(l->out), -1};
        for (int k = 0; k < l->n_inputs; k++)
            if (l->inputs[k] >= 0 && lt[root[l->inputs[k]]].end < i) lt[root[l->inputs[k]]].end = i;
    }
    /* Kept after the forward pass: everything without a CAM layer (any output may be read),
     * else the logits, A, and what the backward steps from A read. */
    for (int i = 0; i < n; i++) {
        const layer *l = &m->layers[i];
        int backward = !m->train && i > t && lead[i] && from[i];
        if (!reuse || t < 0 || i == n - 1 || i == t) lt[root[i]].end = FOREVER;
        if (backward && !LAYER_OPS[l->kind]->bwd_no_out) lt[root[i]].end = FOREVER;
        for (int k = 0; backward && k < l->n_inputs; k++) {
            int j = l->inputs[k];
            if (j < 0) continue;
            if (!LAYER_OPS[l->kind]->bwd_no_in) lt[root[j]].end = FOREVER;
            if (!from[j]) continue;
            /* gradient of j: written from the backward step of its last reader on */
            lifetime *g = &lt[n + j];
            int step = 2 * n - 1 - i;
            if (g->end < 0) *g = (lifetime){step, reuse ? 2 * n - 1 - j : FOREVER,
                                            b * (size_t)layer_shape_size(m->layers[j].out), -1};
            if (step < g->start) g->start = step;
            if (++contrib[j] > 1 && g->bytes > *scratch) *scratch = g->bytes;
        }
    }
}

/* Slots for the lifetimes, in order of their start: a free slot (its last lifetime ended
 * before) that is big enough and the smallest such, else the biggest free one (grown), else a
 * new one. Without reuse every lifetime gets a slot of its own. */
static int model_assign(lifetime *lt, int count, int reuse, size_t *size, int *busy)
{
    int n_slots = 0, order[2 * MODEL_MAX_LAYERS], n = 0;
    for (int i = 0; i < count; i++)
        if (lt[i].end >= 0 && lt[i].bytes > 0) order[n++] = i;
    for (int a = 1; a < n; a++) /* insertion sort by start: stable, so ties go by index */
        for (int c = a; c > 0 && lt[order[c - 1]].start > lt[order[c]].start; c--) {
            int x = order[c];
            order[c] = order[c - 1], order[c - 1] = x;
        }
    for (int a = 0; a < n; a++) {
        lifetime *l = &lt[order[a]];
        int best = -1;
        for (int s = 0; reuse && s < n_slots; s++) {
            if (busy[s] >= l->start) continue;
            if (best < 0) best = s;
            else if (size[s] >= l->bytes && (size[best] < l->bytes || size[s] < size[best])) best = s;
            else if (size[best] < l->bytes && size[s] > size[best]) best = s;
        }
        if (best < 0) {
            best = n_slots++;
            size[best] = 0;
        }
        if (size[best] < l->bytes) size[best] = l->bytes;
        busy[best] = l->end;
        l->slot = best;
    }
    return n_slots;
}

static size_t layer_fixed_bytes(const layer *l, int max_batch)
{
    size_t s = sizeof(float) * (size_t)(l->weight ? l->n_weight : 0) +
               sizeof(float) * (size_t)(l->bias ? l->n_bias : 0);
    if (l->bn_train || l->bn_unfolded) s += 6 * sizeof(float) * (size_t)l->n_weight;
    if (LAYER_OPS[l->kind]->keeps_argmax) s += sizeof(int) * (size_t)max_batch * layer_shape_size(l->out);
    return s;
}

clcam_status model_upload(cl_ctx *ctx, model *m, int max_batch, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int n = m->n_layers, reuse = model_reuse_enabled(), root[MODEL_MAX_LAYERS];
    int busy[2 * MODEL_MAX_LAYERS], n_slots;
    lifetime lt[2 * MODEL_MAX_LAYERS];
    size_t size[2 * MODEL_MAX_LAYERS], scratch, biggest = (size_t)layer_shape_size(m->input);
    cl_mem slot[2 * MODEL_MAX_LAYERS] = {NULL};
    m->max_batch = max_batch;
    model_lifetimes(m, reuse, lt, root, &scratch);
    n_slots = model_assign(lt, 2 * n, reuse, size, busy);
    m->device_bytes = m->unshared_bytes = scratch;
    for (int i = 0; i < 2 * n; i++)
        if (lt[i].slot >= 0) m->unshared_bytes += lt[i].bytes;
    for (int s = 0; s < n_slots; s++) {
        TRY(cl_ctx_alloc(ctx, size[s], &slot[s], "layer output or gradient", err));
        m->device_bytes += size[s];
    }
    for (int i = 0; i < n; i++) {
        layer *l = &m->layers[i];
        int src = model_aliases(l) ? layer_alias_source(l) : l->inputs[0];
        cl_mem prev = src >= 0 ? m->layers[src].d_out : NULL;
        TRY(layer_upload_into(ctx, l, max_batch, prev, root[i] == i ? slot[lt[i].slot] : NULL, err));
        m->device_bytes += layer_fixed_bytes(l, max_batch);
        m->unshared_bytes += layer_fixed_bytes(l, max_batch);
        if (lt[n + i].slot >= 0) {
            CL_TRY(clRetainMemObject(slot[lt[n + i].slot]));
            m->d_tgrad[i] = slot[lt[n + i].slot];
        }
        if ((size_t)layer_shape_size(l->out) > biggest) biggest = (size_t)layer_shape_size(l->out);
    }
    if (scratch) TRY(cl_ctx_alloc(ctx, scratch, &m->d_scratch, "gradient contribution", err));
    for (int g = 0; m->train && g < 2; g++) {
        TRY(cl_ctx_alloc(ctx, sizeof(float) * biggest * (size_t)max_batch, &m->d_grad[g], "gradient", err));
        m->device_bytes += sizeof(float) * biggest * (size_t)max_batch;
        m->unshared_bytes += sizeof(float) * biggest * (size_t)max_batch;
    }
exit:
    for (int s = 0; s < n_slots; s++)
        if (slot[s]) clReleaseMemObject(slot[s]); /* the layers hold them */
    return st;
}

void model_release_device(model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        layer_release_device(&m->layers[i]);
        if (m->d_tgrad[i]) clReleaseMemObject(m->d_tgrad[i]);
        m->d_tgrad[i] = NULL;
    }
    for (int g = 0; g < 2; g++)
        if (m->d_grad[g]) clReleaseMemObject(m->d_grad[g]);
    if (m->d_scratch) clReleaseMemObject(m->d_scratch);
    m->d_grad[0] = m->d_grad[1] = m->d_scratch = NULL;
}
