/* The run configuration: YAML file plus --set overrides, validated. */
#ifndef CLCAM_CONFIG_H
#define CLCAM_CONFIG_H

#include "../base/error.h"

#define CONFIG_PATH_MAX 1024
#define CONFIG_NAME_MAX 64
#define CONFIG_METHODS_MAX 16
#define CONFIG_METRICS_MAX 7
#define CONFIG_PERCENTILES_MAX 9

typedef enum { CAM_TARGET_PREDICTED, CAM_TARGET_LABEL, CAM_TARGET_CLASS, CAM_TARGET_TOPK } cam_target_kind;

#define CONFIG_TOPK_MAX 16
#define CONFIG_LAYERS_MAX 64
#define CONFIG_INPUTS_MAX 8

/* One entry of model.layers. Numbers are -1 (eps < 0) where the entry leaves them out. */
typedef struct {
    char type[16];                    /* conv, batchnorm, relu, maxpool, avgpool, flatten, dropout,
                                       * linear, clip, pad, add, concat, identity */
    char name[CONFIG_NAME_MAX];       /* the state_dict prefix, unique: features.0 */
    int out;                          /* conv, linear: >= 1, checked against the weights */
    int kernel, stride, padding;      /* conv, maxpool, avgpool: kernel, stride >= 1; padding >= 0 */
    int bias;                         /* conv: 0 (bias: false) or 1 */
    int global;                       /* avgpool: 1 pools the whole plane */
    float eps;                        /* batchnorm: > 0 */
    int groups;                       /* conv: >= 1, dividing in and out channels */
    float min, max;                   /* clip: NAN where absent (no bound) */
    int count_include_pad;            /* avgpool: 0 or 1 (PyTorch's default, true) */
    int pads[4];                      /* pad: top, left, bottom, right, >= 0 */
    /* inputs: names of earlier entries (or "input", the network's) this one reads; none given
     * (n_inputs 0): the previous entry's output. Checked: names exist and come earlier. */
    char inputs[CONFIG_INPUTS_MAX][CONFIG_NAME_MAX];
    int n_inputs;
} config_layer;

/* train.lr.schedule */
typedef enum { LR_ONECYCLE, LR_COSINE, LR_CONSTANT } lr_schedule_kind;

typedef struct {
    char device[CONFIG_NAME_MAX * 2]; /* device SPEC, default "any" */
    int batch;                        /* images per pass, >= 1; 0: auto (the default) */

    char data_file[CONFIG_PATH_MAX];  /* default "data/cifar10.h5" */
    char data_split[CONFIG_NAME_MAX]; /* default "test" */
    long data_start;                  /* >= 0, default 0 */
    long data_count;                  /* -1 means "all", else >= 1 */

    float pre_scale;                  /* default 1/255 */
    float pre_mean[3];                /* default CIFAR-10's */
    float pre_std[3];                 /* each > 0 */

    char model_weights[CONFIG_PATH_MAX]; /* default "models/simplecnn_cifar10.h5" */
    char model_arch[CONFIG_NAME_MAX];    /* "simplecnn", or "layers" when model.layers is given */
    config_layer model_layers[CONFIG_LAYERS_MAX]; /* model.layers, in order; default none */
    int model_n_layers;
    char model_onnx[CONFIG_PATH_MAX];    /* model.onnx: graph and weights from it; default "" (none) */

    char cam_methods[CONFIG_METHODS_MAX][CONFIG_NAME_MAX]; /* default {"gradcam"} */
    int cam_n_methods;
    char cam_layer[128];                 /* default "conv3"; ONNX tensor names are long */
    cam_target_kind cam_target;          /* default predicted */
    int cam_target_class;                /* when CAM_TARGET_CLASS, >= 0 */
    int cam_target_k;                    /* when CAM_TARGET_TOPK, 1..CONFIG_TOPK_MAX */
    /* Faithfulness metrics (issue 15): names from the list in io/config_keys.c, default none. */
    char cam_metrics[CONFIG_METRICS_MAX][CONFIG_NAME_MAX];
    int cam_n_metrics;
    int cam_metric_steps;                /* deletion/insertion steps K, 2..256, default 16 */
    int cam_road_percentiles[CONFIG_PERCENTILES_MAX]; /* ascending, in 1..99; default 20..80 */
    int cam_n_road_percentiles;
    float cam_road_noise;                /* >= 0, default 0.01 (ROAD's) */
    int cam_confidence_space;            /* 0 normalised (default), 1 image */
    long cam_seed;                       /* 0..2^32-1, default 0: ROAD's noise, `random` maps */

    char output_file[CONFIG_PATH_MAX];   /* default "results/cifar10_test_gradcam.h5" */
    int output_compression;              /* 0..9, default 4 */
    int output_cam_dtype;                /* a cam_dtype (io/cam_store.h): 0 float32 (default),
                                          * 1 float16, 2 uint8 */

    /* train: what `clcam train` does (ignored by `run`) */
    char train_split[CONFIG_NAME_MAX];   /* default "train" */
    int train_epochs;                    /* >= 1, default 18 */
    int train_batch;                     /* >= 1, default 128 */
    lr_schedule_kind train_lr_schedule;  /* default onecycle */
    float train_lr_max;                  /* > 0, default 0.05 */
    float train_lr_warmup;               /* fraction of all steps in [0, 1), default 0.15 */
    float train_momentum;                /* [0, 1), default 0.9 */
    int train_nesterov;                  /* default 1 */
    float train_weight_decay;            /* >= 0, default 5e-4 */
    int train_crop_pad;                  /* 0..64, default 4 */
    int train_flip;                      /* default 1 */
    long train_seed;                     /* 0..2^32-1, default 0 */
    char train_eval_split[CONFIG_NAME_MAX]; /* default "test"; "none" skips evaluation */
    char train_output[CONFIG_PATH_MAX];  /* default "models/simplecnn_cifar10.h5" */
    char train_init[CONFIG_PATH_MAX];    /* initial weights file, "none" (default): PyTorch's init */
} clcam_config;

/* Fills cfg with the contract's defaults. */
void config_defaults(clcam_config *cfg);

/* Loads path (NULL: defaults only), then applies each "key.path=value" of sets in order.
 * Errors (exit 2 class, CLCAM_ERR_INPUT / CLCAM_ERR_USAGE) name the file, line and key. */
clcam_status config_load(const char *path, const char *const *sets, int n_sets,
                         clcam_config *cfg, clcam_err *err);

/* The effective config as YAML, malloc'd, NUL-terminated; NULL on out of memory. */
char *config_to_yaml(const clcam_config *cfg);

#endif
