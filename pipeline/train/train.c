/* The training loop: data in host memory, a seeded shuffle per epoch, one device step per
 * batch, evaluation and a checkpoint after every epoch, the weights file at the end. */
#include "train.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cl/profile.h"
#include "../../io/dataset.h"
#include "../../base/fault.h"
#include "../model/model.h"
#include "../../base/progress.h"
#include "train_io.h"
#include "train_rng.h"
#include "train_schedule.h"
#include "train_step.h"

/* A whole split in host memory. */
typedef struct {
    long n;
    uint8_t *images;
    int32_t *labels;
} split_data;

static clcam_status split_load(const char *path, const char *split, split_data *s, layer_shape *in,
                               int *n_class_names, int *max_label, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    dataset_reader d = {.file = H5I_INVALID_HID, .images = H5I_INVALID_HID, .labels = H5I_INVALID_HID};
    size_t px;
    TRY(dataset_open(&d, path, split, err));
    if (d.labels < 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: split %s has no labels to train or evaluate on",
                     path, split);
        goto exit;
    }
    if (d.n > INT_MAX) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: split %s has too many images", path, split);
        goto exit;
    }
    *in = (layer_shape){d.c, d.h, d.w};
    px = (size_t)layer_shape_size(*in);
    s->n = d.n;
    if (!(s->images = malloc(px * (size_t)d.n)) || !(s->labels = malloc(sizeof(int32_t) * (size_t)d.n))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "out of memory for %s split %s (%ld images)", path, split, d.n);
        goto exit;
    }
    TRY(dataset_read(&d, 0, (int)d.n, s->images, s->labels, INT_MAX, err));
    *n_class_names = d.n_class_names;
    *max_label = 0;
    for (long i = 0; i < d.n; i++)
        if (s->labels[i] > *max_label) *max_label = s->labels[i];
exit:
    dataset_close(&d);
    return st;
}

static void split_free(split_data *s)
{
    free(s->images);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

/* PyTorch's default init of Conv2d and Linear: kaiming_uniform_(a=sqrt(5)) for the weight,
 * which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias; every value a
 * hash of (seed, parameter, element). */
static void init_params(model *m, uint32_t seed)
{
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        float bound;
        if (!LAYER_OPS[l->kind]->backward_params || l->kind == LAYER_BATCHNORM)
            continue; /* batchnorm starts at PyTorch's 1, 0 (model_build) */
        bound = 1.0f / sqrtf((float)(l->n_weight / l->out_features));
        for (int j = 0; j < l->n_weight; j++)
            l->weight[j] = train_uniform(train_hash4(seed, TRAIN_RNG_INIT, 2u * i, (uint32_t)j), -bound, bound);
        for (int j = 0; j < l->n_bias; j++)
            l->bias[j] = l->no_bias ? 0.0f
                                    : train_uniform(train_hash4(seed, TRAIN_RNG_INIT, 2u * i + 1u, (uint32_t)j),
                                                    -bound, bound);
    }
}

static clcam_status model_setup(const clcam_config *cfg, model *m, layer_shape in, int classes,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    if (strcmp(cfg->train_init, "none") == 0) {
        TRY(model_init_config(m, cfg, in, classes, err));
        init_params(m, (uint32_t)cfg->train_seed);
    } else {
        clcam_config c = *cfg;
        snprintf(c.model_weights, sizeof c.model_weights, "%s", cfg->train_init);
        TRY(model_load_config_mode(m, &c, in, 1, err));
        if (m->classes != classes) {
            st = err_set(err, CLCAM_ERR_INPUT, "train.init: %s has %d outputs, the dataset %s has %d "
                         "classes", cfg->train_init, m->classes, cfg->data_file, classes);
            goto exit;
        }
    }
exit:
    return st;
}

static void fmt_duration(char *buf, size_t n, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
}

