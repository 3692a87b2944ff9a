#!/usr/bin/env python3
"""Faithfulness metrics over CIFAR-10 test images: clcam against PyTorch computing the same
metrics the way pytorch-grad-cam does, images/s side by side in one run (issue 15).

  /usr/bin/python3 bench/bench_metrics.py build/clcam [--count 2000] [--batch 256]

Both compute Grad-CAM at conv3 of ../shared's SimpleCNN for the predicted class, then every
metric: confidence drop/increase, deletion and insertion (16 steps), ROAD MoRF/LeRF/combined at
percentiles 20, 40, 60, 80 with noise 0.01.
- clcam: `clcam run` with cam.metrics (all of it on the device), timed end to end from the
  dataset file to the results file.
- PyTorch (Debian's torch on every core): per batch, Grad-CAM the best way (a hook on conv3,
  torch.autograd.grad down to it only); confidence by the whole batch times its maps (as
  pytorch-grad-cam's CamMultImageConfidenceChange); ROAD as pytorch-grad-cam's ROADCombined: per
  image and percentile a NoisyLinearImputer (the sparse system set up with numpy, solved by
  scipy's spsolve), then the batch of imputed images through the model; deletion and insertion
  as a PyTorch batch implementation (one batched forward pass per step). pytorch-grad-cam itself
  is not packaged by Debian; where `import pytorch_grad_cam` works, its ROADCombined is used.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import torch_crosscheck as tc  # noqa: E402

STEPS, PCTS, NOISE = 16, (20, 40, 60, 80), 0.01
OFFSETS = [((dy, dx), 1 / 12 if dy and dx else 1 / 6)
           for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def impute(img, keep, rng):
    """Noisy linear imputation of one image [C, H, W] (numpy) with kept pixels keep [H, W],
    set up the way pytorch-grad-cam's NoisyLinearImputer does it (a scipy lil_matrix filled
    offset by offset with fancy indexing, then csc and spsolve), so its cost is the tool's."""
    c, h, w = img.shape
    flat = img.reshape(c, -1)
    keepf = keep.reshape(-1)
    removed = np.argwhere(~keepf).flatten()
    n = len(removed)
    out = flat.copy()
    if n == 0:
        return out.reshape(img.shape)
    var = np.zeros(h * w, dtype=int)
    var[removed] = np.arange(n)
    A = scipy.sparse.lil_matrix((n, n))
    b = np.zeros((n, c))
    total = np.ones(n)
    for (dy, dx), wt in OFFSETS:
        yy, xx = removed // w + dy, removed % w + dx
        ok = (yy >= 0) & (xx >= 0) & (yy < h) & (xx < w)
        q = (removed + dy * w + dx)[ok]
        ids = np.argwhere(ok).flatten()
        kept = keepf[q]
        b[ids[kept], :] -= wt * flat[:, q[kept]].T
        A[ids[~kept], var[q[~kept]]] = wt
        total[np.argwhere(~ok).flatten()] -= wt
    A[np.arange(n), np.arange(n)] = -total
    sol = scipy.sparse.linalg.spsolve(scipy.sparse.csc_matrix(A), b) if keepf.any() \
        else np.zeros((n, c))
    out[:, removed] = np.asarray(sol).reshape(n, c).T + NOISE * rng.standard_normal((c, n))
    return out.reshape(img.shape)


def probs_of(model, x, t):
    with torch.no_grad():
        return F.softmax(model(x), 1)[torch.arange(len(x)), t]


def blur(x, sigma):
    r = math.ceil(3 * sigma)
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float64) ** 2 / (2 * sigma * sigma))
    k = (k / k.sum()).float()
    c = x.shape[1]
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), padding=(0, r), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), padding=(r, 0), groups=c)


