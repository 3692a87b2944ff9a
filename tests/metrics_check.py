#!/usr/bin/env python3
"""The faithfulness metrics of `clcam run` (cam.metrics) against Python references on the same
maps: pytorch-grad-cam's formulas for the confidence metrics and ROAD (its NoisyLinearImputer's
system solved by scipy's spsolve, noise off), and a PyTorch batch implementation of RISE's
deletion and insertion. The maps are clcam's own (/<method>/cam, float32), so what is compared
is the metrics alone.

  metrics_check.py CLCAM [--count N]

Needs /usr/bin/python3 with torch, h5py and scipy, and ../shared (CLCAM_SHARED): the SimpleCNN
and CIFAR-10. Exit 77 (SKIP) with the reason when one is absent.
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import h5py
    import numpy as np
    import scipy.sparse
    import scipy.sparse.linalg
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"SKIP metrics_check: /usr/bin/python3 cannot import {e.name} "
          "(apt-get install python3-torch python3-h5py python3-scipy)")
    sys.exit(77)

import torch_crosscheck as tc  # noqa: E402  (SimpleCNN, data helpers)

METRICS = ["confidence_drop", "confidence_increase", "deletion", "insertion", "road_morf",
           "road_lerf", "road_combined"]
# The neighbour weights of ROAD's noisy linear imputation (Rong et al. 2022).
NEIGHBOURS = [((dy, dx), (1 / 12 if dy and dx else 1 / 6))
              for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def softmax_target(model, x, targets, batch=256):
    """The target's softmax probability for each row of x [n, C, H, W] (float32, as the tools)."""
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            p = F.softmax(model(x[i:i + batch]), dim=1)
            out.append(p[torch.arange(len(p)), targets[i:i + batch]])
    return torch.cat(out)


def gaussian_blur(x, sigma):
    """clcam's insertion blur: separable, radius ceil(3 sigma), weights summing to 1, zero pad."""
    r = math.ceil(3 * sigma)
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-t * t / (2 * sigma * sigma))
    k = (k / k.sum()).to(x.dtype)
    c = x.shape[1]
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), padding=(0, r), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), padding=(r, 0), groups=c)


def deletion_insertion(model, x, maps, targets, K, y):
    """RISE's curves [n, K+1] for deletion and insertion, in one PyTorch batch per step."""
    n, c, h, w = x.shape
    hw = h * w
    # descending value, ties by ascending pixel index: a stable sort of -map
    order = np.argsort(-maps.reshape(n, hw).numpy(), axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n)[:, None], order] = np.arange(hw)[None, :]
    rank = torch.from_numpy(rank).view(n, 1, h, w)
    blurred = gaussian_blur(x, 5.0 * min(h, w) / 224.0)
    dele = torch.empty(n, K + 1)
    ins = torch.empty(n, K + 1)
    dele[:, 0] = y
    ins[:, K] = y
    for i in range(K + 1):
        top = rank < (i * hw) // K
        if i > 0:
            dele[:, i] = softmax_target(model, torch.where(top, torch.zeros_like(x), x), targets)
        if i < K:
            ins[:, i] = softmax_target(model, torch.where(top, x, blurred), targets)
    return dele, ins


def trapezoid(curve, K):
    return ((curve[:, :-1] + curve[:, 1:]) / 2).sum(1) / K


def road_impute(img, keep):
    """pytorch-grad-cam's NoisyLinearImputer with noise 0, written out: img [C, H, W] float32,
    keep [H, W] bool. Every removed pixel is the weighted mean of its in-image neighbours."""
    c, h, w = img.shape
    removed = np.flatnonzero(~keep.reshape(-1))
    out = img.reshape(c, -1).astype(np.float64).copy()
    if len(removed) == 0:
        return out.reshape(img.shape)
    if not keep.any():  # clcam's rule for the singular system: no kept pixel, 0 everywhere
        out[:] = 0
        return out.reshape(img.shape)
    var = -np.ones(h * w, dtype=np.int64)
    var[removed] = np.arange(len(removed))
    A = scipy.sparse.lil_matrix((len(removed), len(removed)))
    b = np.zeros((len(removed), c))
    diag = np.zeros(len(removed))
    for i, p in enumerate(removed):
        y, x = divmod(int(p), w)
        for (dy, dx), wt in NEIGHBOURS:
            yy, xx = y + dy, x + dx
            if not (0 <= yy < h and 0 <= xx < w):
                continue
            q = yy * w + xx
            diag[i] += wt
            if var[q] >= 0:
                A[i, var[q]] = -wt
            else:
                b[i] += wt * out[:, q]
    A.setdiag(diag)
    sol = scipy.sparse.linalg.spsolve(scipy.sparse.csc_matrix(A), b)
    out[:, removed] = np.asarray(sol).reshape(len(removed), c).T
    return out.reshape(img.shape)


