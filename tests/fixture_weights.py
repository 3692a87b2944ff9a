"""Random SimpleCNN weights in the weights layout (docs/file_formats.md), for tests that need a
model file but not a trained one. Needs h5py and numpy (the caller checks)."""
import h5py
import numpy as np

SIMPLECNN_SHAPES = [("conv1", (32, 3, 3, 3)), ("conv2", (64, 32, 3, 3)),
                    ("conv3", (128, 64, 3, 3)), ("fc1", (512, 2048)), ("fc2", (10, 512))]


def write_simplecnn_weights(path, rng):
    """Weights scaled by 1/sqrt(fan-in) and small biases, drawn from rng."""
    with h5py.File(path, "w") as f:
        for n, s in SIMPLECNN_SHAPES:
            f[f"{n}/weight"] = (rng.standard_normal(s) / np.sqrt(np.prod(s[1:]))).astype(np.float32)
            f[f"{n}/bias"] = rng.uniform(-0.1, 0.1, s[0]).astype(np.float32)