def torch_batch(model, x, rng):
    """Grad-CAM and every metric for one batch, the way the Python tools do it."""
    feats = {}
    h = model.conv3.register_forward_hook(lambda m, i, o: feats.__setitem__("A", o))
    xg = x.clone().requires_grad_(True)  # the weights need none: only A's gradient is asked for
    logits = model(xg)
    h.remove()
    t = logits.argmax(1)
    A = feats["A"]
    G, = torch.autograd.grad(logits[torch.arange(len(x)), t].sum(), A)
    with torch.no_grad():
        raw = F.relu((G.mean((2, 3), keepdim=True) * A).sum(1))
        cam, _ = tc.cam_from_raw(raw, x.shape[2:])
        y = F.softmax(logits, 1)[torch.arange(len(x)), t]
    # confidence: the batch times its maps
    o = probs_of(model, x * cam[:, None], t)
    drop, inc = torch.clamp(y - o, min=0) / y, (o > y).float()
    # deletion / insertion: one batched pass per step
    n, hw = len(x), x.shape[2] * x.shape[3]
    order = torch.argsort(-cam.reshape(n, hw), stable=True, dim=1)
    rank = torch.argsort(order, dim=1).view(n, 1, *x.shape[2:])
    blurred = blur(x, 5 * x.shape[2] / 224)
    dele, ins = [y], []
    for i in range(STEPS + 1):
        top = rank < (i * hw) // STEPS
        if i > 0:
            dele.append(probs_of(model, torch.where(top, torch.zeros_like(x), x), t))
        if i < STEPS:
            ins.append(probs_of(model, torch.where(top, x, blurred), t))
    ins.append(y)
    # ROAD: per image and percentile an imputation, then the batch through the model
    road = []
    xn, cn = x.numpy(), cam.numpy()
    for p in PCTS:
        for lerf in (0, 1):
            imps = []
            for i in range(n):
                m = (1 - cn[i]) if lerf else cn[i]
                keep = m < np.percentile(m, p)
                imps.append(impute(xn[i].astype(np.float64), keep, rng))
            # PerturbationConfidenceMetric runs the batch itself again for every percentile
            before = probs_of(model, x, t)
            road.append(probs_of(model, torch.from_numpy(np.stack(imps)).float(), t) - before)
    return drop, inc, dele, ins, road


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clcam")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=256)
    a = ap.parse_args()
    shared = os.environ.get("CLCAM_SHARED", os.path.join(HERE, "..", "..", "shared"))
    weights = os.path.join(shared, "models", "simplecnn_cifar10.h5")
    archive = os.path.join(shared, "cifar10", "cifar-10-binary.tar.gz")
    torch.set_num_threads(os.cpu_count())
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "cifar10.h5")
        subprocess.run([a.clcam, "import-cifar10", archive, data, "--quiet"], check=True)
        out = os.path.join(tmp, "metrics.h5")
        cmd = [a.clcam, "run", os.path.join(HERE, "..", "configs", "cifar10_metrics.yaml"),
               "--quiet", "--stats"]
        for s in (f"data.file={data}", f"model.weights={weights}", f"output.file={out}",
                  f"data.count={a.count}", f"batch={a.batch}", "cam.methods=[gradcam]"):
            cmd += ["--set", s]
        t0 = time.time()
        r = subprocess.run(cmd, check=True, capture_output=True, text=True)
        t_clcam = time.time() - t0
        stats = json.loads([ln for ln in r.stdout.splitlines() + r.stderr.splitlines()
                            if ln.startswith("{")][-1])
        model = tc.load_model(weights, torch.float32)
        images, _, _ = tc.read_split(data, "test", 0, a.count)
        rng = np.random.default_rng(0)
        t0 = time.time()
        sums = np.zeros(2)
        for i in range(0, a.count, a.batch):
            x = tc.preprocess(images[i:i + a.batch], tc.DEFAULT_SCALE, tc.DEFAULT_MEAN,
                              tc.DEFAULT_STD, torch.float32)
            drop, inc, dele, ins, road = torch_batch(model, x, rng)
            sums += [float(drop.sum()), float(inc.sum())]
        t_torch = time.time() - t0
    print(f"{a.count} CIFAR-10 test images, Grad-CAM at conv3 + confidence, deletion, insertion "
          f"({STEPS} steps), ROAD at {list(PCTS)}; batch {a.batch}; {os.cpu_count()} cores")
    print(f"| case | seconds | images/s | clcam x |")
    print(f"| --- | --- | --- | --- |")
    print(f"| clcam run, batch {stats.get('batch')} | {t_clcam:.1f} | "
          f"{a.count / t_clcam:.1f} | 1.00 |")
    print(f"| PyTorch + scipy, as pytorch-grad-cam | {t_torch:.1f} | {a.count / t_torch:.1f} | "
          f"{t_torch / t_clcam:.2f} |")
    print(f"(PyTorch's Average Drop {100 * sums[0] / a.count:.2f}%, increase "
          f"{100 * sums[1] / a.count:.2f}%: a sanity check of the reference)")


if __name__ == "__main__":
    sys.exit(main())