def road_scores(model, x, maps, targets, pcts):
    """[n, 2 * len(pcts)]: MoRF and LeRF scores at each percentile, as pytorch-grad-cam."""
    n = x.shape[0]
    copies = []
    for i in range(n):
        m = maps[i].numpy()
        for p in pcts:
            for mask in (m, (1 - m).astype(np.float32)):  # MoRF, LeRF
                keep = mask < np.percentile(mask, p)
                copies.append(torch.from_numpy(road_impute(x[i].numpy(), keep)).float())
    xs = torch.stack(copies)
    t = targets.repeat_interleave(2 * len(pcts))
    return softmax_target(model, xs, t).view(n, 2 * len(pcts))


MUTANTS = [
    # (kernel file, text, replacement, the metrics that must then fail)
    ("metric_perturb", "long step = q % K + (insertion ? 0 : 1);",
     "long step = q % K + (insertion ? 1 : 1);", "insertion"),
    ("road", "num = (HW - 1) * clamp(pct[s / 2], 0, 100);",
     "num = (HW - 1) * clamp(pct[s / 2] + 1, 0, 100);", "road_"),
]


def check(a, data, weights, tmp, methods, pcts, env=None, quiet=False):
    """Runs clcam with every metric and compares; the list of failures."""
    failures = []
    out = os.path.join(tmp, "m.h5")
    sets = [f"data.file={data}", f"model.weights={weights}", f"output.file={out}",
            f"data.count={a.count}", "batch=16", f"cam.methods=[{', '.join(methods)}]",
            f"cam.metrics=[{', '.join(METRICS)}]", f"cam.metric_steps={a.steps}",
            "cam.road_noise=0"]
    cmd = [a.clcam, "run", os.path.join(HERE, "..", "configs", "cifar10_gradcam.yaml"), "--quiet",
           "--overwrite"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, env=env)
    model = tc.load_model(weights, torch.float32)
    images, _, _ = tc.read_split(data, "test", 0, a.count)
    x = tc.preprocess(images, tc.DEFAULT_SCALE, tc.DEFAULT_MEAN, tc.DEFAULT_STD, torch.float32)
    say = (lambda *_: None) if quiet else print
    with h5py.File(out, "r") as f:
        if f.attrs["complete"] != 1:
            failures.append("the results file is not complete")
        targets = torch.from_numpy(f["target"][:].astype(np.int64))
        y = torch.from_numpy(f["probs"][:])[torch.arange(a.count), targets]
        for meth in methods:
            g = f[meth]["metrics"]
            maps = torch.from_numpy(f[meth]["cam"][:])
            got = {k: g[k][:] for k in METRICS}
            ref = {}
            o = softmax_target(model, x * maps[:, None], targets)
            ref["confidence_drop"] = (torch.clamp(y - o, min=0) / y).numpy()
            ref["confidence_increase"] = (o > y).float().numpy()
            dele, ins = deletion_insertion(model, x, maps, targets, a.steps, y)
            ref["deletion"], ref["insertion"] = trapezoid(dele, a.steps).numpy(), \
                trapezoid(ins, a.steps).numpy()
            road = road_scores(model, x, maps, targets, pcts)
            morf = (road[:, 0::2] - y[:, None]).mean(1)
            lerf = (road[:, 1::2] - y[:, None]).mean(1)
            ref["road_morf"], ref["road_lerf"] = morf.numpy(), lerf.numpy()
            ref["road_combined"] = ((lerf - morf) / 2).numpy()
            # float32 probabilities through two implementations: measured differences are
            # below 2e-6; a wrong pixel, step or percentile moves them by 1e-3 and more
            tol = dict(confidence_drop=1e-4, deletion=1e-4, insertion=1e-4, road_morf=1e-4,
                       road_lerf=1e-4, road_combined=1e-4)
            for k in METRICS:
                if k == "confidence_increase":
                    # a threshold: only where O and Y are apart by more than float32 noise
                    clear = np.abs((o - y).numpy()) > 1e-5
                    err = float(np.sum((got[k] != ref[k]) & clear))
                    ok = err == 0
                else:
                    err = float(np.max(np.abs(got[k] - ref[k])))
                    ok = err <= tol[k]
                say(f"{meth:>10} {k:<20} max |clcam - reference| {err:.3g}"
                    f"   mean clcam {np.mean(got[k]):.4f} reference {np.mean(ref[k]):.4f}")
                if not ok:
                    failures.append(f"{meth} {k}: {err:.3g}")
            for name, curve in (("deletion_curve", dele), ("insertion_curve", ins)):
                err = float(np.max(np.abs(g[name][:] - curve.numpy())))
                say(f"{meth:>10} {name:<20} max |clcam - reference| {err:.3g}")
                if err > 1e-4:
                    failures.append(f"{meth} {name}: {err:.3g}")
                mean = g[name].attrs["mean"]
                if np.max(np.abs(mean - g[name][:].mean(0))) > 1e-6:
                    failures.append(f"{meth} {name}: attribute mean is not the rows' mean")
            for k in METRICS:
                if abs(g[k].attrs["mean"] - float(np.mean(got[k]))) > 1e-6:
                    failures.append(f"{meth} {k}: attribute mean is not the rows' mean")
    return failures


