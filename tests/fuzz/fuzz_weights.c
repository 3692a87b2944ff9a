/* libFuzzer, structure-aware: the bytes choose a SimpleCNN weights file (which tensors exist,
 * their ranks, sizes, types and a few values, NaN and Inf among them), written with HDF5,
 * then loaded by model_load. HDF5's own parser is not the target: the checks on shapes,
 * types and values that clcam does are. */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5util.h"
#include "pipeline/model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned take(reader *r)
{
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *NAMES[] = {"conv1/weight", "conv1/bias", "conv2/weight", "conv2/bias", "conv3/weight",
                                  "conv3/bias", "fc1/weight", "fc1/bias", "fc2/weight", "fc2/bias"};
    /* The shapes a valid file for 16x16 inputs would have, perturbed by the input below. */
    static const hsize_t VALID[10][4] = {{32, 3, 3, 3}, {32}, {64, 32, 3, 3}, {64}, {128, 64, 3, 3}, {128},
                                         {16, 512}, {16}, {10, 16}, {10}};
    static const int RANK[10] = {4, 1, 4, 1, 4, 1, 2, 1, 2, 1};
    static char path[64];
    reader r = {data, size};
    model m;
    clcam_err err = {0};
    hid_t f;
    h5_quiet(0);
    if (!path[0]) snprintf(path, sizeof path, "/tmp/clcam-fuzz-weights-%ld.h5", (long)getpid());
    if ((f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0) return 0;
    for (int i = 0; i < 10; i++) {
        unsigned op = take(&r);
        hsize_t dims[4];
        int rank = RANK[i];
        size_t count = 1;
        if (op % 16 == 1) continue;                       /* missing tensor */
        if (op % 16 == 2) rank = (int)(take(&r) % 4) + 1;  /* another rank */
        for (int d = 0; d < rank; d++) {
            dims[d] = d < RANK[i] ? VALID[i][d] : 1 + take(&r) % 4;
            if (op % 16 == 3 && d == (int)(take(&r) % (unsigned)rank)) dims[d] = take(&r) % 70; /* another size, 0 too */
            count *= dims[d];
        }
        if (count > (1u << 22)) continue;
        hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), sp = H5Screate_simple(rank, dims, NULL);
        hid_t type = op % 16 == 4 ? H5T_STD_I32LE : op % 16 == 5 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE;
        H5Pset_create_intermediate_group(lcpl, 1);
        hid_t ds = H5Dcreate2(f, NAMES[i], type, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        float *v = calloc(count ? count : 1, sizeof *v);
        if (v && count) {
            unsigned where = take(&r);
            v[where % count] = op % 16 == 6 ? NAN : op % 16 == 7 ? INFINITY : (float)(int)take(&r);
        }
        if (ds >= 0 && v) H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        free(v);
        if (ds >= 0) H5Dclose(ds);
        H5Sclose(sp);
        H5Pclose(lcpl);
    }
    H5Fclose(f);
    if (model_load(&m, "simplecnn", path, (layer_shape){3, 16, 16}, &err) == CLCAM_OK) model_free(&m);
    return 0;
}
