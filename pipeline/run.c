#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/dataset.h"
#include "../io/results.h"
#include "../cl/profile.h"
#include "explain.h"
#include "metrics/metric_results.h"
#include "../base/progress.h"
#include "run_loop.h"
#include "tune/tune_batch.h"

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

void run_metric_params(const clcam_config *cfg, metric_params *mp)
{
    memset(mp, 0, sizeof *mp);
    for (int i = 0; i < cfg->cam_n_metrics; i++) {
        int k = metric_find(cfg->cam_metrics[i]);
        if (k >= 0) mp->mask |= 1u << k;
    }
    mp->steps = cfg->cam_metric_steps;
    mp->n_pct = cfg->cam_n_road_percentiles;
    memcpy(mp->pct, cfg->cam_road_percentiles, sizeof(int) * (size_t)mp->n_pct);
    mp->noise = cfg->cam_road_noise;
    mp->seed = (uint32_t)cfg->cam_seed;
    mp->space = cfg->cam_confidence_space;
}

clcam_status run_load(const clcam_config *cfg, dataset_reader *d, model *m, int *t, explain_params *p,
                      long *count, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    *p = (explain_params){.scale = cfg->pre_scale, .target_mode = (int)cfg->cam_target,
                          .target_class = cfg->cam_target_class,
                          .T = cfg->cam_target == CAM_TARGET_TOPK ? cfg->cam_target_k : 1,
                          .seed = (uint32_t)cfg->cam_seed};
    memcpy(p->mean, cfg->pre_mean, sizeof p->mean);
    memcpy(p->std, cfg->pre_std, sizeof p->std);
    TRY(dataset_open(d, cfg->data_file, cfg->data_split, err));
    TRY(model_load_config(m, cfg, (layer_shape){d->c, d->h, d->w}, err));
    TRY(check_inputs(cfg, d, m, count, err));
    TRY(model_check_cam_layer(m, model_cam_layer_name(m, cfg), t, err));
    p->n_methods = cfg->cam_n_methods;
    for (int i = 0; i < p->n_methods; i++) p->methods[i] = cam_method_find(cfg->cam_methods[i]);
    run_metric_params(cfg, &p->metrics);
exit:
    return st;
}

/* `batch: auto`: the size `clcam tune CONFIG` measured for this work on this device, else
 * TUNE_BATCH_DEFAULT. */
static int auto_batch(const cl_ctx *ctx, const model *m, int t, const explain_params *p, run_report *rep)
{
    char key[17];
    int batch;
    tune_batch_key(m, t, p, key);
    if (tune_batch_lookup(ctx, key, &batch)) {
        snprintf(rep->batch_source, sizeof rep->batch_source, "auto: measured by clcam tune");
        return batch;
    }
    snprintf(rep->batch_source, sizeof rep->batch_source, "auto: not measured, the default");
    return TUNE_BATCH_DEFAULT;
}

void run_split_rows(long unit, int part, int parts, long total, long *first, long *count)
{
    long chunks = (total + unit - 1) / unit;
    long c0 = chunks * part / parts, c1 = chunks * (part + 1) / parts;
    *first = c0 * unit < total ? c0 * unit : total;
    *count = (c1 * unit < total ? c1 * unit : total) - *first;
}

clcam_status run_shard_rows(int batch, int shard, int shards, long total, long *first, long *count,
                            clcam_err *err)
{
    long unit = batch > 0 ? batch : TUNE_BATCH_DEFAULT;
    long chunks = (total + unit - 1) / unit;
    if (shard < 0 || shards < 1 || shard >= shards)
        return err_set(err, CLCAM_ERR_USAGE, "--shard %d/%d: needs 0 <= I < K", shard, shards);
    if (shards > chunks)
        return err_set(err, CLCAM_ERR_USAGE, "--shard %d/%d: the run's %ld rows make %ld batches of %ld, so "
                       "%d parts would leave one empty; use at most %ld shards (or a smaller batch)",
                       shard, shards, total, chunks, unit, shards, chunks);
    run_split_rows(unit, shard, shards, total, first, count);
    return CLCAM_OK;
}

