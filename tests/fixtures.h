/* Small HDF5 inputs written by the tests: datasets and SimpleCNN-shaped weights. */
#ifndef CLCAM_FIXTURES_H
#define CLCAM_FIXTURES_H

#include <hdf5.h>

/* /<split>/images uint8 [n, h, w, 3] random, /<split>/labels uint8 random in [0, classes),
 * root class_names "c0".."c<classes-1>". Returns 0 on success. */
int fixture_dataset(const char *path, const char *split, int n, int h, int w, int classes,
                    unsigned seed);

/* SimpleCNN weights for (h, w) inputs: conv 3->8->12->16 (3x3 pad 1), fc1 -> hidden,
 * fc2 -> classes; uniform values scaled like PyTorch's default init. */
int fixture_simplecnn(const char *path, int h, int w, int hidden, int classes, unsigned seed);

/* A folder for `clcam run`: dir/data.h5 (split "test", n images h x w, `classes` classes),
 * dir/weights.h5 (SimpleCNN, fc1 -> hidden) and dir/cfg.yaml with `batch: <batch>` (a number
 * or auto) reading them. seed drives both files. Returns 0 on success. */
int fixture_run_dir(const char *dir, int n, int h, int w, int classes, int hidden,
                    const char *batch, unsigned seed);

/* Writes one float32 dataset (creating groups on the way). */
int fixture_write_floats(hid_t file, const char *name, int rank, const hsize_t *dims,
                         const float *data);

/* Runs a shell command, captures stderr (first line) into msg; returns the exit status. */
int fixture_run(const char *cmd, char *msg, size_t msg_size);

#endif
