#!/usr/bin/env python3
"""The baseline methods end to end: `clcam run` with cam.methods [gradcam, random, sobel] on
CIFAR-10 test images (../shared) and the shared SimpleCNN, then the results file with h5py:

  sobel   cam_raw [N, H, W] within 1e-5 of an independent numpy/scipy cv2.Sobel (grey from the
          RGB weights, 3x3 kernels, scipy.ndimage's mode='mirror', which is OpenCV's
          BORDER_REFLECT_101, magnitude); shown to fail with another border (mode='reflect');
  random  cam_raw bitwise equal to a Python version of the hash of (cam.seed, row, pixel), in
          [0, 1); a row's map the same in a run with another batch size and start; another
          seed, another map;
  both    cam the min-max normalisation of cam_raw (no upsampling); gradcam's cam_raw still at
          conv3's 8x8.

  baseline_check.py CLCAM
Exit 0 pass, 1 fail, 77 (SKIP) without h5py, numpy, scipy or ../shared (CLCAM_SHARED).
"""
import os
import subprocess
import sys
import tarfile
import tempfile

try:
    import h5py
    import numpy as np
    from scipy import ndimage
except ImportError as e:
    print(f"SKIP baseline_check: {e}")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
N = 40
M32 = 0xFFFFFFFF


def mix32(x):
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    x ^= x >> 16
    return x


def random_map(seed, row, hw):
    """The random baseline in plain Python: top 24 bits of hash3(seed, row, pixel) / 2^24."""
    h0 = mix32((seed + 0x9E3779B9) & M32)
    h1 = mix32(h0 ^ ((row + 0x85EBCA6B) & M32))
    return np.array([(mix32(h1 ^ ((p + 0xC2B2AE35) & M32)) >> 8) / 16777216.0 for p in range(hw)],
                    np.float32)


def sobel_map(img, mode):
    """img uint8 [H, W, 3] -> sqrt(dx^2 + dy^2) of the grey image, in float64."""
    x = img.astype(np.float64)
    grey = (0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]) / 255.0
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    dx = ndimage.correlate(grey, kx, mode=mode)
    dy = ndimage.correlate(grey, kx.T, mode=mode)
    return np.sqrt(dx * dx + dy * dy)


def run(clcam, cwd, out, data, weights, extra):
    cmd = [clcam, "run", "empty.yaml", "--quiet", "--set", f"data.file={data}", "--set",
           f"model.weights={weights}", "--set", "cam.methods=[gradcam, random, sobel]", "--set",
           f"output.file={out}"] + sum((["--set", s] for s in extra), [])
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL: {' '.join(cmd)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
        sys.exit(1)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    clcam = os.path.abspath(sys.argv[1])
    shared = os.environ.get("CLCAM_SHARED") or os.path.join(ROOT, "..", "shared")
    archive = os.path.join(shared, "cifar10", "cifar-10-binary.tar.gz")
    weights = os.path.join(shared, "models", "simplecnn_cifar10.h5")
    if not (os.path.exists(archive) and os.path.exists(weights)):
        print(f"SKIP baseline_check: {archive} or {weights} not found (set CLCAM_SHARED)")
        return 77
    with tarfile.open(archive) as t:
        member = next(m for m in t.getmembers() if m.name.endswith("test_batch.bin"))
        raw = np.frombuffer(t.extractfile(member).read(N * 3073), np.uint8).reshape(N, 3073)
    images = np.ascontiguousarray(raw[:, 1:].reshape(N, 3, 32, 32).transpose(0, 2, 3, 1))
    fails = []

    def check(cond, msg):
        if not cond:
            fails.append(msg)

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.h5")
        with h5py.File(data, "w") as f:
            f["test/images"] = images
            f["test/labels"] = raw[:, 0].copy()
            f.attrs["class_names"] = [f"c{i}" for i in range(10)]
        open(os.path.join(tmp, "empty.yaml"), "w").close()
        a, b, c = (os.path.join(tmp, n) for n in ("a.h5", "b.h5", "c.h5"))
        run(clcam, tmp, a, data, weights, ["batch=7", "data.start=3", "data.count=20", "cam.seed=11"])
        run(clcam, tmp, b, data, weights, ["batch=4", "data.start=9", "data.count=10", "cam.seed=11"])
        run(clcam, tmp, c, data, weights, ["batch=7", "data.start=3", "data.count=20", "cam.seed=12"])
        with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb, h5py.File(c, "r") as fc:
            rows = fa["index"][()]
            check(list(rows) == list(range(3, 23)), f"/index {rows}")
            check(fa["gradcam/cam_raw"].shape == (20, 8, 8), f"gradcam cam_raw {fa['gradcam/cam_raw'].shape}")
            check(fa["gradcam/cam"].shape == (20, 32, 32), f"gradcam cam {fa['gradcam/cam'].shape}")
            worst = worst_other = 0.0
            for m in ("random", "sobel"):
                check(fa[f"{m}/cam_raw"].shape == (20, 32, 32), f"{m} cam_raw {fa[f'{m}/cam_raw'].shape}")
                got = fa[f"{m}/cam_raw"][()].astype(np.float64)
                cam = fa[f"{m}/cam"][()].astype(np.float64)
                for i in range(20):
                    lo, hi = got[i].min(), got[i].max()
                    want = (got[i] - lo) / (hi - lo)
                    check(np.abs(cam[i] - want).max() < 1e-6, f"{m} image {i}: cam is not cam_raw normalised")
            sob = fa["sobel/cam_raw"][()]
            for i, r in enumerate(rows):
                worst = max(worst, np.abs(sob[i] - sobel_map(images[r], "mirror")).max())
                worst_other = max(worst_other, np.abs(sob[i] - sobel_map(images[r], "reflect")).max())
            check(worst < 1e-5, f"sobel: max |clcam - numpy| {worst:.3g} (tolerance 1e-5)")
            check(worst_other > 1e-3, f"sobel: another border (mode='reflect') within {worst_other:.3g}: a weak test")
            rnd = fa["random/cam_raw"][()]
            check(rnd.min() >= 0 and rnd.max() < 1, f"random outside [0, 1): {rnd.min()} {rnd.max()}")
            bad = [int(r) for i, r in enumerate(rows) if not np.array_equal(rnd[i].ravel(), random_map(11, int(r), 1024))]
            check(not bad, f"random: rows {bad} differ from the Python hash")
            rb = fb["random/cam_raw"][()]
            check(np.array_equal(rb, rnd[6:16]), "random: rows 9..18 differ between batch 7 from 3 and batch 4 from 9")
            rc = fc["random/cam_raw"][()]
            check(np.mean(rc == rnd) < 0.01, f"random: seeds 11 and 12 share {np.mean(rc == rnd):.3f} of the values")
            check(np.array_equal(fc["sobel/cam_raw"][()], sob), "sobel: changed with cam.seed")
        print(f"sobel: max |clcam - numpy/scipy reflect-101| {worst:.3g}; with mode='reflect' {worst_other:.3g}")
    for f in fails:
        print("FAIL:", f)
    print(f"baseline_check: {'FAIL' if fails else 'PASS'}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
