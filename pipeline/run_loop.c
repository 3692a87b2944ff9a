#include "run_loop.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/h5util.h"
#include "../base/fault.h"
#include "../base/progress.h"
#include "metrics/metric_rows.h"

/* Batches in flight at once: one being read, one queued on the device behind one running,
 * one being written. */
enum { RING = 4 };

/* Host memory of one batch: its inputs and its downloaded outputs. */
typedef struct {
    uint8_t *images;
    int32_t *labels;
    int64_t *index;
    int32_t *rows;  /* index as the device takes it */
    explain_out out;
    metric_rows metrics; /* the writer's: values from out.metric_scores */
    long start; /* results row of its first image */
    int count;
    cl_event done;
} batch_slot;

/* Where each slot is: FREE (the reader may fill it), READ (the device may take it), DONE
 * (downloaded; the writer may save it). While on the device a slot stays READ. */
typedef enum { SLOT_FREE, SLOT_READ, SLOT_DONE } slot_state;

typedef struct {
    run_loop *L;
    batch_slot slot[RING];
    slot_state state[RING];
    long n_batches; /* batches from L->pos, the first included */
    long end;       /* batches that will run: n_batches, or fewer after a stop */
    int failed;     /* a thread failed: the others stop at their next step */
    clcam_status st;
    clcam_err err;  /* the first failure */
    /* HDF5 is called from the reader and the writer: serialised here, so a build of the
     * library without its own thread safety works too. */
    pthread_mutex_t h5;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    progress prog;
    double t_start;
} ring;

static clcam_status slot_alloc(batch_slot *s, int batch, const run_loop *L, clcam_err *err)
{
    memset(s, 0, sizeof *s);
    s->images = malloc((size_t)batch * layer_shape_size(L->m->input));
    s->labels = malloc(sizeof(int32_t) * (size_t)batch);
    s->index = malloc(sizeof(int64_t) * (size_t)batch);
    s->rows = malloc(sizeof(int32_t) * (size_t)batch);
    if (!s->images || !s->labels || !s->index || !s->rows)
        return err_set(err, CLCAM_ERR_NOMEM, "out of memory for a batch of %d images", batch);
    clcam_status st = explain_out_alloc(&s->out, batch, L->e, err);
    return st == CLCAM_OK ? metric_rows_alloc(&s->metrics, &L->e->metrics, batch, err) : st;
}

static void slot_free(batch_slot *s)
{
    if (s->done) {
        clWaitForEvents(1, &s->done);
        clReleaseEvent(s->done);
    }
    free(s->images);
    free(s->labels);
    free(s->index);
    free(s->rows);
    explain_out_free(&s->out);
    metric_rows_free(&s->metrics);
    memset(s, 0, sizeof *s);
}

/* Rows of the batch that starts at results row pos. */
static int batch_rows(const run_loop *L, long pos)
{
    long left = L->count - pos;
    return (int)(left < L->batch ? left : L->batch);
}

static clcam_status slot_read(batch_slot *s, run_loop *L, long pos, clcam_err *err)
{
    s->start = pos;
    s->count = batch_rows(L, pos);
    for (int i = 0; i < s->count; i++) {
        s->index[i] = L->first + pos + i;
        s->rows[i] = (int32_t)(uint32_t)s->index[i]; /* modulo 2^32, as the hash takes it */
    }
    return dataset_read(L->d, L->first + pos, s->count, s->images,
                        L->d->labels >= 0 ? s->labels : NULL, L->m->classes, err);
}

static clcam_status slot_wait(batch_slot *s, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (!s->done) goto exit;
    CL_TRY(clWaitForEvents(1, &s->done));
exit:
    if (s->done) clReleaseEvent(s->done);
    s->done = NULL;
    return st;
}