def check_resume(a, data, weights, tmp):
    """A run with metrics killed after its third batch's rows are written, then resumed, gives
    bitwise the file of an uninterrupted run: every dataset and the summaries."""
    base = [a.clcam, "run", os.path.join(HERE, "..", "configs", "cifar10_gradcam.yaml"), "--quiet",
            "--set", f"data.file={data}", "--set", f"model.weights={weights}", "--set",
            "data.count=40", "--set", "batch=8", "--set", "cam.methods=[gradcam, random]",
            "--set", f"cam.metrics=[{', '.join(METRICS)}]", "--set", "cam.metric_steps=4"]
    clean, cut = os.path.join(tmp, "clean.h5"), os.path.join(tmp, "cut.h5")
    subprocess.run(base + ["--set", f"output.file={clean}"], check=True)
    killed = subprocess.run(base + ["--set", f"output.file={cut}"],
                            env=dict(os.environ, CLCAM_FAULT="kill_after_write:3"))
    if killed.returncode != -9:
        return [f"the run to cut ended with {killed.returncode}, not SIGKILL"]
    subprocess.run(base + ["--set", f"output.file={cut}"], check=True)
    fails = []
    with h5py.File(clean, "r") as f, h5py.File(cut, "r") as g:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not np.array_equal(obj[()], g[name][()]):
                fails.append(f"resume: /{name} differs from the uninterrupted run")
            for k, v in obj.attrs.items():
                if not np.array_equal(v, g[name].attrs[k]):
                    fails.append(f"resume: /{name}@{k} differs from the uninterrupted run")
        f.visititems(visit)
    print(f"resume with metrics after a kill: {'bitwise equal' if not fails else fails}")
    # One batch of 40: on a CPU device its copies go through the network in parts of 32 and 8
    # (pipeline/metrics/metric_stage.c); every metric must equal the batches of 8, bitwise.
    whole = os.path.join(tmp, "whole.h5")
    subprocess.run(base + ["--set", f"output.file={whole}", "--set", "batch=40"], check=True)
    n_parts = len(fails)
    with h5py.File(clean, "r") as f, h5py.File(whole, "r") as g:
        for meth in ("gradcam", "random"):
            for name, d in f[meth]["metrics"].items():
                if not np.array_equal(d[()], g[meth]["metrics"][name][()]):
                    fails.append(f"batch 40 (parts of 32 and 8): /{meth}/metrics/{name} differs "
                                 "from batches of 8")
    print(f"metrics in one batch of 40 against batches of 8: "
          f"{'bitwise equal' if len(fails) == n_parts else fails[n_parts:]}")
    return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("clcam")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--methods", default="gradcam,gradcampp,random,sobel")
    a = ap.parse_args()
    shared = os.environ.get("CLCAM_SHARED", os.path.join(HERE, "..", "..", "shared"))
    archive = os.path.join(shared, "cifar10", "cifar-10-binary.tar.gz")
    weights = os.path.join(shared, "models", "simplecnn_cifar10.h5")
    if not (os.path.isfile(archive) and os.path.isfile(weights)):
        print(f"SKIP metrics_check: {archive} or {weights} not found (set CLCAM_SHARED)")
        return 77
    torch.set_num_threads(2)
    methods = a.methods.split(",")
    pcts = [20, 40, 60, 80]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "cifar10.h5")
        subprocess.run([a.clcam, "import-cifar10", archive, data, "--quiet"], check=True)
        failures = check(a, data, weights, tmp, methods, pcts)
        n = a.count
        failures += check_resume(a, data, weights, tmp)
        # The check can fail: each mutant kernel (through CLCAM_KERNEL_DIR) must be caught.
        a.count = min(a.count, 12)
        for name, text, change, hits in MUTANTS:
            src = os.path.join(HERE, "..", "cl", "kernels", name + ".cl")
            kdir = os.path.join(tmp, "k_" + name)
            os.makedirs(kdir, exist_ok=True)
            code = open(src).read()
            if text not in code:
                failures.append(f"mutant of {name}.cl does not apply: {text!r} not found")
                continue
            with open(os.path.join(kdir, name + ".cl"), "w") as f:
                f.write(code.replace(text, change))
            env = dict(os.environ, CLCAM_KERNEL_DIR=kdir)
            caught = [x for x in check(a, data, weights, tmp, methods[:1], pcts, env, True)
                      if hits in x]
            print(f"mutant {name}.cl ({change}): {len(caught)} failures on {hits}")
            if not caught:
                failures.append(f"the mutant {change!r} of {name}.cl was not caught")
    if failures:
        print("FAIL metrics_check:\n  " + "\n  ".join(failures))
        return 1
    print(f"metrics_check: {len(methods)} methods x {len(METRICS)} metrics on {n} images: pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