clcam_status train_run(const clcam_config *cfg, train_report *rep, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    split_data tr = {0}, ev = {0};
    layer_shape in, ein;
    model m = {0};
    cl_ctx ctx = {0};
    trainer t = {0};
    float *mom_w[MODEL_MAX_LAYERS] = {NULL}, *mom_b[MODEL_MAX_LAYERS] = {NULL};
    int32_t *perm = NULL, *bl = NULL;
    uint8_t *bimg = NULL;
    char *yaml = NULL, ckpt[CONFIG_PATH_MAX + 8];
    int names = 0, max_label = 0, enames = 0, emax = 0, classes, batch, found = 0, start_epoch = 0;
    int has_eval = strcmp(cfg->train_eval_split, "none") != 0;
    long steps_per_epoch, total_steps;
    size_t px;
    train_meta meta = {0};
    double t0 = progress_now();

    rep->test_accuracy = -1.0;
    TRY(split_load(cfg->data_file, cfg->train_split, &tr, &in, &names, &max_label, err));
    classes = names ? names : max_label + 1;
    if (classes < 2) classes = 2;
    if (max_label >= classes) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: label %d in split %s, but %d class_names", cfg->data_file,
                     max_label, cfg->train_split, classes);
        goto exit;
    }
    if (has_eval) {
        TRY(split_load(cfg->data_file, cfg->train_eval_split, &ev, &ein, &enames, &emax, err));
        if (ein.c != in.c || ein.h != in.h || ein.w != in.w || emax >= classes) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: split %s (%dx%dx%d, labels up to %d) does not match "
                         "split %s (%dx%dx%d, %d classes)", cfg->data_file, cfg->train_eval_split, ein.h,
                         ein.w, ein.c, emax, cfg->train_split, in.h, in.w, in.c, classes);
            goto exit;
        }
    }
    TRY(model_setup(cfg, &m, in, classes, err));
    batch = cfg->train_batch < tr.n ? cfg->train_batch : (int)tr.n;
    steps_per_epoch = (tr.n + batch - 1) / batch;
    total_steps = steps_per_epoch * cfg->train_epochs;
    px = (size_t)layer_shape_size(in);
    for (int i = 0; i < m.n_layers; i++) {
        if (!LAYER_OPS[m.layers[i].kind]->backward_params) continue;
        if (!(mom_w[i] = calloc((size_t)m.layers[i].n_weight, sizeof(float))) ||
            !(mom_b[i] = calloc((size_t)m.layers[i].n_bias, sizeof(float)))) {
            st = err_set(err, CLCAM_ERR_NOMEM, "out of memory for momentum");
            goto exit;
        }
    }
    if (!(perm = malloc(sizeof(int32_t) * (size_t)tr.n)) || !(bl = malloc(sizeof(int32_t) * 2 * (size_t)batch)) ||
        !(bimg = malloc(px * (size_t)batch)) || !(yaml = config_to_yaml(cfg))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "out of memory");
        goto exit;
    }

    /* Resume: the checkpoint holds weights, momentum and the epochs done; the RNG is
     * counter-based, so nothing else is needed to continue exactly. */
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", cfg->train_output);
    meta.config_yaml = yaml;
    meta.mean = cfg->pre_mean;
    meta.std = cfg->pre_std;
    meta.seed = (uint32_t)cfg->train_seed;
    if (rep->max_steps <= 0) TRY(train_checkpoint_read(ckpt, &m, mom_w, mom_b, yaml, &meta, &found, err));
    if (found) {
        start_epoch = meta.epochs;
        rep->train_loss = meta.train_loss;
        rep->train_accuracy = meta.train_accuracy;
        rep->test_accuracy = meta.test_accuracy;
        if (!rep->quiet)
            fprintf(stderr, "clcam train: resuming from %s after epoch %d\n", ckpt, meta.epochs);
    }

    TRY(cl_ctx_init(&ctx, cfg->device, err));
    snprintf(rep->device, sizeof rep->device, "%s (%s)", ctx.device_name, ctx.platform_name);
    TRY(model_upload(&ctx, &m, batch, err));
    TRY(trainer_init(&ctx, &t, &m, batch, cfg->pre_scale, cfg->pre_mean, cfg->pre_std, mom_w, mom_b, err));
    if (!rep->quiet)
        fprintf(stderr, "clcam train: %ld images of %s split %s, %d epochs of %ld steps (batch %d), "
                "device %s\n", tr.n, cfg->data_file, cfg->train_split, cfg->train_epochs,
                steps_per_epoch, batch, rep->device);

    rep->resumed_epoch = start_epoch; /* where the loop starts, for --stats and the tests */
    for (int epoch = start_epoch; epoch < cfg->train_epochs; epoch++) {
        double te = progress_now(), loss_sum = 0.0;
        long correct = 0, seen = 0, ecorrect = 0;
        train_step_params p = {.momentum = cfg->train_momentum, .weight_decay = cfg->train_weight_decay,
                               .nesterov = cfg->train_nesterov, .crop_pad = cfg->train_crop_pad,
                               .flip = cfg->train_flip, .seed = (uint32_t)cfg->train_seed,
                               .epoch = (uint32_t)epoch};
        train_shuffle(perm, tr.n, p.seed, p.epoch);
        for (long s = 0; s < steps_per_epoch; s++) {
            int b = (int)(tr.n - s * batch < batch ? tr.n - s * batch : batch);
            int32_t *idx = bl + batch;
            for (int i = 0; i < b; i++) {
                idx[i] = perm[s * batch + i];
                bl[i] = tr.labels[idx[i]];
                memcpy(bimg + px * i, tr.images + px * (size_t)idx[i], px);
            }
            p.lr = (float)train_lr(cfg->train_lr_schedule, cfg->train_lr_max, cfg->train_lr_warmup,
                                   (long)epoch * steps_per_epoch + s, total_steps);
            TRY(trainer_step(&ctx, &t, bimg, bl, idx, b, &p, &loss_sum, &correct, err));
            seen += b;
            rep->steps++;
            rep->images += b;
            fault_point("train_step", (int)rep->steps);
            if (rep->max_steps > 0 && rep->steps >= rep->max_steps) {
                rep->train_seconds += progress_now() - te;
                rep->train_loss = loss_sum / seen;
                rep->train_accuracy = (double)correct / seen;
                goto done;
            }
            if (rep->stop && *rep->stop) {
                st = err_set(err, CLCAM_ERR_INTERRUPTED, "interrupted by signal %d in epoch %d; %s",
                             (int)*rep->stop, epoch + 1, epoch > 0 || found ? "the same command resumes "
                             "from the last epoch's checkpoint" : "no epoch was finished yet");
                goto exit;
            }
        }
        rep->train_seconds += progress_now() - te;
        rep->train_loss = loss_sum / seen;
        rep->train_accuracy = (double)correct / seen;
        double tr_s = progress_now() - te;
        if (has_eval) {
            for (long s = 0; s < ev.n; s += batch) {
                int b = (int)(ev.n - s < batch ? ev.n - s : batch);
                TRY(trainer_eval(&ctx, &t, ev.images + px * (size_t)s, ev.labels + s, b, &ecorrect, err));
            }
            rep->test_accuracy = (double)ecorrect / ev.n;
        }
        rep->epochs_done = epoch + 1;
        TRY(trainer_download(&ctx, &t, mom_w, mom_b, err));
        meta.epochs = epoch + 1;
        meta.train_loss = rep->train_loss;
        meta.train_accuracy = rep->train_accuracy;
        meta.test_accuracy = rep->test_accuracy;
        TRY(train_file_write(ckpt, &m, mom_w, mom_b, &meta, err));
        fault_point("train_checkpoint", epoch + 1);
        if (!rep->quiet) {
            char eta[32], acc[128] = "";
            double el = progress_now() - te;
            fmt_duration(eta, sizeof eta, el * (cfg->train_epochs - epoch - 1));
            if (has_eval) snprintf(acc, sizeof acc, "  %s acc %.2f%%", cfg->train_eval_split, 100.0 * rep->test_accuracy);
            fprintf(stderr, "clcam train: epoch %d/%d  loss %.4f  train acc %.2f%%%s  %.0f img/s  "
                    "%.1f s  ETA %s\n", epoch + 1, cfg->train_epochs, rep->train_loss,
                    100.0 * rep->train_accuracy, acc, seen / tr_s, el, eta);
        }
    }
    /* The final weights (also when a resumed checkpoint was already complete). */
    if (start_epoch < cfg->train_epochs) TRY(trainer_download(&ctx, &t, mom_w, mom_b, err));
    meta.epochs = cfg->train_epochs;
    meta.train_loss = rep->train_loss;
    meta.train_accuracy = rep->train_accuracy;
    meta.test_accuracy = rep->test_accuracy;
    rep->epochs_done = cfg->train_epochs;
    TRY(train_file_write(cfg->train_output, &m, NULL, NULL, &meta, err));
    unlink(ckpt);
done:
    rep->seconds = progress_now() - t0;
    if (ctx.prof) cl_profile_report(&ctx, stderr);
exit:
    free(perm);
    free(bl);
    free(bimg);
    free(yaml);
    for (int i = 0; i < MODEL_MAX_LAYERS; i++) {
        free(mom_w[i]);
        free(mom_b[i]);
    }
    trainer_free(&t);
    model_free(&m);
    cl_ctx_free(&ctx);
    split_free(&tr);
    split_free(&ev);
    return st;
}