/* Writes a finished batch, then records that its rows are final. */
static clcam_status slot_save(batch_slot *s, run_loop *L, int n_saved, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    results_batch b = {
        .index = s->index, .label = L->has_labels ? s->labels : NULL,
        .logits = s->out.logits, .probs = s->out.probs, .pred = s->out.pred,
        .target = s->out.target,
    };
    const metric_stage *ms = &L->e->metrics;
    if (ms->enabled)
        metric_rows_fill(&s->metrics, ms, s->out.metric_scores, s->out.probs, s->out.target,
                         L->m->classes, s->count);
    for (int m = 0; m < CAM_STAGE_MAX_METHODS && m < RESULTS_MAX_METHODS; m++) {
        b.cam[m] = s->out.cam[m];
        b.cam_raw[m] = s->out.cam_raw[m];
        /* the file's metrics in the order of metric_kind, those asked for */
        for (int k = 0, i = 0; k < METRIC_COUNT && i < RESULTS_MAX_METRICS; k++)
            if (s->metrics.value[m][k]) b.metric[m][i++] = s->metrics.value[m][k];
        b.deletion_curve[m] = s->metrics.deletion[m];
        b.insertion_curve[m] = s->metrics.insertion[m];
    }
    TRY(results_write(L->w, s->start, s->count, &b, err));
    fault_point("after_write", n_saved);
    TRY(results_mark_done(L->w, s->start, s->count, err));
    fault_point("after_mark", n_saved);
    if (L->has_labels)
        for (int i = 0; i < s->count; i++) L->correct += s->out.pred[i] == s->labels[i];
    L->saved = s->start + s->count;
exit:
    return st;
}

/* Halves *batch after the device ran out of memory, or a buffer passed a limit of the device
 * or of the kernels' int indices, saying so; 0 when it cannot. */
static int halve_batch(int *batch, const clcam_err *err)
{
    if (!err_is_device_alloc(err) || *batch <= 1) return 0;
    if (err->cl_code == CL_INVALID_BUFFER_SIZE)
        fprintf(stderr, "clcam run: with batches of %d images, %s; retrying with %d\n", *batch,
                err->msg, *batch / 2);
    else
        fprintf(stderr, "clcam run: the device ran out of memory with batches of %d images (%s); "
                "retrying with %d\n", *batch, cl_error_name(err->cl_code), *batch / 2);
    *batch /= 2;
    return 1;
}

/* Waits for all the device was given, before host memory it may read or write is freed: an
 * enqueue that failed part-way leaves non-blocking copies from and into a slot behind it, with
 * no event to wait for. A failure here is recorded only if nothing failed before it. */
static void queue_drain(cl_ctx *ctx, clcam_status *st, clcam_err *err)
{
    cl_int rc = clFinish(ctx->queue);
    if (rc != CL_SUCCESS && *st == CLCAM_OK)
        *st = err_set_cl(err, rc, "clFinish before freeing the batches failed: %s (%d)",
                         cl_error_name(rc), (int)rc);
}

/* Frees the device side of the model and explainer, after the queue has drained. */
static void device_release(cl_ctx *ctx, model *m, explainer *e)
{
    clFinish(ctx->queue);
    explainer_free(e);
    model_release_device(m);
}

clcam_status run_device_setup(cl_ctx *ctx, model *m, explainer *e, int cam_layer,
                              const explain_params *p, int *batch, clcam_err *err)
{
    clcam_status st;
    for (;;) {
        st = model_upload(ctx, m, *batch, err);
        if (st == CLCAM_OK) st = explainer_init(ctx, e, m, cam_layer, p, *batch, err);
        if (st == CLCAM_OK || !halve_batch(batch, err)) return st;
        device_release(ctx, m, e);
        err_clear(err);
    }
}

static clcam_status enqueue(run_loop *L, batch_slot *s, clcam_err *err)
{
    return explainer_enqueue(L->ctx, L->e, s->images, s->labels, s->rows, s->count, &s->out,
                             &s->done, err);
}

