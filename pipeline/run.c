#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/dataset.h"
#include "../io/results.h"
#include "../cl/profile.h"
#include "explain.h"
#include "fault.h"
#include "progress.h"

/* Host memory of one batch in flight: its inputs and its downloaded outputs. */
typedef struct {
    uint8_t *images;
    int32_t *labels;
    int64_t *index;
    explain_out out;
    long start;
    int count;
    cl_event done;
} batch_slot;

static clcam_status slot_alloc(batch_slot *s, int batch, const model *m, const cam_stage *c,
                               clcam_err *err)
{
    size_t b = (size_t)batch, T = (size_t)c->T;
    int ok = 1;
    memset(s, 0, sizeof *s);
    s->images = malloc(b * layer_shape_size(m->input));
    s->labels = malloc(sizeof(int32_t) * b);
    s->index = malloc(sizeof(int64_t) * b);
    s->out.logits = malloc(sizeof(float) * b * m->classes);
    s->out.probs = malloc(sizeof(float) * b * m->classes);
    s->out.pred = malloc(sizeof(int32_t) * b);
    s->out.target = malloc(sizeof(int32_t) * b * T);
    for (int m_ = 0; m_ < c->n_methods; m_++) {
        s->out.cam_raw[m_] = malloc(sizeof(float) * b * T * c->h * c->w);
        s->out.cam[m_] = malloc(sizeof(float) * b * T * c->H * c->W);
        ok &= s->out.cam_raw[m_] && s->out.cam[m_];
    }
    if (!ok || !s->images || !s->labels || !s->index || !s->out.logits || !s->out.probs ||
        !s->out.pred || !s->out.target)
        return err_set(err, CLCAM_ERR_NOMEM, "out of memory for a batch of %d images", batch);
    return CLCAM_OK;
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
    free(s->out.logits);
    free(s->out.probs);
    free(s->out.pred);
    free(s->out.target);
    for (int m = 0; m < CAM_STAGE_MAX_METHODS; m++) {
        free(s->out.cam_raw[m]);
        free(s->out.cam[m]);
    }
    memset(s, 0, sizeof *s);
}

