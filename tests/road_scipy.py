#!/usr/bin/env python3
"""clcam's ROAD imputation against a scipy sparse solve, as pytorch-grad-cam computes it.

  road_scipy.py TEST_ROAD

For each case, a random image [C, H, W] and a map [H, W] (uniform, few distinct values, or
smooth blobs): the kept pixels as pytorch-grad-cam's RemoveMostRelevantFirst and
RemoveLeastRelevantFirst choose them (np.percentile of the float32 map or of 1 - map, compared
by torch in float32), the removed ones imputed by NoisyLinearImputer's system (its
construction: diagonal -sum of the in-image neighbours' weights, removed neighbours' weights
off the diagonal, kept neighbours' weighted values on the right), noise 0, solved by
scipy.sparse.linalg.spsolve. A removed region with no kept neighbour makes that system
singular (spsolve returns garbage); clcam leaves such a region at 0, so those pixels are
expected 0 and the rest of the system is solved without them. clcam's side is
`TEST_ROAD --dump` (tests/test_road.c). Pass: every case within 1e-4. Exit 0 pass, 1 fail,
77 (SKIP) without numpy, scipy or torch.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import scipy.ndimage
    import scipy.sparse
    import scipy.sparse.linalg
    import torch
except ImportError as e:
    print(f"SKIP road_scipy: {e} (apt-get install python3-numpy python3-scipy python3-torch)")
    sys.exit(77)

TOL = 1e-4
# (offset (dy, dx), weight), as pytorch-grad-cam's neighbors_weights
NEIGHBOURS = [((dy, dx), 1 / 6 if dy == 0 or dx == 0 else 1 / 12)
              for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


def kept_pixels(cam, pct, lerf):
    """pytorch-grad-cam's binary mask (1 = kept): the torch map compared with np.percentile."""
    mask = torch.from_numpy(cam)
    if lerf:
        mask = 1 - mask
    threshold = np.percentile(mask.numpy(), pct)
    return np.float32(mask < threshold)


def impute(img, keep):
    """The removed pixels solved per channel; singular regions left at 0."""
    C, H, W = img.shape
    removed = keep.reshape(-1) < 0.5
    labels, n = scipy.ndimage.label(removed.reshape(H, W), structure=np.ones((3, 3)))
    dilated = scipy.ndimage.binary_dilation(keep > 0.5, structure=np.ones((3, 3)))
    solvable = removed.copy()
    for lab in range(1, n + 1):
        region = labels == lab
        if not (dilated & region).any():  # no kept neighbour: singular, expected 0
            solvable[region.reshape(-1)] = False
    idx = np.flatnonzero(solvable)
    var = -np.ones(H * W, dtype=np.int64)
    var[idx] = np.arange(len(idx))
    flat = img.reshape(C, -1).astype(np.float64)
    A = scipy.sparse.lil_matrix((len(idx), len(idx)))
    b = np.zeros((len(idx), C))
    diag = np.zeros(len(idx))
    ys, xs = idx // W, idx % W
    for (dy, dx), w in NEIGHBOURS:
        yy, xx = ys + dy, xs + dx
        inside = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
        rows = np.flatnonzero(inside)
        nb = yy[inside] * W + xx[inside]
        diag[rows] += w
        kept_nb = keep.reshape(-1)[nb] > 0.5
        b[rows[kept_nb]] -= w * flat[:, nb[kept_nb]].T
        A[rows[~kept_nb], var[nb[~kept_nb]]] = w
    A.setdiag(-diag)
    out = img.reshape(C, -1).copy()
    out[:, removed] = 0.0
    if len(idx):
        x = scipy.sparse.linalg.spsolve(scipy.sparse.csc_matrix(A), b)
        out[:, idx] = np.asarray(x, dtype=np.float32).reshape(len(idx), C).T
    return out.reshape(C, H, W)


def make_case(rng, C, H, W, kind):
    img = rng.uniform(-2.0, 2.5, (C, H, W)).astype(np.float32)
    if kind == "uniform":
        cam = rng.uniform(0, 1, (H, W))
    elif kind == "ties":
        cam = np.floor(rng.uniform(0, 1, (H, W)) * 4) / 4
    elif kind == "constant":
        cam = np.full((H, W), 0.5)
    else:  # smooth: large connected removed regions
        v, u = np.meshgrid(np.arange(H) / H, np.arange(W) / W, indexing="ij")
        cam = 0.5 + 0.25 * np.sin(6 * u + 1) * np.cos(4 * v) + \
            0.2 * np.exp(-20 * ((u - 0.4) ** 2 + (v - 0.6) ** 2))
    return img, cam.astype(np.float32)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    rng = np.random.default_rng(15)
    cases = [(3, 5, 7, 20, 0, "uniform"), (3, 5, 7, 80, 1, "uniform"),
             (3, 32, 32, 20, 0, "uniform"), (3, 32, 32, 60, 1, "ties"),
             (3, 32, 32, 80, 0, "smooth"), (3, 32, 32, 40, 1, "smooth"),
             (2, 32, 32, 50, 0, "constant"), (3, 17, 41, 90, 0, "smooth"),
             (3, 224, 224, 20, 0, "smooth"), (3, 224, 224, 80, 0, "smooth"),
             (3, 224, 224, 60, 1, "uniform")]
    failed = 0
    worst_all = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.raw"), os.path.join(tmp, "out.raw")
        for C, H, W, pct, lerf, kind in cases:
            img, cam = make_case(rng, C, H, W, kind)
            np.concatenate([img.reshape(-1), cam.reshape(-1)]).astype(np.float32).tofile(src)
            run = subprocess.run([binary, "--dump", str(C), str(H), str(W), str(pct), str(lerf),
                                  src, dst], capture_output=True, text=True)
            if run.returncode != 0:
                print(f"FAIL {H}x{W}: test_road --dump exited {run.returncode}: {run.stderr}")
                failed += 1
                continue
            got = np.fromfile(dst, dtype=np.float32).reshape(C, H, W)
            want = impute(img, kept_pixels(cam, pct, lerf))
            diff = float(np.max(np.abs(got.astype(np.float64) - want)))
            worst_all = max(worst_all, diff)
            ok = diff <= TOL
            failed += not ok
            name = "MoRF" if lerf == 0 else "LeRF"
            print(f"{'ok  ' if ok else 'FAIL'} C={C} {H}x{W} {name} p={pct} {kind}: "
                  f"max |clcam - scipy| {diff:.3g}")
    print(f"road_scipy: {len(cases) - failed} passed, {failed} failed, worst {worst_all:.3g}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