/* The first batch, on this thread alone and waited for: a device that runs out of memory
 * only when the work runs (lazy allocation, scratch buffers) is found here, and the batch
 * halved and the device side set up again. */
static clcam_status first_batch(ring *r, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    run_loop *L = r->L;
    batch_slot *s = &r->slot[0];
    for (;;) {
        double tc = progress_now();
        TRY(slot_read(s, L, L->pos, err));
        L->t_read += progress_now() - tc;
        st = enqueue(L, s, err);
        if (st == CLCAM_OK) st = slot_wait(s, err);
        /* under MPI the ranks have agreed how many batches each writes: no halving now */
        if (st == CLCAM_OK || L->fixed_batch || !halve_batch(&L->batch, err)) break;
        slot_wait(s, err);
        device_release(L->ctx, L->m, L->e);
        err_clear(err);
        TRY(run_device_setup(L->ctx, L->m, L->e, L->cam_layer, L->params, &L->batch, err));
    }
    TRY(st);
    r->state[0] = SLOT_DONE;
    L->t_first_batch = progress_now() - r->t_start;
exit:
    return st;
}

/* Records a thread's failure (the first one's message is kept) and wakes the others. */
static void ring_fail(ring *r, clcam_status st, const clcam_err *err)
{
    pthread_mutex_lock(&r->mu);
    if (!r->failed) {
        r->failed = 1;
        r->st = st;
        r->err = *err;
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Waits until batch k's slot is in state `want`; 0 when the loop is failing or batch k will
 * not run. */
static int ring_await(ring *r, long k, slot_state want)
{
    int go;
    pthread_mutex_lock(&r->mu);
    while (!r->failed && k < r->end && r->state[k % RING] != want) pthread_cond_wait(&r->cv, &r->mu);
    go = !r->failed && k < r->end;
    pthread_mutex_unlock(&r->mu);
    return go;
}

static int ring_failed(ring *r)
{
    pthread_mutex_lock(&r->mu);
    int failed = r->failed;
    pthread_mutex_unlock(&r->mu);
    return failed;
}

static void ring_set(ring *r, long k, slot_state to)
{
    pthread_mutex_lock(&r->mu);
    r->state[k % RING] = to;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void *reader_main(void *arg)
{
    ring *r = arg;
    run_loop *L = r->L;
    clcam_err err = {0};
    pthread_mutex_lock(&r->h5); /* an HDF5 call too: the MPI build of HDF5 is not thread-safe */
    h5_thread_init();
    pthread_mutex_unlock(&r->h5);
    for (long k = 1; ring_await(r, k, SLOT_FREE); k++) {
        double tc = progress_now();
        pthread_mutex_lock(&r->h5);
        clcam_status st = slot_read(&r->slot[k % RING], L, L->pos + k * L->batch, &err);
        pthread_mutex_unlock(&r->h5);
        L->t_read += progress_now() - tc;
        if (st != CLCAM_OK) {
            ring_fail(r, st, &err);
            break;
        }
        ring_set(r, k, SLOT_READ);
    }
    return NULL;
}

static void *writer_main(void *arg)
{
    ring *r = arg;
    run_loop *L = r->L;
    clcam_err err = {0};
    pthread_mutex_lock(&r->h5); /* an HDF5 call too: the MPI build of HDF5 is not thread-safe */
    h5_thread_init();
    pthread_mutex_unlock(&r->h5);
    for (long k = 0; ring_await(r, k, SLOT_DONE); k++) {
        double tc = progress_now();
        pthread_mutex_lock(&r->h5);
        clcam_status st = slot_save(&r->slot[k % RING], L, (int)k + 1, &err);
        pthread_mutex_unlock(&r->h5);
        L->t_write += progress_now() - tc;
        if (st != CLCAM_OK) {
            ring_fail(r, st, &err);
            break;
        }
        progress_update(&r->prog, L->saved);
        ring_set(r, k, SLOT_FREE);
    }
    return NULL;
}

/* The device's part: batch k is queued before batch k-1 is waited for, so the device always
 * has the next batch behind the one it runs. Batch 0 is done when this starts. After a stop
 * signal no batch is queued; those in flight finish and are saved. */
static void device_main(ring *r)
{
    run_loop *L = r->L;
    clcam_err err = {0};
    clcam_status st = CLCAM_OK;
    long k;
    for (k = 1; ring_await(r, k, SLOT_READ); k++) {
        if (L->stop && *L->stop) {
            pthread_mutex_lock(&r->mu);
            r->end = k;
            pthread_cond_broadcast(&r->cv);
            pthread_mutex_unlock(&r->mu);
            break;
        }
        if ((st = enqueue(L, &r->slot[k % RING], &err)) != CLCAM_OK) break;
        if (k > 1) {
            double tc = progress_now();
            if ((st = slot_wait(&r->slot[(k - 1) % RING], &err)) != CLCAM_OK) break;
            L->t_wait += progress_now() - tc;
            ring_set(r, k - 1, SLOT_DONE);
        }
    }
    if (st == CLCAM_OK && k - 1 >= 1 && !ring_failed(r)) { /* the last batch queued */
        double tc = progress_now();
        st = slot_wait(&r->slot[(k - 1) % RING], &err);
        L->t_wait += progress_now() - tc;
        if (st == CLCAM_OK) ring_set(r, k - 1, SLOT_DONE);
    }
    if (st != CLCAM_OK) ring_fail(r, st, &err);
}

/* Starts a thread with SIGINT and SIGTERM blocked, so the stop signal reaches the calling
 * thread, which decides what finishes. */
static clcam_status start_thread(pthread_t *t, void *(*fn)(void *), ring *r, const char *what,
                                 clcam_err *err)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(t, NULL, fn, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) return err_set(err, CLCAM_ERR_NOMEM, "pthread_create failed for the %s thread (%s)", what, strerror(rc));
    return CLCAM_OK;
}

clcam_status run_loop_rows(run_loop *L, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    ring r = {.L = L, .t_start = progress_now()};
    pthread_t reader, writer;
    int have_reader = 0, have_writer = 0;
    pthread_mutex_init(&r.h5, NULL);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    L->saved = L->pos;
    progress_init(&r.prog, "clcam run", L->count, L->quiet);
    if (L->pos >= L->count) goto exit;
    for (int s = 0; s < RING; s++) TRY(slot_alloc(&r.slot[s], L->batch, L, err));

    TRY(first_batch(&r, err));
    r.n_batches = 1 + (L->count - L->pos - 1) / L->batch; /* the batch size is final now */
    r.end = r.n_batches;
    if (L->stop && *L->stop) r.end = 1;
    TRY(start_thread(&writer, writer_main, &r, "writer", err));
    have_writer = 1;
    if (r.end > 1) {
        st = start_thread(&reader, reader_main, &r, "reader", err);
        have_reader = st == CLCAM_OK;
        if (st == CLCAM_OK) device_main(&r);
        else ring_fail(&r, st, err);
    }
exit:
    if (have_reader) pthread_join(reader, NULL);
    if (have_writer) pthread_join(writer, NULL);
    if (st == CLCAM_OK && r.failed) {
        st = r.st;
        *err = r.err;
    }
    if (st == CLCAM_OK && r.end < r.n_batches)
        st = err_set(err, CLCAM_ERR_INTERRUPTED, "interrupted by signal %d after %ld of %ld images; "
                     "%s is resumable: run the same command again", (int)*L->stop, L->saved,
                     L->count, L->w->path);
    progress_end(&r.prog);
    queue_drain(L->ctx, &st, err);
    for (int s = 0; s < RING; s++) slot_free(&r.slot[s]);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
    pthread_mutex_destroy(&r.h5);
    return st;
}