static clcam_status slot_read(batch_slot *s, dataset_reader *d, long start, int count,
                              int classes, clcam_err *err)
{
    s->start = start;
    s->count = count;
    for (int i = 0; i < count; i++) s->index[i] = start + i;
    return dataset_read(d, start, count, s->images, d->labels >= 0 ? s->labels : NULL, classes, err);
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

static clcam_status slot_write(batch_slot *s, results_writer *w, long first, int has_labels,
                               long *correct, clcam_err *err)
{
    results_batch b = {
        .index = s->index, .label = has_labels ? s->labels : NULL,
        .logits = s->out.logits, .probs = s->out.probs, .pred = s->out.pred,
        .target = s->out.target,
    };
    for (int m = 0; m < CAM_STAGE_MAX_METHODS && m < RESULTS_MAX_METHODS; m++) {
        b.cam[m] = s->out.cam[m];
        b.cam_raw[m] = s->out.cam_raw[m];
    }
    if (has_labels)
        for (int i = 0; i < s->count; i++) *correct += s->out.pred[i] == s->labels[i];
    return results_write(w, s->start - first, s->count, &b, err);
}

/* Writes a finished batch, then records that its rows are final. */
static clcam_status slot_save(batch_slot *s, results_writer *w, long first, int has_labels,
                              long *correct, int n_saved, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(slot_write(s, w, first, has_labels, correct, err));
    fault_point("after_write", n_saved);
    TRY(results_mark_progress(w, s->start + s->count - first, err));
    fault_point("after_mark", n_saved);
exit:
    return st;
}

/* Rows of the batch that starts at row pos of a run of count rows. */
static int batch_rows(long count, int batch, long pos)
{
    long left = count - pos;
    return (int)(left < batch ? left : batch);
}

/* Halves *batch after the device ran out of memory, saying so; 0 when it cannot. */
static int halve_batch(int *batch, const clcam_err *err)
{
    if (!err_is_device_alloc(err) || *batch <= 1) return 0;
    fprintf(stderr, "clcam run: the device ran out of memory with batches of %d images (%s); "
            "retrying with %d\n", *batch, cl_error_name(err->cl_code), *batch / 2);
    *batch /= 2;
    return 1;
}

/* Frees the device side of the model and explainer, after the queue has drained. */
static void device_release(cl_ctx *ctx, model *m, explainer *e)
{
    clFinish(ctx->queue);
    explainer_free(e);
    model_release_device(m);
}

/* Device buffers for batches of *batch images; where the device runs out of memory, the
 * batch is halved and tried again. */
static clcam_status device_setup(cl_ctx *ctx, model *m, explainer *e, int t, const explain_params *p,
                                 int *batch, clcam_err *err)
{
    clcam_status st;
    for (;;) {
        st = model_upload(ctx, m, *batch, err);
        if (st == CLCAM_OK) st = explainer_init(ctx, e, m, t, p, *batch, err);
        if (st == CLCAM_OK || !halve_batch(batch, err)) return st;
        device_release(ctx, m, e);
        err_clear(err);
    }
}

static clcam_status check_inputs(const clcam_config *cfg, const dataset_reader *d, const model *m,
                                 long *count, clcam_err *err)
{
    if (cfg->data_start >= d->n)
        return err_set(err, CLCAM_ERR_INPUT, "data.start: %ld is past the end of %s split %s (%ld images)",
                       cfg->data_start, d->path, d->split, d->n);
    *count = cfg->data_count < 0 ? d->n - cfg->data_start : cfg->data_count;
    if (cfg->data_start + *count > d->n)
        return err_set(err, CLCAM_ERR_INPUT, "data.count: %ld images from %ld run past the end of %s split %s (%ld images)",
                       *count, cfg->data_start, d->path, d->split, d->n);
    if (d->n_class_names && d->n_class_names != m->classes)
        return err_set(err, CLCAM_ERR_INPUT, "%s: %d class_names, but %s has %d outputs", d->path,
                       d->n_class_names, cfg->model_weights, m->classes);
    if (cfg->cam_target == CAM_TARGET_CLASS && cfg->cam_target_class >= m->classes)
        return err_set(err, CLCAM_ERR_INPUT, "cam.target: class %d, but the model has %d classes (0..%d)",
                       cfg->cam_target_class, m->classes, m->classes - 1);
    for (int i = 0; i < cfg->cam_n_methods; i++)
        if (!cam_method_find(cfg->cam_methods[i]))
            return err_set(err, CLCAM_ERR_INPUT, "cam.methods: '%s' is not implemented yet in this build",
                           cfg->cam_methods[i]);
    if (cfg->cam_target == CAM_TARGET_TOPK && cfg->cam_target_k > m->classes)
        return err_set(err, CLCAM_ERR_INPUT, "cam.target: topk %d, but the model has %d classes",
                       cfg->cam_target_k, m->classes);
    if (cfg->cam_target == CAM_TARGET_LABEL && d->labels < 0)
        return err_set(err, CLCAM_ERR_INPUT, "cam.target: label, but %s has no /%s/labels", d->path, d->split);
    return CLCAM_OK;
}

clcam_status run_explain(const clcam_config *cfg, run_report *rep, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    dataset_reader d = {.file = H5I_INVALID_HID, .images = H5I_INVALID_HID, .labels = H5I_INVALID_HID};
    model m = {0};
    cl_ctx ctx = {0};
    explainer e = {0};
    results_writer w = {.file = H5I_INVALID_HID};
    batch_slot slots[2] = {{0}};
    char *yaml = NULL;
    long count = 0, correct = 0, first = cfg->data_start, rows_done = 0;
    int batch, t = -1, has_labels, saved = 0;
    batch_slot *last = NULL; /* the batch run last, saved after the loop */
    results_open_kind kind = RESULTS_NEW;
    progress prog;
    explain_params p = {.scale = cfg->pre_scale, .target_mode = (int)cfg->cam_target,
                        .target_class = cfg->cam_target_class,
                        .T = cfg->cam_target == CAM_TARGET_TOPK ? cfg->cam_target_k : 1};
    memcpy(p.mean, cfg->pre_mean, sizeof p.mean);
    memcpy(p.std, cfg->pre_std, sizeof p.std);
    results_close(&w);
    double t0 = progress_now();

    /* Everything about the inputs is checked before the device is touched. */
    TRY(dataset_open(&d, cfg->data_file, cfg->data_split, err));
    TRY(model_load_config(&m, cfg, (layer_shape){d.c, d.h, d.w}, err));
    TRY(check_inputs(cfg, &d, &m, &count, err));
    TRY(model_check_cam_layer(&m, cfg->cam_layer, &t, err));
    has_labels = d.labels >= 0;
    p.n_methods = cfg->cam_n_methods;
    for (int i = 0; i < p.n_methods; i++) p.methods[i] = cam_method_find(cfg->cam_methods[i]);
    batch = cfg->batch < count ? cfg->batch : (int)count;

    TRY(cl_ctx_init(&ctx, cfg->device, err));
    snprintf(rep->device, sizeof rep->device, "%s (%s)", ctx.device_name, ctx.platform_name);
    TRY(device_setup(&ctx, &m, &e, t, &p, &batch, err));
    for (int s = 0; s < 2; s++) TRY(slot_alloc(&slots[s], batch, &m, &e.cam, err));

    if (!(yaml = config_to_yaml(cfg))) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
    {
        results_layout L = {
            .n = count, .classes = m.classes, .has_label = has_labels,
            .cam_h = m.input.h, .cam_w = m.input.w, .raw_h = e.cam.h, .raw_w = e.cam.w,
            .topk = cfg->cam_target == CAM_TARGET_TOPK ? cfg->cam_target_k : 0,
            .chunk_rows = batch, .compression = cfg->output_compression,
            .n_methods = cfg->cam_n_methods, .config_yaml = yaml, .device = ctx.device_name,
            .platform = ctx.platform_name, .driver_version = ctx.driver_version,
            .dataset_file = cfg->data_file, .split = cfg->data_split,
            .weights_file = cfg->model_weights, .layer = cfg->cam_layer,
            .class_names = (const char *const *)d.class_names, .n_class_names = d.n_class_names,
        };
        for (int i = 0; i < cfg->cam_n_methods && i < RESULTS_MAX_METHODS; i++) L.methods[i] = cfg->cam_methods[i];
        TRY(results_open(&w, cfg->output_file, &L, rep->overwrite, &kind, &rows_done, err));
    }
    if (kind == RESULTS_COMPLETE) {
        rep->already_complete = 1;
        rep->images = count;
        rep->correct = -1;
        rep->seconds = progress_now() - t0;
        goto exit;
    }
    if (kind == RESULTS_RESUMED) {
        TRY(results_count_correct(&w, rows_done, &correct, err));
        rep->resumed_from = (int)rows_done;
    }

    /* Double buffering: while the device runs batch i, the host writes batch i-1 and
     * reads batch i+1. HDF5 stays on this one thread. Rows are written in order, and after
     * each batch the file records how many are final, so a rerun resumes there. */
    progress_init(&prog, "clcam run", count, rep->quiet);
    rep->t_setup = progress_now() - t0;
    long pos = rows_done; /* first row (from `first`) of the batch to run next */
    double tc = progress_now();
    if (pos < count) TRY(slot_read(&slots[0], &d, first + pos, batch_rows(count, batch, pos), m.classes, err));
    rep->t_read += progress_now() - tc;
    for (int i = 0; pos < count; i++) {
        batch_slot *cur = &slots[i % 2], *other = &slots[(i + 1) % 2];
        st = explainer_enqueue(&ctx, &e, cur->images, cur->labels, cur->count, &cur->out, &cur->done, err);
        /* The first batch is waited for here: a device that runs out of memory only when the
         * work runs (lazy allocation, scratch buffers) is found now, and the batch halved. */
        if (i == 0 && st == CLCAM_OK) st = slot_wait(cur, err);
        if (i == 0 && st != CLCAM_OK && halve_batch(&batch, err)) {
            slot_wait(cur, err);
            device_release(&ctx, &m, &e);
            err_clear(err);
            TRY(device_setup(&ctx, &m, &e, t, &p, &batch, err));
            TRY(slot_read(cur, &d, first + pos, batch_rows(count, batch, pos), m.classes, err));
            i = -1;
            continue;
        }
        TRY(st);
        tc = progress_now();
        if (i > 0) {
            TRY(slot_save(other, &w, first, has_labels, &correct, ++saved, err));
            progress_update(&prog, other->start + other->count - first);
        }
        rep->t_write += progress_now() - tc;
        if (rep->stop && *rep->stop) { /* finish the batch in flight, save it, stop */
            TRY(slot_wait(cur, err));
            TRY(slot_save(cur, &w, first, has_labels, &correct, ++saved, err));
            rep->images = cur->start + cur->count - first;
            st = err_set(err, CLCAM_ERR_INTERRUPTED, "interrupted by signal %d after %ld of %ld images; "
                         "%s is resumable: run the same command again", (int)*rep->stop, rep->images,
                         count, cfg->output_file);
            goto exit;
        }
        pos += cur->count;
        tc = progress_now();
        if (pos < count) TRY(slot_read(other, &d, first + pos, batch_rows(count, batch, pos), m.classes, err));
        rep->t_read += progress_now() - tc;
        tc = progress_now();
        TRY(slot_wait(cur, err));
        rep->t_wait += progress_now() - tc;
        if (i == 0) rep->t_first_batch = progress_now() - t0;
        last = cur;
    }
    rep->batch = batch;
    tc = progress_now();
    if (last) TRY(slot_save(last, &w, first, has_labels, &correct, ++saved, err));
    rep->t_write += progress_now() - tc;
    progress_update(&prog, count);
    progress_end(&prog);
    TRY(results_finish(&w, err));

    rep->images = count;
    rep->correct = has_labels ? correct : -1;
    rep->seconds = progress_now() - t0;
    if (ctx.prof) {
        rep->profiled = 1;
        rep->d_upload = cl_profile_seconds(&ctx, "upload");
        rep->d_forward = cl_profile_seconds(&ctx, "forward");
        rep->d_backward = cl_profile_seconds(&ctx, "backward");
        rep->d_cam = cl_profile_seconds(&ctx, "cam");
        rep->d_scorecam = cl_profile_seconds(&ctx, "scorecam");
        rep->d_download = cl_profile_seconds(&ctx, "download");
        cl_profile_report(&ctx, stderr);
    }
exit:
    for (int s = 0; s < 2; s++) slot_free(&slots[s]);
    results_close(&w);
    free(yaml);
    explainer_free(&e);
    model_free(&m);
    cl_ctx_free(&ctx);
    dataset_close(&d);
    return st;
}
