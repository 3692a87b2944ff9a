#include "train_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../io/h5util.h"
#include "../../io/weights.h"

#define TRAIN_STATE "train_state/momentum"

/* "features.0" -> "prefix/features/0/param" (prefix may be ""). */
static void train_param_path(char *buf, size_t n, const char *prefix, const char *layer_name,
                             const char *param)
{
    snprintf(buf, n, "%s%s%s/%s", prefix, *prefix ? "/" : "", layer_name, param);
    for (char *p = buf; *p; p++)
        if (*p == '.') *p = '/';
}

static int layer_has_params(const layer *l)
{
    return l->kind == LAYER_CONV || l->kind == LAYER_LINEAR || l->bn_train;
}

/* The PyTorch shape of a layer's weight: [out, in, k, k], [out, in], or batchnorm's [C]. */
static int weight_dims(const layer *l, hsize_t *dims)
{
    dims[0] = (hsize_t)l->out_features;
    if (l->kind == LAYER_BATCHNORM) return 1;
    dims[1] = (hsize_t)l->in.c;
    dims[2] = dims[3] = (hsize_t)l->kernel;
    return l->kind == LAYER_CONV ? 4 : 2;
}

static clcam_status write_floats(hid_t file, const char *fname, const char *name, int rank,
                                 const hsize_t *dims, const float *data, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t lcpl = H5I_INVALID_HID, space = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    if ((lcpl = H5Pcreate(H5P_LINK_CREATE)) < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0 ||
        (space = H5Screate_simple(rank, dims, NULL)) < 0 ||
        (ds = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: cannot write /%s", fname, name);
    if (ds >= 0) H5Dclose(ds);
    if (space >= 0) H5Sclose(space);
    if (lcpl >= 0) H5Pclose(lcpl);
    return st;
}

static clcam_status write_attr(hid_t file, const char *fname, const char *name, hid_t file_type,
                               hid_t mem_type, hsize_t n, const void *value, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (space < 0 || (a = H5Acreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, mem_type, value) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: cannot write attribute %s", fname, name);
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    return st;
}

static clcam_status write_meta(hid_t f, const char *fname, const train_meta *meta, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    TRY(write_attr(f, fname, "input_mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, meta->mean, err));
    TRY(write_attr(f, fname, "input_std", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, meta->std, err));
    TRY(h5_attr_write_string(f, "training_config", meta->config_yaml, err));
    TRY(h5_attr_write_int(f, "epochs", meta->epochs, err));
    TRY(write_attr(f, fname, "seed", H5T_STD_U32LE, H5T_NATIVE_UINT32, 0, &meta->seed, err));
    TRY(write_attr(f, fname, "final_train_loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                   &meta->train_loss, err));
    TRY(write_attr(f, fname, "train_accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                   &meta->train_accuracy, err));
    if (meta->test_accuracy >= 0)
        TRY(write_attr(f, fname, "test_accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                       &meta->test_accuracy, err));
exit:
    return st;
}

clcam_status train_file_write(const char *path, const model *m, float *const *momentum_w,
                              float *const *momentum_b, const train_meta *meta, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t f = H5I_INVALID_HID;
    char tmp[1100], name[300];
    hsize_t dims[4];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if ((f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot create (%s)", tmp, strerror(errno));
        goto exit;
    }
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = &m->layers[i];
        int rank;
        if (!layer_has_params(l)) continue;
        rank = weight_dims(l, dims);
        train_param_path(name, sizeof name, "", l->name, "weight");
        TRY(write_floats(f, tmp, name, rank, dims, l->weight, err));
        if (momentum_w) {
            train_param_path(name, sizeof name, TRAIN_STATE, l->name, "weight");
            TRY(write_floats(f, tmp, name, rank, dims, momentum_w[i], err));
        }
        if (l->no_bias) continue;
        train_param_path(name, sizeof name, "", l->name, "bias");
        TRY(write_floats(f, tmp, name, 1, dims, l->bias, err));
        if (momentum_b) {
            train_param_path(name, sizeof name, TRAIN_STATE, l->name, "bias");
            TRY(write_floats(f, tmp, name, 1, dims, momentum_b[i], err));
        }
        if (l->bn_train) { /* the running statistics, as PyTorch's state_dict */
            train_param_path(name, sizeof name, "", l->name, "running_mean");
            TRY(write_floats(f, tmp, name, 1, dims, l->running_mean, err));
            train_param_path(name, sizeof name, "", l->name, "running_var");
            TRY(write_floats(f, tmp, name, 1, dims, l->running_var, err));
        }
    }
    TRY(write_meta(f, tmp, meta, err));
    if (H5Fclose(f) < 0) {
        f = H5I_INVALID_HID;
        st = err_set(err, CLCAM_ERR_IO, "%s: closing failed (disk full?)", tmp);
        goto exit;
    }
    f = H5I_INVALID_HID;
    if (rename(tmp, path) != 0)
        st = err_set(err, CLCAM_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
exit:
    if (f >= 0) H5Fclose(f);
    if (st != CLCAM_OK) unlink(tmp);
    return st;
}

static clcam_status read_attr(hid_t f, const char *fname, const char *name, hid_t mem_type,
                              void *out, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t a = H5I_INVALID_HID;
    if (H5Aexists(f, name) <= 0 || (a = H5Aopen(f, name, H5P_DEFAULT)) < 0 ||
        H5Aread(a, mem_type, out) < 0)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: checkpoint attribute %s is missing or unreadable "
                     "(delete the file to start over)", fname, name);
    if (a >= 0) H5Aclose(a);
    return st;
}

static clcam_status read_param(hid_t f, const char *fname, const char *name, int rank,
                               const hsize_t *dims, float *dst, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    long expect[4], got[4];
    float *buf = NULL;
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        expect[i] = (long)dims[i];
        n *= dims[i];
    }
    TRY(weights_read(f, fname, name, rank, expect, got, &buf, err));
    memcpy(dst, buf, n * sizeof *dst);
exit:
    free(buf);
    return st;
}

clcam_status train_checkpoint_read(const char *path, model *m, float **momentum_w,
                                   float **momentum_b, const char *config_yaml, train_meta *meta,
                                   int *found, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t f = H5I_INVALID_HID;
    char **cfg = NULL, name[300];
    int n_cfg = 0;
    hsize_t dims[4];
    *found = 0;
    if (access(path, F_OK) != 0) goto exit;
    *found = 1;
    TRY(h5_open_read(path, "checkpoint", &f, err));
    if (H5Aexists(f, "training_config") > 0)
        TRY(h5_attr_read_strings(f, path, "training_config", &cfg, &n_cfg, err));
    if (n_cfg != 1 || strcmp(cfg[0], config_yaml) != 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: a checkpoint of a different training config; "
                     "delete it to start over, or train with the config it was made with", path);
        goto exit;
    }
    TRY(read_attr(f, path, "epochs", H5T_NATIVE_INT, &meta->epochs, err));
    TRY(read_attr(f, path, "final_train_loss", H5T_NATIVE_DOUBLE, &meta->train_loss, err));
    TRY(read_attr(f, path, "train_accuracy", H5T_NATIVE_DOUBLE, &meta->train_accuracy, err));
    meta->test_accuracy = -1.0;
    if (H5Aexists(f, "test_accuracy") > 0)
        TRY(read_attr(f, path, "test_accuracy", H5T_NATIVE_DOUBLE, &meta->test_accuracy, err));
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        int rank;
        if (!layer_has_params(l)) continue;
        rank = weight_dims(l, dims);
        train_param_path(name, sizeof name, "", l->name, "weight");
        TRY(read_param(f, path, name, rank, dims, l->weight, err));
        train_param_path(name, sizeof name, TRAIN_STATE, l->name, "weight");
        TRY(read_param(f, path, name, rank, dims, momentum_w[i], err));
        if (l->bn_train) {
            train_param_path(name, sizeof name, "", l->name, "running_mean");
            TRY(read_param(f, path, name, 1, dims, l->running_mean, err));
            train_param_path(name, sizeof name, "", l->name, "running_var");
            TRY(read_param(f, path, name, 1, dims, l->running_var, err));
        }
        if (l->no_bias) continue;
        train_param_path(name, sizeof name, "", l->name, "bias");
        TRY(read_param(f, path, name, 1, dims, l->bias, err));
        train_param_path(name, sizeof name, TRAIN_STATE, l->name, "bias");
        TRY(read_param(f, path, name, 1, dims, momentum_b[i], err));
    }
exit:
    h5_strings_free(cfg, n_cfg);
    if (f >= 0) H5Fclose(f);
    return st;
}