/* The next stretch [*a, *b) of rows in unmarked chunks of the file at or after *a, before r1;
 * 0 when there is none. */
static int next_stretch(const results_writer *w, long *a, long r1, long *b)
{
    while (*a < r1 && results_unit_done(w, *a / w->unit)) *a += w->unit;
    for (*b = *a; *b < r1 && !results_unit_done(w, *b / w->unit);) *b += w->unit;
    if (*b > r1) *b = r1;
    return *a < r1;
}

/* Batches to run the unmarked chunks of rows [r0, r1), one run_loop per stretch of them. */
static long rounds_needed(const results_writer *w, long r0, long r1, int batch)
{
    long rounds = 0;
    for (long a = r0, b; next_stretch(w, &a, r1, &b); a = b) rounds += (b - a + batch - 1) / batch;
    return rounds;
}

clcam_status run_explain(const clcam_config *cfg, run_report *rep, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    dataset_reader d = {.file = H5I_INVALID_HID, .images = H5I_INVALID_HID, .labels = H5I_INVALID_HID};
    model m = {0};
    cl_ctx ctx = {0};
    explainer e = {0};
    results_writer w = {.file = H5I_INVALID_HID};
    char *yaml = NULL, *run_yaml = NULL;
    clcam_config *no_file = NULL;
    long rows_first = 0, rows_total = 0, count = 0, correct = 0, rows_done = 0;
    long r0 = 0, r1 = 0, rounds = 0, rounds_done = 0;
    const par_comm one = {.rank = 0, .size = 1}, *par = rep->par ? rep->par : &one;
    char dev_name[sizeof ctx.device_name], plat_name[sizeof ctx.platform_name],
        drv_version[sizeof ctx.driver_version];
    int batch, t = -1, has_labels;
    results_open_kind kind = RESULTS_NEW;
    explain_params p;
    char metric_values[RESULTS_MAX_METRIC_ATTRS][METRIC_ATTR_MAX];
    results_close(&w);
    double t0 = progress_now();

    TRY(run_load(cfg, &d, &m, &t, &p, &count, err));
    rows_total = count;
    if (rep->shards > 0) TRY(run_shard_rows(cfg->batch, rep->shard, rep->shards, rows_total, &rows_first, &count, err));
    has_labels = d.labels >= 0;

    /* under MPI the ranks of a node take the matching devices in turn */
    TRY(cl_ctx_init_turn(&ctx, cfg->device, par->active ? par->local_rank : -1, err));
    snprintf(rep->device, sizeof rep->device, "%s (%s)", ctx.device_name, ctx.platform_name);
    rep->gemm_own = ctx.gemm_own;
    batch = cfg->batch ? cfg->batch : auto_batch(&ctx, &m, t, &p, rep);
    if (batch > count) batch = (int)count;
    TRY(run_device_setup(&ctx, &m, &e, t, &p, &batch, err));
    /* one batch for all ranks (the file's chunks and map entries), and rank 0's device in the
     * file's attributes: every rank writes every attribute with the same value */
    batch = (int)par_min_long(par, batch);
    memcpy(dev_name, ctx.device_name, sizeof dev_name);
    memcpy(plat_name, ctx.platform_name, sizeof plat_name);
    memcpy(drv_version, ctx.driver_version, sizeof drv_version);
    par_bcast(par, dev_name, sizeof dev_name);
    par_bcast(par, plat_name, sizeof plat_name);
    par_bcast(par, drv_version, sizeof drv_version);

    if (!(yaml = config_to_yaml(cfg))) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
    /* what every part of a sharded run shares: the config less its per-part output.file */
    if (rep->shards > 0) {
        if (!(no_file = malloc(sizeof *no_file))) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
        *no_file = *cfg;
        no_file->output_file[0] = '\0';
        if (!(run_yaml = config_to_yaml(no_file))) { st = err_set(err, CLCAM_ERR_NOMEM, "out of memory"); goto exit; }
    }
    {
        results_layout L = {
            .n = count, .classes = m.classes, .has_label = has_labels,
            .cam_h = m.input.h, .cam_w = m.input.w, .raw_h = e.cam.h, .raw_w = e.cam.w,
            .topk = cfg->cam_target == CAM_TARGET_TOPK ? cfg->cam_target_k : 0,
            .chunk_rows = batch, .compression = cfg->output_compression,
            .cam_dtype = (cam_dtype)cfg->output_cam_dtype,
            .n_methods = cfg->cam_n_methods, .config_yaml = yaml, .device = dev_name,
            .platform = plat_name, .driver_version = drv_version,
            .dataset_file = cfg->data_file, .split = cfg->data_split,
            .weights_file = cfg->model_weights, .layer = m.layers[t].name,
            .class_names = (const char *const *)d.class_names, .n_class_names = d.n_class_names,
            .shard = rep->shard, .shards = rep->shards, .rows_first = rows_first,
            .rows_total = rows_total, .run_config = run_yaml, .par = par,
        };
        for (int i = 0; i < cfg->cam_n_methods && i < RESULTS_MAX_METHODS; i++) {
            L.methods[i] = cfg->cam_methods[i];
            L.method_raw_h[i] = e.cam.raw_h[i];
            L.method_raw_w[i] = e.cam.raw_w[i];
        }
        metric_results_layout(&e.metrics, &L, metric_values);
        TRY(results_open(&w, cfg->output_file, &L, rep->overwrite, &kind, &rows_done, err));
    }
    if (kind == RESULTS_COMPLETE) {
        rep->already_complete = 1;
        rep->resumed_from = (int)count;
        rep->images = count;
        rep->correct = -1;
        rep->seconds = progress_now() - t0;
        goto exit;
    }
    /* This rank's rows: whole map entries, contiguous (none for a rank past the last). */
    run_split_rows(w.unit, par->rank, par->size, count, &r0, &r1);
    r1 += r0;
    if (kind == RESULTS_RESUMED) TRY(results_count_correct(&w, r0, r1 - r0, &correct, err));
    rep->resumed_from = (int)results_rows_marked(&w);
    /* Under MPI every rank joins every batch's collective writes: as many rounds as the
     * busiest rank, empty ones after its own. */
    rounds = par_max_long(par, rounds_needed(&w, r0, r1, batch));

    rep->t_setup = progress_now() - t0;
    rep->images = rep->resumed_from;
    for (long a = r0, b; st == CLCAM_OK && next_stretch(&w, &a, r1, &b); a = b) {
        /* rows [a, b) are written in order, each finished chunk marked in the map */
        run_loop L = {
            .ctx = &ctx, .m = &m, .e = &e, .cam_layer = t, .params = &p, .d = &d, .w = &w,
            .first = cfg->data_start + rows_first, .count = b, .pos = a, .batch = batch,
            .correct = correct, .has_labels = has_labels, .quiet = rep->quiet || par->rank != 0,
            .stop = par->active ? NULL : rep->stop, .fixed_batch = par->active,
        };
        st = run_loop_rows(&L, err);
        rounds_done += (L.saved - a + L.batch - 1) / L.batch;
        rep->rows_computed += L.saved - L.pos;
        rep->batch = L.batch;
        rep->t_read += L.t_read;
        rep->t_write += L.t_write;
        rep->t_wait += L.t_wait;
        if (L.t_first_batch > 0 && rep->t_first_batch == 0) rep->t_first_batch = rep->t_setup + L.t_first_batch;
        rep->images += L.saved - L.pos;
        correct = L.correct;
    }
    rep->device_peak_bytes = m.device_bytes;
    TRY(st);
    for (; rounds_done < rounds; rounds_done++) {
        results_batch none = {0};
        TRY(results_write(&w, 0, 0, &none, err));
        TRY(results_mark_done(&w, 0, 0, err));
    }
    correct = par_sum_long(par, correct);
    rep->rows_computed = par_sum_long(par, rep->rows_computed);
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
        rep->d_metrics = cl_profile_seconds(&ctx, "metrics");
        rep->d_download = cl_profile_seconds(&ctx, "download");
        cl_profile_report(&ctx, stderr);
    }
exit:
    results_close(&w);
    free(yaml);
    free(run_yaml);
    free(no_file);
    explainer_free(&e);
    model_free(&m);
    cl_ctx_free(&ctx);
    dataset_close(&d);
    return st;
}
