#include "fixtures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

int fixture_write_floats(hid_t file, const char *name, int rank, const hsize_t *dims,
                         const float *data)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), space = H5Screate_simple(rank, dims, NULL), ds;
    int rc = -1;
    H5Pset_create_intermediate_group(lcpl, 1);
    ds = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0) rc = 0;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    H5Pclose(lcpl);
    return rc;
}

int fixture_dataset(const char *path, const char *split, int n, int h, int w, int classes,
                    unsigned seed)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), lcpl, sp, ds, t, a;
    hsize_t dims[4] = {(hsize_t)n, (hsize_t)h, (hsize_t)w, 3}, nc = (hsize_t)classes;
    unsigned char *img = malloc((size_t)n * h * w * 3), *lab = malloc((size_t)n);
    char name[128], **names = calloc((size_t)classes, sizeof *names);
    int rc = f < 0 ? -1 : 0;
    for (size_t i = 0; i < (size_t)n * h * w * 3; i++) {
        seed = seed * 1664525u + 1013904223u;
        img[i] = (unsigned char)(seed >> 24);
    }
    for (int i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        lab[i] = (unsigned char)((seed >> 16) % (unsigned)classes);
    }
    lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    snprintf(name, sizeof name, "/%s/images", split);
    sp = H5Screate_simple(4, dims, NULL);
    ds = H5Dcreate2(f, name, H5T_STD_U8LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0 || H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, img) < 0) rc = -1;
    H5Dclose(ds);
    H5Sclose(sp);
    snprintf(name, sizeof name, "/%s/labels", split);
    sp = H5Screate_simple(1, dims, NULL);
    ds = H5Dcreate2(f, name, H5T_STD_U8LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0 || H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab) < 0) rc = -1;
    H5Dclose(ds);
    H5Sclose(sp);
    for (int i = 0; i < classes; i++) {
        names[i] = malloc(16);
        snprintf(names[i], 16, "c%d", i);
    }
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    sp = H5Screate_simple(1, &nc, NULL);
    a = H5Acreate2(f, "class_names", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, t, names) < 0) rc = -1;
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    H5Pclose(lcpl);
    if (H5Fclose(f) < 0) rc = -1;
    for (int i = 0; i < classes; i++) free(names[i]);
    free(names), free(img), free(lab);
    return rc;
}

static int write_param(hid_t f, const char *name, int rank, const hsize_t *dims, int fan_in,
                       unsigned *seed)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    float *x = malloc(n * sizeof *x);
    float b = 1.0f / sqrtf((float)fan_in);
    test_fill_uniform(x, n, -b, b, seed);
    int rc = fixture_write_floats(f, name, rank, dims, x);
    free(x);
    return rc;
}

int fixture_simplecnn(const char *path, int h, int w, int hidden, int classes, unsigned seed)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const int ch[4] = {3, 8, 12, 16};
    int rc = f < 0 ? -1 : 0, flat;
    char name[64];
    for (int i = 0; i < 3; i++) {
        hsize_t wd[4] = {(hsize_t)ch[i + 1], (hsize_t)ch[i], 3, 3}, bd[1] = {(hsize_t)ch[i + 1]};
        snprintf(name, sizeof name, "/conv%d/weight", i + 1);
        rc |= write_param(f, name, 4, wd, ch[i] * 9, &seed);
        snprintf(name, sizeof name, "/conv%d/bias", i + 1);
        rc |= write_param(f, name, 1, bd, ch[i] * 9, &seed);
        h /= 2;
        w /= 2;
    }
    flat = ch[3] * h * w;
    {
        hsize_t w1[2] = {(hsize_t)hidden, (hsize_t)flat}, b1[1] = {(hsize_t)hidden};
        hsize_t w2[2] = {(hsize_t)classes, (hsize_t)hidden}, b2[1] = {(hsize_t)classes};
        rc |= write_param(f, "/fc1/weight", 2, w1, flat, &seed);
        rc |= write_param(f, "/fc1/bias", 1, b1, flat, &seed);
        rc |= write_param(f, "/fc2/weight", 2, w2, hidden, &seed);
        rc |= write_param(f, "/fc2/bias", 1, b2, hidden, &seed);
    }
    if (f >= 0 && H5Fclose(f) < 0) rc = -1;
    return rc;
}

int fixture_run(const char *cmd, char *msg, size_t msg_size)
{
    char full[4096];
    FILE *p;
    int status;
    snprintf(full, sizeof full, "%s 2>&1 >/dev/null", cmd);
    if (!(p = popen(full, "r"))) return -1;
    msg[0] = '\0';
    if (!fgets(msg, (int)msg_size, p)) msg[0] = '\0';
    while (fgetc(p) != EOF) {}
    status = pclose(p);
    msg[strcspn(msg, "\n")] = '\0';
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int fixture_run_dir(const char *dir, int n, int h, int w, int classes, int hidden,
                    const char *batch, unsigned seed)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/data.h5", dir);
    if (fixture_dataset(path, "test", n, h, w, classes, seed) != 0) return -1;
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    if (fixture_simplecnn(path, h, w, hidden, classes, seed + 1u) != 0) return -1;
    snprintf(path, sizeof path, "%s/cfg.yaml", dir);
    if (!(f = fopen(path, "w"))) return -1;
    fprintf(f, "batch: %s\ndata: {file: data.h5}\nmodel: {weights: weights.h5}\n", batch);
    return fclose(f) == 0 ? 0 : -1;
}
