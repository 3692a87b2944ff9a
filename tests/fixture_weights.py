"""Random SimpleCNN weights in the weights layout (docs/file_formats.md), for tests that need a
model file but not a trained one, and the small run that shard_merge.py and mpi_run.py compare
across processes. Needs h5py and numpy (the caller checks)."""
import os

import h5py
import numpy as np

# 23 rows in batches of 4 (the last one partial), two methods, two metrics
SMALL_ROWS, SMALL_BATCH = 23, 4
SMALL_SETS = ["--set", f"data.count={SMALL_ROWS}", "--set", f"batch={SMALL_BATCH}", "--set",
              "cam.methods=[gradcam, layercam]", "--set", "cam.metrics=[confidence_drop, deletion]",
              "--set", "cam.metric_steps=4"]

SIMPLECNN_SHAPES = [("conv1", (32, 3, 3, 3)), ("conv2", (64, 32, 3, 3)),
                    ("conv3", (128, 64, 3, 3)), ("fc1", (512, 2048)), ("fc2", (10, 512))]


def write_simplecnn_weights(path, rng):
    """Weights scaled by 1/sqrt(fan-in) and small biases, drawn from rng."""
    with h5py.File(path, "w") as f:
        for n, s in SIMPLECNN_SHAPES:
            f[f"{n}/weight"] = (rng.standard_normal(s) / np.sqrt(np.prod(s[1:]))).astype(np.float32)
            f[f"{n}/bias"] = rng.uniform(-0.1, 0.1, s[0]).astype(np.float32)


def write_small_run(tmp, rng):
    """tmp/data/cifar10.h5 (30 random 32x32 images of 10 classes), tmp/models/simplecnn_cifar10.h5
    (random weights) and an empty tmp/run.yaml: every key comes from SMALL_SETS and --set."""
    os.makedirs(os.path.join(tmp, "data"))
    os.makedirs(os.path.join(tmp, "models"))
    with h5py.File(os.path.join(tmp, "data", "cifar10.h5"), "w") as f:
        f["test/images"] = rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8)
        f["test/labels"] = rng.integers(0, 10, 30).astype(np.uint8)
        f.attrs["class_names"] = [f"c{i}" for i in range(10)]
    write_simplecnn_weights(os.path.join(tmp, "models", "simplecnn_cifar10.h5"), rng)
    with open(os.path.join(tmp, "run.yaml"), "w"):
        pass
