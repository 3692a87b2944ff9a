#!/usr/bin/env python3
"""PyTorch oracle for clcam: checks a clcam results file against SimpleCNN + Grad-CAM in PyTorch.

Subcommands
  make-fixture     small random dataset + weights (the clcam layouts) for tests
  write-results    a results file computed by PyTorch itself, in clcam's layout
  compare          check a clcam results file against the PyTorch reference (exit 0 pass, 1 fail)
  selftest-compare prove `compare` passes a correct file and fails perturbed ones
  cifar-subset     scratch dataset file from the CIFAR-10 binary archive (for checking the oracle)
  check-weights    an .h5 weights file holds exactly the tensors of a .pth state_dict

The reference (Grad-CAM at a conv layer, default conv3), per image and target class c:
  A = the layer's output before its ReLU (forward hook), G = dScore_c/dA (tensor hook),
  w_k = mean_{ij} G_k, raw = ReLU(sum_k w_k A_k), cam = minmax(bilinear_upsample(raw)),
  bilinear = F.interpolate(mode='bilinear', align_corners=False); an all-flat map stays 0.
By default the oracle computes in float64 (weights and inputs promoted exactly from float32 /
uint8), so what `compare` measures is clcam's own float32 error against the exact answer.
Tolerances and why: see TOLERANCES below and the help of `compare`.
"""
import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)

# CIFAR-10 preprocessing (models/README.md); also config defaults.
DEFAULT_SCALE = 1.0 / 255.0
DEFAULT_MEAN = (0.4914, 0.4822, 0.4465)
DEFAULT_STD = (0.2470, 0.2435, 0.2616)
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                 "ship", "truck"]

# Default tolerances. Measured with the shared model on the first 1000 CIFAR-10 test images,
# PyTorch float32 against this float64 oracle: logits max |a-b|/(1+|b|) 2.6e-6 (abs 1.5e-5,
# |logits| up to 34), probs 1.3e-6; cam_raw max |a-b| 1.7e-7 = 1.2e-6 x the median raw maximum
# (0.142), at most 6.4e-6 of the image's own maximum on maps above 1% of the median; cam 4.5e-6.
# The raw error is absolute (it scales with the activations, not with the image's maximum), so
# the raw tolerance has a floor proportional to the median raw maximum. clcam computes in
# float32 with another summation order, so its error is of the same order; the defaults leave
# 8-200x headroom and still catch real bugs (a shifted pixel, a wrong layout or a missing ReLU
# move values by 1e-2 or more).
TOLERANCES = dict(
    logit_tol=1e-4,        # |a-b| <= tol*(1+|b|) for logits and probs
    raw_rel_tol=1e-4,      # cam_raw: |a-b| <= rel*max(ref image) + floor_frac*median raw max
    raw_floor_frac=1e-5,
    cam_tol=1e-3,          # cam: |a-b| <= tol, except on ill-conditioned maps (below)
    tie_tol=1e-4,          # pred may differ from torch's argmax where its top-two gap < tie_tol
    kink_rel=1e-5,         # ReLU-kink margin (see kink_variants), x median per-image max |x|
    cond_rel_tol=1e-5,     # x cmag, the methods' conditioning (see method_raw)
    raw_cap=1e-3,          # a raw tolerance above raw_cap x image max (+ floor): not tight
)
# precision: clcam's largest error against float64 may be this times PyTorch float32's.
PRECISION_FACTOR = 1.5
# The share of each method's non-zero maps that must be compared tightly (raw: tolerance within
# raw_cap; cam: also well-conditioned after min-max), unless --min-checked sets both. Measured
# at conv3 (before its ReLU, the worst layer for the methods that divide by sum A), PyTorch
# float32 and clcam files against float64: random fixtures of 40, 64 and 300 images
# (torch_check.sh random, selftest-compare, make-fixture --seed 1) and 200 shared CIFAR-10
# images. Grad-CAM++ there: raw 7-18%, cam 0-3% (its maps are ill-conditioned: both float32
# implementations err by up to 2% of the image's maximum; `precision` checks it against
# PyTorch's own error instead); XGrad-CAM raw 43-90%, cam 3-72%; Score-CAM 88%, 50%; the
# others raw 100%, cam 95-100%. After a ReLU (A >= 0) every method compares >= 90% of both.
MIN_CHECKED = dict(gradcam=(0.9, 0.9), gradcampp=(0.05, 0.0), xgradcam=(0.3, 0.02),
                   hirescam=(0.9, 0.8), layercam=(0.9, 0.9), gradcam_elementwise=(0.9, 0.9),
                   eigencam=(0.9, 0.8), scorecam=(0.7, 0.3))
# cam excludes a map when a raw error at the floor could move it by more than cam_tol: min-max
# divides by the range r of the upsampled map, so the error is ~2*floor/r; excluded: r <
# 2*floor/cam_tol = 0.02 x the median raw maximum at the defaults (--cond-frac overrides 0.02).

REQUIRED_ATTRS = ["clcam_version", "created", "config", "device", "platform", "driver_version",
                  "dataset_file", "split", "weights_file", "layer", "methods", "class_names",
                  "complete"]

LAYERS = ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3", "relu3", "pool3")
# Side of each layer's map for 32x32 inputs.
LAYER_HW = dict(conv1=32, relu1=32, pool1=16, conv2=16, relu2=16, pool2=8, conv3=8, relu3=8,
                pool3=4)


class SimpleCNN(nn.Module):
    """conv(3x3,pad1) -> ReLU -> maxpool2, three times; flatten (C,H,W); fc1 -> ReLU -> fc2."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1)
        self.fc1 = nn.Linear(2048, 512)
        self.fc2 = nn.Linear(512, classes)
        # Parameter-free modules, so that hooks can reach clcam's relu and pool layers.
        self.relu1, self.relu2, self.relu3 = nn.ReLU(), nn.ReLU(), nn.ReLU()
        self.pool1, self.pool2, self.pool3 = nn.MaxPool2d(2), nn.MaxPool2d(2), nn.MaxPool2d(2)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.pool3(self.relu3(self.conv3(x)))
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


# ---------------------------------------------------------------------------------------------
# File helpers

def attr_str(v):
    """An HDF5 attribute as a Python str (h5py may give bytes or numpy scalars)."""
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.shape == ():
        return attr_str(v[()])
    return str(v)


def attr_strs(v):
    """An HDF5 string-list attribute (or a single string) as a list of str."""
    if isinstance(v, (str, bytes)):
        return [attr_str(v)]
    return [attr_str(x) for x in np.asarray(v).ravel()]


def write_weights(path, state_dict, mean=DEFAULT_MEAN, std=DEFAULT_STD):
    """The weights layout: one float32 dataset per state_dict key, dots -> groups."""
    with h5py.File(path, "w") as f:
        for k, v in state_dict.items():
            f.create_dataset(k.replace(".", "/"), data=v.detach().cpu().numpy().astype(np.float32))
        f.attrs["input_mean"] = np.asarray(mean, np.float32)
        f.attrs["input_std"] = np.asarray(std, np.float32)


def load_model(path, dtype=torch.float64):
    """SimpleCNN with the weights of an .h5 file in the weights layout (shapes are checked)."""
    with h5py.File(path, "r") as f:
        classes = f["fc2/weight"].shape[0]
        model = SimpleCNN(classes)
        sd = {}
        for k, v in model.state_dict().items():
            a = f[k.replace(".", "/")]
            if tuple(a.shape) != tuple(v.shape):
                raise SystemExit(f"{path}: /{k.replace('.', '/')} has shape {a.shape}, "
                                 f"expected {tuple(v.shape)}")
            sd[k] = torch.from_numpy(np.asarray(a, np.float32))
    model.load_state_dict(sd)
    model = model.to(dtype).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def read_split(path, split, start, count):
    """images uint8 [n,H,W,C], labels int64 [n] or None, class_names list."""
    with h5py.File(path, "r") as f:
        g = f[split]
        n_all = g["images"].shape[0]
        if count is None:
            count = n_all - start
        if start < 0 or count < 0 or start + count > n_all:
            raise SystemExit(f"{path}: /{split}/images has {n_all} images; "
                             f"asked for {start}..{start + count}")
        images = np.asarray(g["images"][start:start + count])
        labels = np.asarray(g["labels"][start:start + count]).astype(np.int64) \
            if "labels" in g else None
        names = attr_strs(f.attrs["class_names"]) if "class_names" in f.attrs else None
    return images, labels, names


def preprocess(images, scale, mean, std, dtype):
    """uint8 NHWC -> normalised float NCHW: (pixel*scale - mean[c]) / std[c]."""
    x = torch.from_numpy(images).to(dtype).permute(0, 3, 1, 2)
    m = torch.tensor(mean, dtype=dtype).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=dtype).view(1, -1, 1, 1)
    return ((x * scale - m) / s).contiguous()


# ---------------------------------------------------------------------------------------------
# The reference algorithm

def minmax(u):
    """Per-image min-max to [0,1]; a flat map (e.g. all zero) becomes all zero, never NaN."""
    lo = u.amin(dim=(1, 2), keepdim=True)
    rng = u.amax(dim=(1, 2), keepdim=True) - lo
    safe = torch.where(rng > 0, rng, torch.ones_like(rng))
    return torch.where(rng > 0, (u - lo) / safe, torch.zeros_like(u))


def cam_from_raw(raw, size):
    """raw [n,h,w] -> (cam [n,H,W], range of the upsampled map [n])."""
    up = F.interpolate(raw[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    return minmax(up), up.amax(dim=(1, 2)) - up.amin(dim=(1, 2))


def kink_variants(model, A, z1, t, kink_rel, kmax):
    """Grad-CAM's channel weights are piecewise constant in the input: they jump where a ReLU
    input crosses 0 (conv3's output at a pooled position, fc1's output). Where such an input is
    within float32 rounding of 0, float32 (clcam) may legitimately take the other side.
    For conv3 the weights have a closed form: w_c = sum over pool windows of
    g_p[c,win] * [max_win A_c > 0] / 64, g_p = ((W2[t] * [z1 > 0]) @ W1) -- which position in a
    window receives the gradient does not matter, w is a spatial mean.
    Returns w [n,K] (closed form, to cross-check the hooks) and {i: W_variants [V,K]} for images
    with 1..kmax near-kinks (variant 0 = the exact side of every kink); images with more than
    kmax near-kinks are listed in the set `over`."""
    W1 = model.fc1.weight                        # [512, 2048]
    W2 = model.fc2.weight                        # [C, 512]
    P = F.max_pool2d(A, 2)                       # pre-ReLU max of each window [n,K,4,4]
    n, K = P.shape[:2]
    area = A.shape[2] * A.shape[3]

    def weights(g_h1, mz, mp):                   # [V,512], [V,512], [V,K,4,4] -> [V,K]
        g_p = ((g_h1 * mz) @ W1).view(-1, K, P.shape[2], P.shape[3])
        return (g_p * mp).sum(dim=(2, 3)) / area

    w = weights(W2[t], (z1 > 0).to(A.dtype), (P > 0).to(A.dtype))
    epsP = kink_rel * A.abs().flatten(1).amax(1).median()
    epsZ = kink_rel * z1.abs().amax(1).median()
    variants, over = {}, set()
    near_z, near_p = z1.abs() < epsZ, P.abs().flatten(1) < epsP
    counts = near_z.sum(1) + near_p.sum(1)
    for i in torch.nonzero(counts).flatten().tolist():
        kz = torch.nonzero(near_z[i]).flatten()
        kp = torch.nonzero(near_p[i]).flatten()
        k = len(kz) + len(kp)
        if k > kmax:
            over.add(i)
            continue
        V = 1 << k
        bits = (torch.arange(V)[:, None] >> torch.arange(k)[None, :]) & 1   # [V,k]
        mz = (z1[i] > 0).to(A.dtype).repeat(V, 1)
        mp = (P[i] > 0).to(A.dtype).flatten().repeat(V, 1)
        for b, j in enumerate(kz.tolist()):
            mz[:, j] = torch.where(bits[:, b] == 1, 1 - mz[:, j], mz[:, j])
        for b, j in enumerate(kp.tolist(), start=len(kz)):
            mp[:, j] = torch.where(bits[:, b] == 1, 1 - mp[:, j], mp[:, j])
        variants[i] = weights(W2[t[i]].repeat(V, 1), mz, mp.view(V, K, *P.shape[2:]))
    return w, variants, over


def reference(model, images, targets, scale, mean, std, layer="conv3", batch=256,
              dtype=torch.float64, kink_rel=None, kmax=6):
    """Run SimpleCNN + Grad-CAM on uint8 NHWC images.

    targets: 'predicted', or an int array [n] of classes (one per image).
    Returns numpy dict: logits, probs, pred, target, cam_raw [n,h,w], cam [n,H,W],
    pre_max [n] (max of the map before its ReLU), up_range [n] (max-min of the upsampled map).
    With kink_rel (conv3 only), also: kink_A {i: A_i [K,h,w]}, kink_W {i: W_variants [V,K]},
    kink_over [indices], w_check (max |hook w - closed-form w|); see kink_variants.
    Batched: the backward of the sum of each image's selected score gives per-image gradients,
    since images do not interact (no batch norm).
    """
    store = {}

    def fwd_hook(mod, inp, out):
        # Parameters are frozen, so the graph starts here: only dScore/dA is computed.
        if not out.requires_grad:
            out.requires_grad_(True)
        store["A"] = out
        out.register_hook(lambda g: store.__setitem__("G", g))

    handle = getattr(model, layer).register_forward_hook(fwd_hook)
    h2 = model.fc1.register_forward_hook(lambda m, i, o: store.__setitem__("z1", o.detach()))
    kinks = {"kink_A": {}, "kink_W": {}, "kink_over": [], "w_check": 0.0}
    out = {k: [] for k in ("logits", "probs", "pred", "target", "cam_raw", "cam", "pre_max",
                           "up_range")}
    try:
        n = images.shape[0]
        for b in range(0, n, batch):
            x = preprocess(images[b:b + batch], scale, mean, std, dtype)
            with torch.enable_grad():
                logits = model(x)
                pred = logits.argmax(1)
                if isinstance(targets, str):
                    t = pred.clone()
                else:
                    t = torch.as_tensor(np.asarray(targets[b:b + batch]), dtype=torch.int64)
                logits.gather(1, t[:, None]).sum().backward()
            A, G = store["A"].detach(), store["G"]
            w = G.mean(dim=(2, 3))                                   # [n, K]
            if kink_rel is not None and layer == "conv3":
                wc, var, over = kink_variants(model, A, store["z1"], t, kink_rel, kmax)
                kinks["w_check"] = max(kinks["w_check"], float((wc - w).abs().max()))
                for i, Wv in var.items():
                    kinks["kink_A"][b + i] = A[i].numpy()
                    kinks["kink_W"][b + i] = Wv.numpy()
                kinks["kink_over"] += [b + i for i in sorted(over)]
            pre = (w[:, :, None, None] * A).sum(1)                   # [n, h, w]
            raw = F.relu(pre)
            up = F.interpolate(raw[:, None], size=x.shape[2:], mode="bilinear",
                               align_corners=False)[:, 0]
            cam = minmax(up)
            out["logits"].append(logits.detach())
            out["probs"].append(torch.softmax(logits.detach(), 1))
            out["pred"].append(pred)
            out["target"].append(t)
            out["cam_raw"].append(raw)
            out["cam"].append(cam)
            out["pre_max"].append(pre.amax(dim=(1, 2)))
            out["up_range"].append(up.amax(dim=(1, 2)) - up.amin(dim=(1, 2)))
    finally:
        handle.remove()
        h2.remove()
    res = {k: torch.cat(v).numpy() for k, v in out.items()}
    res.update(kinks)
    return res


# ---------------------------------------------------------------------------------------------
# The other CAM methods, from the same hooks (float64). Each returns (raw [n,h,w] after the
# method's ReLU, mag [n], cmag [n]): mag is the scale of the terms that make up the map (max
# over positions of sum_k |term_k|), so that float32 rounding in clcam stays below
# raw_rel_tol * mag; cmag is what a relative change of 1 in A and G moves the map by through
# a division by a sum that may be near zero (Grad-CAM++, XGrad-CAM) or a power iteration
# whose top two singular values are close (EigenCAM): their error stays below
# cond_rel_tol * cmag. cmag is 0 for the other methods.

METHODS = ("gradcam", "gradcampp", "xgradcam", "hirescam", "layercam", "gradcam_elementwise",
           "eigencam", "scorecam")
EIGENCAM_ITERS = 150 * 16  # pipeline/cam/cam_eigencam.c: 150 steps on (M^T M)^16 converge like 2,400


def _weighted(w, A, cond=None):
    pre = torch.einsum("nk,nkhw->nhw", w, A)
    mag = torch.einsum("nk,nkhw->nhw", w.abs(), A.abs()).flatten(1).amax(1)
    cmag = torch.zeros_like(mag) if cond is None else \
        torch.einsum("nk,nkhw->nhw", cond, A.abs()).flatten(1).amax(1)
    return F.relu(pre), mag, cmag


def method_raw(name, A, G, model, x, t):
    """One method's raw map and term scale for images x (preprocessed), targets t [n]."""
    if name == "gradcam":
        return _weighted(G.mean(dim=(2, 3)), A)
    if name == "gradcampp":
        g2, g3 = G ** 2, G ** 3
        sa = A.sum(dim=(2, 3), keepdim=True)
        den = 2 * g2 + sa * g3 + 1e-6
        aij = torch.where(G != 0, g2 / den, torch.zeros_like(G))
        w = (F.relu(G) * aij).sum(dim=(2, 3))
        # rounding of sum A (about 1e-7 x sum |A| in float32) moves a_ij by
        # a_ij |G^3| d(sum A) / |den|: the condition factor of each channel's weight
        cond = (F.relu(G) * aij.abs() * g3.abs() * A.abs().sum(dim=(2, 3), keepdim=True)
                / den.abs()).sum(dim=(2, 3))
        return _weighted(w, A, cond)
    if name == "xgradcam":
        sa = A.sum(dim=(2, 3)) + 1e-7
        s = (G * A).sum(dim=(2, 3))
        w = s / sa
        cond = ((G * A).abs().sum(dim=(2, 3)) + A.abs().sum(dim=(2, 3)) * w.abs()) / sa.abs()
        return _weighted(w, A, cond)
    if name in ("hirescam", "layercam", "gradcam_elementwise"):
        if name == "hirescam":
            term = G * A
        elif name == "layercam":
            term = F.relu(G) * A
        else:
            term = F.relu(G * A)
        mag = term.abs().sum(1).flatten(1).amax(1)
        return F.relu(term.sum(1)), mag, torch.zeros_like(mag)
    if name == "eigencam":
        n, K, h, w_ = A.shape
        raws, mags, cmags = [], [], []
        for i in range(n):
            M = A[i].reshape(K, -1).T
            M = M - M.mean(0)
            _, S, Vh = torch.linalg.svd(M, full_matrices=False)
            proj = M @ Vh[0]
            if proj[int(proj.abs().argmax())] < 0:        # sign: largest-|.| value positive
                proj = -proj
            raws.append(F.relu(proj).reshape(h, w_))
            # the vector's error: float32 rounding over the gap, plus what the power steps
            # from clcam's start vector leave, sum_j c_j/c_1 (s_j/s_1)^(2*iters)
            r = float(S[1] / S[0]) if len(S) > 1 and S[0] > 0 else 0.0
            c = Vh @ (1 + torch.arange(K, dtype=A.dtype) / K)
            left = float(((c[1:] / c[0]) * (S[1:] / S[0]) ** (2 * EIGENCAM_ITERS)).norm()) \
                if len(S) > 1 and S[0] > 0 and c[0] != 0 else 0.0
            # rounding over the gap is conditioning (cmag); what the steps leave is not rounding
            # and stays in mag (x1e4: raw_rel_tol 1e-4 allows it once)
            scale = float((M.abs() @ Vh[0].abs()).max())
            mags.append(scale * (1.0 + left * 1e4))
            cmags.append(scale * (1.0 / max(1.0 - r * r, 1e-12) - 1.0))
        return (torch.stack(raws), torch.tensor(mags, dtype=A.dtype),
                torch.tensor(cmags, dtype=A.dtype))
    if name == "scorecam":
        up = F.interpolate(A, size=x.shape[2:], mode="bilinear", align_corners=True)
        lo = up.flatten(2).amin(2)[:, :, None, None]
        hi = up.flatten(2).amax(2)[:, :, None, None]
        up = (up - lo) / (hi - lo + 1e-8)
        n, K = A.shape[:2]
        scores = torch.empty(n, K, dtype=A.dtype)
        with torch.no_grad():
            for i in range(n):
                masked = x[i][None] * up[i][:, None]             # [K, C, H, W]
                for c in range(0, K, 256):
                    scores[i, c:c + 256] = model(masked[c:c + 256])[:, int(t[i])]
        return _weighted(torch.softmax(scores, 1), A)
    raise ValueError(f"unknown method {name}")


def methods_reference(model, images, targets, names, scale, mean, std, layer="conv3",
                      batch=256, dtype=torch.float64):
    """{name: dict(cam_raw, cam, up_range, mag, cmag)} at the given targets [n]."""
    store = {}

    def fwd_hook(mod, inp, out):
        if not out.requires_grad:
            out.requires_grad_(True)
        store["A"] = out
        out.register_hook(lambda g: store.__setitem__("G", g))

    handle = getattr(model, layer).register_forward_hook(fwd_hook)
    out = {m: {k: [] for k in ("cam_raw", "cam", "up_range", "mag", "cmag")} for m in names}
    try:
        for b in range(0, images.shape[0], batch):
            x = preprocess(images[b:b + batch], scale, mean, std, dtype)
            t = torch.as_tensor(np.asarray(targets[b:b + batch]), dtype=torch.int64)
            with torch.enable_grad():
                logits = model(x)
                logits.gather(1, t[:, None]).sum().backward()
            A, G = store["A"].detach(), store["G"]
            for m in names:
                raw, mag, cmag = method_raw(m, A, G, model, x, t)
                cam, rng = cam_from_raw(raw, x.shape[2:])
                for k, v in (("cam_raw", raw), ("cam", cam), ("up_range", rng), ("mag", mag),
                             ("cmag", cmag)):
                    out[m][k].append(v)
    finally:
        handle.remove()
    return {m: {k: torch.cat(v).numpy() for k, v in d.items()} for m, d in out.items()}


def min_checked_for(a, m):
    """(raw, cam): the shares of non-zero maps that must be compared tightly: --min-checked
    for both, else the method's defaults (MIN_CHECKED)."""
    v = getattr(a, "min_checked", None)
    return MIN_CHECKED[m] if v is None else (v, v)


def compare_methods(ck, a, names, R, ref, index, n, floor_frac):
    """Raw maps within raw_rel_tol x the terms' scale + a floor. That tolerance grows with a
    method's conditioning (mag); where it passes raw_cap x the image's maximum (+ the floor)
    the map is ill-conditioned: still held to its own tolerance and range-checked, but counted
    as loose, not tight. cam maps within cam_tol where the map is tight and the upsampled range
    is well above what the raw tolerance allows. At least min_checked of each method's non-zero
    maps must be compared tightly, raw and cam."""
    raw_cap = getattr(a, "raw_cap", TOLERANCES["raw_cap"])
    for m in names:
        raw_c, cam_c = R[m + "/cam_raw"].astype(np.float64), R[m + "/cam"].astype(np.float64)
        r = ref[m]
        raw_t, cam_t, mag = r["cam_raw"], r["cam"], r["mag"]
        if raw_c.shape != raw_t.shape or cam_c.shape != cam_t.shape:
            ck.fail(m, f"shapes {raw_c.shape} {cam_c.shape}, expected {raw_t.shape} {cam_t.shape}")
            continue
        rmax = raw_t.reshape(n, -1).max(1)
        nz = rmax > 0
        med = float(np.median(rmax[nz])) if nz.any() else 0.0
        cond_rel_tol = getattr(a, "cond_rel_tol", TOLERANCES["cond_rel_tol"])
        allowed = a.raw_rel_tol * np.maximum(mag, rmax) + cond_rel_tol * r["cmag"] \
            + floor_frac * med
        tight = allowed <= raw_cap * rmax + floor_frac * med
        bad_range = ((raw_c < 0).reshape(n, -1).any(1) | ~np.isfinite(raw_c).reshape(n, -1).all(1)
                     | ((cam_c < 0) | (cam_c > 1) | ~np.isfinite(cam_c)).reshape(n, -1).any(1))
        if bad_range.any():
            i = int(np.argmax(bad_range))
            ck.fail(m, f"image {index[i]}: raw < 0, cam outside [0,1] or NaN; "
                       f"{int(bad_range.sum())} images")
        derr = np.abs(raw_c - raw_t).reshape(n, -1).max(1)
        derr = np.where(np.isfinite(derr), derr, np.inf)
        for what, sel in (("raw", tight), ("raw loose", ~tight)):
            if what == "raw loose" and not sel.any():
                continue
            i, idx = _worst(np.where(sel, derr / np.maximum(allowed, 1e-300), -1), index)
            ck.row(f"{m} {what}", float(derr[i]), float(allowed[i]), idx,
                   f"{derr[i] / rmax[i] if rmax[i] else 0:.3g} x image max; {int(sel.sum())} maps"
                   + (f" (tolerance > {raw_cap:g} x image max)" if what == "raw loose" else ""))
            off = sel & (derr > allowed)
            if off.any():
                ck.fail(f"{m} {what}", f"{int(off.sum())} images off; worst image {idx}: |a-b| "
                                       f"{derr[i]:.3g} > {allowed[i]:.3g} (image max "
                                       f"{rmax[i]:.3g}, term scale {mag[i]:.3g}, "
                                       f"conditioning {r['cmag'][i]:.3g})")
        flat = ~(raw_c.reshape(n, -1) != 0).any(1) & (cam_c.reshape(n, -1) != 0).any(1)
        if flat.any():
            ck.fail(m + " cam", f"image {index[int(np.argmax(flat))]}: raw all zero, cam not")
        checked = tight & (r["up_range"] > 2 * allowed / a.cam_tol)
        cerr = np.abs(cam_c - cam_t).reshape(n, -1).max(1)
        cerr = np.where(np.isfinite(cerr), cerr, np.inf)
        i, idx = _worst(np.where(checked, cerr, -1), index)
        cmax = float(cerr[checked].max()) if checked.any() else 0.0
        ck.row(m + " cam", cmax, a.cam_tol, idx,
               f"{int((~checked).sum())} maps excluded (all images: {cerr.max():.3g})")
        if (cerr[checked] > a.cam_tol).any():
            ck.fail(m + " cam", f"{int((cerr[checked] > a.cam_tol).sum())} images off; worst "
                                f"image {idx}: |a-b| {cerr[i]:.3g} > {a.cam_tol:g}")
        # A check that excludes most maps proves little: most must be compared tightly.
        for what, sel, need in zip(("raw", "cam"), (tight, checked), min_checked_for(a, m)):
            frac = float(sel[nz].mean()) if nz.any() else 1.0
            ck.row(f"{m} {what} share", frac, need, -1,
                   f"non-zero maps compared tightly: {int(sel[nz].sum())}/{int(nz.sum())}")
            if frac < need:
                ck.fail(f"{m} {what}", f"only {frac:.0%} of the non-zero maps are compared "
                                       f"tightly (min-checked {need:g})")


# ---------------------------------------------------------------------------------------------
# Writing a results file the way clcam does (used by the self-test and for measuring)

def write_results(path, res, start, labels, meta, compression=4, complete=1):
    n = res["logits"].shape[0]

    def ds(f, name, data, dtype):
        data = np.asarray(data, dtype)
        chunks = (min(max(n, 1), 256),) + data.shape[1:]
        f.create_dataset(name, data=data, chunks=chunks, compression="gzip",
                         compression_opts=compression)

    with h5py.File(path, "w") as f:
        f.attrs["complete"] = np.int32(0)
        ds(f, "index", np.arange(start, start + n), np.int64)
        if labels is not None:
            ds(f, "label", labels, np.int32)
        ds(f, "logits", res["logits"], np.float32)
        ds(f, "probs", res["probs"], np.float32)
        ds(f, "pred", res["pred"], np.int32)
        ds(f, "target", res["target"], np.int32)
        ds(f, "gradcam/cam", res["cam"], np.float32)
        ds(f, "gradcam/cam_raw", res["cam_raw"], np.float32)
        for m, r in res.get("methods", {}).items():
            ds(f, m + "/cam", r["cam"], np.float32)
            ds(f, m + "/cam_raw", r["cam_raw"], np.float32)
        s = h5py.string_dtype()
        for k in ("clcam_version", "created", "config", "device", "platform", "driver_version",
                  "dataset_file", "split", "weights_file", "layer"):
            f.attrs.create(k, meta[k], dtype=s)
        f.attrs.create("methods", ["gradcam"] + list(res.get("methods", {})), dtype=s)
        f.attrs.create("class_names", meta["class_names"], dtype=s)
        f.attrs["complete"] = np.int32(complete)


def cmd_write_results(a):
    images, labels, names = read_split(a.data, a.split, a.start, a.count)
    model = load_model(a.weights, torch.float32 if a.dtype == "float32" else torch.float64)
    tgt = parse_target(a.target, labels, len(images))
    res = reference(model, images, tgt, a.scale, a.mean, a.std, a.layer, a.batch,
                    torch.float32 if a.dtype == "float32" else torch.float64)
    extra = [m for m in (a.methods or []) if m != "gradcam"]
    if extra:
        res["methods"] = methods_reference(
            model, images, res["target"], extra, a.scale, a.mean, a.std, a.layer, a.batch,
            torch.float32 if a.dtype == "float32" else torch.float64)
    meta = dict(clcam_version=f"torch-oracle ({a.dtype})",
                created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                config=f"# written by tests/torch_crosscheck.py write-results\n"
                       f"data: {{file: {a.data}, split: {a.split}, start: {a.start}}}\n"
                       f"cam: {{methods: [gradcam], layer: {a.layer}, target: {a.target}}}\n",
                device="cpu", platform=f"PyTorch {torch.__version__}",
                driver_version=torch.__version__, dataset_file=a.data, split=a.split,
                weights_file=a.weights, layer=a.layer,
                class_names=names or [str(i) for i in range(res["logits"].shape[1])])
    write_results(a.out, res, a.start, labels, meta)
    print(f"wrote {a.out}: {len(images)} images, {a.dtype}")
    return 0


def parse_target(spec, labels, n):
    """'predicted' | 'label' | INT -> 'predicted' or an int array [n]."""
    if spec == "predicted":
        return "predicted"
    if spec == "label":
        if labels is None:
            raise SystemExit("target 'label' but the dataset has no labels")
        return labels
    return np.full(n, int(spec), np.int64)


# ---------------------------------------------------------------------------------------------
# compare

class Checker:
    """Collects failed checks (one line each) and a table of measured errors."""

    def __init__(self):
        self.failures = []
        self.table = []

    def fail(self, name, msg):
        self.failures.append(f"FAIL {name}: {msg}")

    def row(self, name, err, tol, worst, note=""):
        self.table.append((name, err, tol, worst, note))

    def report(self):
        """Prints the table and the failures; the exit status."""
        if self.table:
            print(f"{'quantity':<24} {'max error':>10} {'allowed':>10} {'worst':>7}  notes")
            for name, err, tol, worst, note in self.table:
                print(f"{name:<24} {err:>10.3g} {tol:>10.3g} {worst:>7}  {note}")
        for line in self.failures:
            print(line)
        print("PASS" if not self.failures else f"FAILED: {len(self.failures)} checks")
        return 0 if not self.failures else 1


def _worst(err_per_image, index):
    i = int(np.argmax(err_per_image))
    return i, int(index[i]) if index is not None else i


def compare(a):
    """Returns (Checker, info dict). All checks run; failures are collected, not raised."""
    ck = Checker()
    info = {}
    with h5py.File(a.results, "r") as r:
        # --- root attributes
        attrs = dict(r.attrs)
        missing = [k for k in REQUIRED_ATTRS if k not in attrs]
        if missing:
            ck.fail("attributes", f"missing root attributes: {', '.join(missing)}")
        if "complete" in attrs:
            try:
                done = int(np.asarray(attrs["complete"]).ravel()[0]) == 1
            except (TypeError, ValueError, IndexError):
                done = False
            if not done:
                ck.fail("complete", f"attribute complete = {attrs['complete']!r}, expected 1")
        if "split" in attrs and attr_str(attrs["split"]) != a.split:
            ck.fail("attributes", f"split = {attr_str(attrs['split'])!r}, expected {a.split!r}")
        layer = a.layer or (attr_str(attrs["layer"]) if "layer" in attrs else "conv3")
        if layer not in LAYERS:
            ck.fail("attributes", f"layer = {layer!r}; the oracle knows {', '.join(LAYERS)}")
            layer = "conv3"
        if "layer" in attrs and attr_str(attrs["layer"]) != layer:
            ck.fail("attributes", f"layer = {attr_str(attrs['layer'])!r}, expected {layer!r}")
        if "methods" in attrs and "gradcam" not in attr_strs(attrs["methods"]):
            ck.fail("attributes", f"methods = {attr_strs(attrs['methods'])} lacks gradcam")
        if "created" in attrs:
            try:
                datetime.datetime.fromisoformat(attr_str(attrs["created"]).replace("Z", "+00:00"))
            except ValueError:
                ck.fail("attributes", f"created = {attr_str(attrs['created'])!r} is not ISO 8601")

        # --- datasets
        need = ["index", "logits", "probs", "pred", "target", "gradcam/cam", "gradcam/cam_raw"]
        absent = [k for k in need if k not in r]
        if absent:
            ck.fail("datasets", f"missing: {', '.join('/' + k for k in absent)}")
            return ck, info
        R = {k: np.asarray(r[k]) for k in need}
        R["label"] = np.asarray(r["label"]) if "label" in r else None
        dtypes = dict(index=np.int64, label=np.int32, logits=np.float32, probs=np.float32,
                      pred=np.int32, target=np.int32)
        dtypes["gradcam/cam"] = dtypes["gradcam/cam_raw"] = np.float32
        for k, dt in dtypes.items():
            if R.get(k) is not None and R[k].dtype != dt:
                ck.fail("dtypes", f"/{k} is {R[k].dtype}, expected {np.dtype(dt)}")

    index = R["index"]
    start = a.start if a.start is not None else (int(index[0]) if len(index) else 0)
    count = a.count if a.count is not None else len(index)
    images, labels, names = read_split(a.data, a.split, start, count)
    n = len(images)
    info.update(n=n, start=start, layer=layer)
    if names is not None and "class_names" in attrs and attr_strs(attrs["class_names"]) != names:
        ck.fail("attributes", f"class_names {attr_strs(attrs['class_names'])} != dataset's {names}")

    # --- shapes (everything below assumes them)
    model = load_model(a.weights, torch.float64 if a.dtype == "float64" else torch.float32)
    classes = model.fc2.out_features
    hw = LAYER_HW[layer]
    H, W = images.shape[1:3]
    shapes = {"index": (n,), "logits": (n, classes), "probs": (n, classes), "pred": (n,),
              "target": (n,), "gradcam/cam": (n, H, W), "gradcam/cam_raw": (n, hw, hw)}
    if labels is not None:
        shapes["label"] = (n,)
    bad = [f"/{k} {R[k].shape if R.get(k) is not None else 'absent'} != {s}"
           for k, s in shapes.items() if R.get(k) is None or R[k].shape != s]
    if bad:
        ck.fail("shapes", "; ".join(bad))
        return ck, info

    # --- no NaN / Inf anywhere
    for k in ("logits", "probs", "gradcam/cam", "gradcam/cam_raw"):
        nf = (~np.isfinite(R[k])).reshape(n, -1).any(1)
        if nf.any():
            i = int(np.argmax(nf))
            ck.fail("finite", f"/{k} has NaN/Inf in {int(nf.sum())} images, first index "
                              f"{index[i]}")

    # --- index, label
    if not np.array_equal(index, np.arange(start, start + n)):
        i = int(np.argmax(index != np.arange(start, start + n)))
        ck.fail("index", f"/index[{i}] = {index[i]}, expected {start + i}")
    if labels is not None:
        if not np.array_equal(R["label"].astype(np.int64), labels):
            i = int(np.argmax(R["label"] != labels))
            ck.fail("label", f"image {index[i]}: /label {R['label'][i]}, dataset {labels[i]}")

    # --- reference: the CAM of torch is computed at clcam's /target
    t0 = time.time()
    tgt_r = R["target"].astype(np.int64)
    tgt_ok = (tgt_r >= 0) & (tgt_r < classes)
    if not tgt_ok.all():
        i = int(np.argmax(~tgt_ok))
        ck.fail("target", f"image {index[i]}: /target {tgt_r[i]} outside 0..{classes - 1}")
        tgt_r = np.where(tgt_ok, tgt_r, 0)
    ref = reference(model, images, tgt_r, a.scale, a.mean, a.std, layer, a.batch,
                    torch.float64 if a.dtype == "float64" else torch.float32,
                    kink_rel=a.kink_rel, kmax=a.kink_max)
    info["seconds"] = time.time() - t0
    # Near a ReLU kink, take the side of every kink that matches clcam's raw map best (it is
    # then held to the same tolerances); images with too many near-kinks are only range-checked.
    if ref["w_check"] > 1e-9 * max(1.0, float(np.abs(ref["logits"]).max())):
        ck.fail("oracle", f"closed-form Grad-CAM weights differ from the hooks' by "
                          f"{ref['w_check']:.3g} (internal error)")
    switched = 0
    for i, Wv in ref["kink_W"].items():
        Ai = torch.from_numpy(ref["kink_A"][i])
        raw_v = F.relu(torch.einsum("vk,khw->vhw", torch.from_numpy(Wv), Ai))
        dev = (raw_v - torch.from_numpy(R["gradcam/cam_raw"][i]).to(raw_v.dtype)).abs()
        dev = torch.nan_to_num(dev, nan=np.inf).flatten(1).amax(1)
        v = int(dev.argmin())
        if v != 0 and dev[v] < dev[0]:
            switched += 1
            pre_v = torch.einsum("k,khw->hw", torch.from_numpy(Wv[v]), Ai)
            cam_v, rng_v = cam_from_raw(raw_v[v:v + 1], images.shape[1:3])
            ref["cam_raw"][i], ref["cam"][i] = raw_v[v].numpy(), cam_v[0].numpy()
            ref["pre_max"][i], ref["up_range"][i] = float(pre_v.max()), float(rng_v[0])
    kink_skip = np.zeros(n, bool)
    kink_skip[ref["kink_over"]] = True
    info.update(kink_images=len(ref["kink_W"]), kink_switched=switched,
                kink_over=int(kink_skip.sum()))

    # --- logits and probs: |a-b| <= tol*(1+|b|)
    for k in ("logits", "probs"):
        d = np.abs(R[k].astype(np.float64) - ref[k]) / (1.0 + np.abs(ref[k]))
        d = np.where(np.isfinite(d), d, np.inf).reshape(n, -1)
        per = d.max(1)
        i, idx = _worst(per, index)
        j = int(np.argmax(d[i]))
        ck.row(k, float(per.max()), a.logit_tol, idx, "|a-b|/(1+|b|)")
        if per.max() > a.logit_tol:
            ck.fail(k, f"{int((per > a.logit_tol).sum())} images off; worst image {idx} class {j}: "
                       f"clcam {R[k][i, j]:.8g}, torch {ref[k][i, j]:.8g} "
                       f"(|a-b|/(1+|b|) = {per[i]:.3g} > {a.logit_tol:g})")
    psum = np.abs(R["probs"].astype(np.float64).sum(1) - 1.0)
    if psum.max() > 1e-5:
        i, idx = _worst(psum, index)
        ck.fail("probs", f"image {idx}: probs sum to {1 + psum[i]:.8g} (not 1 within 1e-5)")

    # --- pred: argmax of clcam's own logits, and torch's argmax except near-ties
    lg = R["logits"]
    own = lg[np.arange(n), R["pred"].clip(0, classes - 1)] == lg.max(1)
    own &= (R["pred"] >= 0) & (R["pred"] < classes)
    if not own.all():
        i = int(np.argmax(~own))
        ck.fail("pred", f"image {index[i]}: /pred {R['pred'][i]} is not the argmax of its own "
                        f"logits ({int(np.argmax(lg[i]))}); {int((~own).sum())} images")
    top2 = np.sort(ref["logits"], 1)[:, -2:] if classes > 1 else np.zeros((n, 2))
    gap = top2[:, 1] - top2[:, 0]
    near = gap < a.tie_tol
    info["near_ties"] = int(near.sum())
    diff = (R["pred"] != ref["pred"]) & ~near
    if diff.any():
        i = int(np.argmax(diff))
        ck.fail("pred", f"{int(diff.sum())} images differ from torch's argmax (near-ties excluded: "
                        f"{int(near.sum())}); first image {index[i]}: clcam {R['pred'][i]}, "
                        f"torch {ref['pred'][i]}, torch top-two gap {gap[i]:.3g}")
    ck.row("pred", int(((R["pred"] != ref["pred"])).sum()), 0, -1,
           f"mismatches; near-ties (gap<{a.tie_tol:g}): {int(near.sum())}")

    # --- target for the mode
    if a.target == "predicted":
        exp_t, what = R["pred"].astype(np.int64), "/pred"
    elif a.target == "label":
        exp_t, what = labels, "dataset labels"
    else:
        exp_t, what = np.full(n, int(a.target)), f"constant {a.target}"
    if exp_t is None:
        ck.fail("target", "target mode 'label' but the dataset has no labels")
    elif not np.array_equal(R["target"].astype(np.int64), exp_t):
        i = int(np.argmax(R["target"] != exp_t))
        ck.fail("target", f"image {index[i]}: /target {R['target'][i]}, expected {exp_t[i]} "
                          f"({what}); {int((R['target'] != exp_t).sum())} images")

    # --- cam_raw: |a-b| <= rel*max(ref image) + floor; ReLU'd so >= 0; zero maps stay zero
    raw_c, raw_t = R["gradcam/cam_raw"].astype(np.float64), ref["cam_raw"]
    rmax = raw_t.reshape(n, -1).max(1)
    zero = rmax == 0
    med = float(np.median(rmax[~zero])) if (~zero).any() else 0.0
    floor = a.raw_floor_frac * med
    info.update(zero_maps=int(zero.sum()), median_raw_max=med)
    neg = (raw_c < 0).reshape(n, -1).any(1)
    if neg.any():
        i = int(np.argmax(neg))
        ck.fail("cam_raw", f"image {index[i]}: negative values (min {raw_c[i].min():.3g}); "
                           f"{int(neg.sum())} images")
    # Torch's map is zero because every pre-ReLU value is <= 0. Where the largest is below
    # -floor, clcam's map must be exactly zero; nearer 0 a float32 value may round positive
    # (the tolerance check below still bounds it by the floor).
    strict_zero = zero & (ref["pre_max"] < -floor) & ~kink_skip
    zfail = strict_zero & (raw_c.reshape(n, -1) != 0).any(1)
    if zfail.any():
        i = int(np.argmax(zfail))
        ck.fail("cam_raw", f"image {index[i]}: torch's raw map is all zero (pre-ReLU max "
                           f"{ref['pre_max'][i]:.3g}), clcam's max is {raw_c[i].max():.3g}; "
                           f"{int(zfail.sum())} such images")
    derr = np.abs(raw_c - raw_t).reshape(n, -1).max(1)
    derr = np.where(np.isfinite(derr), derr, np.inf)
    allowed = np.where(kink_skip, np.inf, a.raw_rel_tol * rmax + floor)
    i, idx = _worst(derr / np.maximum(allowed, 1e-300), index)
    ck.row("cam_raw", float(derr[i]), float(allowed[i]), idx,
           f"|a-b| = {derr[i] / med if med else 0:.3g} x median max, "
           f"{derr[i] / rmax[i] if rmax[i] else 0:.3g} x image max")
    if (derr > allowed).any():
        j = np.unravel_index(int(np.argmax(np.abs(raw_c[i] - raw_t[i]))), raw_t[i].shape)
        ck.fail("cam_raw", f"{int((derr > allowed).sum())} images off; worst image {idx} at "
                           f"{tuple(int(v) for v in j)}: clcam {raw_c[i][j]:.8g}, torch "
                           f"{raw_t[i][j]:.8g}, image max {rmax[i]:.6g} "
                           f"(|a-b| {derr[i]:.3g} > {allowed[i]:.3g})")

    # --- cam: in [0,1]; a zero raw map gives a zero cam; within cam_tol where well-conditioned
    cam_c, cam_t = R["gradcam/cam"].astype(np.float64), ref["cam"]
    out_range = ((cam_c < 0) | (cam_c > 1)).reshape(n, -1).any(1)
    if out_range.any():
        i = int(np.argmax(out_range))
        ck.fail("cam", f"image {index[i]}: values outside [0,1] (min {cam_c[i].min():.8g}, max "
                       f"{cam_c[i].max():.8g}); {int(out_range.sum())} images")
    flat = ~(raw_c.reshape(n, -1) != 0).any(1) & (cam_c.reshape(n, -1) != 0).any(1)
    if flat.any():
        i = int(np.argmax(flat))
        ck.fail("cam", f"image {index[i]}: clcam's raw map is all zero but its cam is not "
                       f"(max {cam_c[i].max():.3g}); {int(flat.sum())} images")
    cond_frac = a.cond_frac if a.cond_frac is not None else 2 * a.raw_floor_frac / a.cam_tol
    illcond = (ref["up_range"] < cond_frac * med) | kink_skip
    info.update(illcond_maps=int((illcond & ~zero).sum()), cond_frac=cond_frac)
    cerr = np.abs(cam_c - cam_t).reshape(n, -1).max(1)
    cerr = np.where(np.isfinite(cerr), cerr, np.inf)
    checked = ~illcond
    cmax = float(cerr[checked].max()) if checked.any() else 0.0
    i, idx = _worst(np.where(checked, cerr, -1), index)
    ck.row("cam", cmax, a.cam_tol, idx,
           f"{int(illcond.sum())} maps excluded (all images: {cerr.max():.3g})")
    if (cerr[checked] > a.cam_tol).any():
        j = np.unravel_index(int(np.argmax(np.abs(cam_c[i] - cam_t[i]))), cam_t[i].shape)
        ck.fail("cam", f"{int((cerr[checked] > a.cam_tol).sum())} images off; worst image {idx} "
                       f"at {tuple(int(v) for v in j)}: clcam {cam_c[i][j]:.8g}, torch "
                       f"{cam_t[i][j]:.8g} (|a-b| {cerr[i]:.3g} > {a.cam_tol:g}); "
                       f"raw max {rmax[i]:.3g}")
    need = min_checked_for(a, "gradcam")[1]
    frac = float(checked[~zero].mean()) if (~zero).any() else 1.0
    ck.row("cam share", frac, need, -1,
           f"non-zero maps compared tightly: {int(checked[~zero].sum())}/{int((~zero).sum())}")
    if frac < need:
        ck.fail("cam", f"only {frac:.0%} of the non-zero maps are compared tightly "
                       f"(min-checked {need:g})")

    # --- the other methods: formulas in float64 at clcam's /target (see method_raw)
    names = a.method if a.method else attr_strs(attrs.get("methods", ["gradcam"]))
    names = [m for m in names if m != "gradcam"]
    unknown = [m for m in names if m not in METHODS]
    if unknown:
        ck.fail("attributes", f"methods {unknown} unknown to the oracle")
        names = [m for m in names if m in METHODS]
    if names:
        with h5py.File(a.results, "r") as r:
            absent = [f"/{m}/{k}" for m in names for k in ("cam", "cam_raw") if f"{m}/{k}" not in r]
            if absent:
                ck.fail("datasets", f"missing: {', '.join(absent)}")
                names = [m for m in names if f"{m}/cam" in r and f"{m}/cam_raw" in r]
            Rm = {f"{m}/{k}": np.asarray(r[f"{m}/{k}"]) for m in names for k in ("cam", "cam_raw")}
        t1 = time.time()
        mref = methods_reference(model, images, tgt_r, names, a.scale, a.mean, a.std, layer,
                                 a.batch, torch.float64 if a.dtype == "float64" else torch.float32)
        info["method_seconds"] = time.time() - t1
        compare_methods(ck, a, names, Rm, mref, index, n, a.raw_floor_frac)

    if labels is not None:
        info["torch_accuracy"] = float((ref["pred"] == labels).mean())
    return ck, info


def cmd_compare_topk(a):
    """cam.target topk:K: /target [N,K] must be the K most probable classes of torch's logits
    (ties within tie_tol may swap), and every method's maps at each rank must equal the
    formulas at that rank's class."""
    ck = Checker()
    with h5py.File(a.results, "r") as r:
        index = np.asarray(r["index"])
        tgt = np.asarray(r["target"]).astype(np.int64)
        names = a.method if a.method else attr_strs(r.attrs.get("methods", ["gradcam"]))
        layer = a.layer or attr_str(r.attrs["layer"])
        R = {f"{m}/{k}": np.asarray(r[f"{m}/{k}"]) for m in names for k in ("cam", "cam_raw")}
    images, _, _ = read_split(a.data, a.split, int(index[0]), len(index))
    n, dtype = len(images), torch.float64
    if tgt.ndim != 2 or tgt.shape[0] != n:
        ck.fail("target", f"/target has shape {tgt.shape}, expected [{n}, K] for top-k")
        return ck.report()
    K = tgt.shape[1]
    model = load_model(a.weights, dtype)
    with torch.no_grad():
        logits = torch.cat([model(preprocess(images[b:b + a.batch], a.scale, a.mean, a.std, dtype))
                            for b in range(0, n, a.batch)]).numpy()
    order = np.argsort(-logits, axis=1, kind="stable")[:, :K]
    # A swap is only allowed between classes whose logits are within tie_tol.
    got = np.take_along_axis(logits, tgt, 1)
    want = np.take_along_axis(logits, order, 1)
    dup = np.array([len(set(row)) != K for row in tgt.tolist()])
    bad = (np.abs(got - want) > a.tie_tol).any(1) | dup
    ck.row("target top-k", int(bad.sum()), 0, -1, f"images whose /target is not torch's top {K}")
    if bad.any():
        i = int(np.argmax(bad))
        ck.fail("target", f"image {index[i]}: /target {tgt[i].tolist()}, torch's top {K} "
                          f"{order[i].tolist()}; {int(bad.sum())} images")
    for k in range(K):
        Rk = {name: v[:, k] for name, v in R.items()}
        ref = methods_reference(model, images, tgt[:, k], names, a.scale, a.mean, a.std, layer,
                                a.batch, dtype)
        n_rows = len(ck.table)
        compare_methods(ck, a, names, Rk, ref, index, n, a.raw_floor_frac)
        ck.table[n_rows:] = [(f"rank {k} {r[0]}",) + tuple(r[1:]) for r in ck.table[n_rows:]]
    return ck.report()


def cmd_compare(a):
    ck, info = compare(a)
    if info:
        extra = f", torch accuracy {info['torch_accuracy']:.2%}" if "torch_accuracy" in info else ""
        print(f"compared {info['n']} images from {info['start']} at {info['layer']}, oracle "
              f"{a.dtype} ({info.get('seconds', 0):.1f} s){extra}")
        if "zero_maps" in info:
            print(f"raw maps: {info['zero_maps']} all zero, {info['illcond_maps']} more "
                  f"excluded from cam (upsampled range < {info['cond_frac']:.3g} x median raw "
                  f"max {info['median_raw_max']:.4g}); near-tie logits: {info['near_ties']}")
            print(f"ReLU near-kinks (|input| < {a.kink_rel:g} x median max): "
                  f"{info['kink_images']} images checked against {2}^k variants, "
                  f"{info['kink_switched']} matched a non-exact side; {info['kink_over']} images "
                  f"with > {a.kink_max} near-kinks only range-checked")
    return ck.report()


# ---------------------------------------------------------------------------------------------
# precision: clcam's float32 error next to PyTorch's own

def gradcampp_pgc_float32(A, G):
    """pytorch-grad-cam's Grad-CAM++ (GradCAMPlusPlus.get_cam_weights, then the weighted sum
    and ReLU of BaseCAM) in NumPy float32, as that package computes it from float32 hooks."""
    A, G = A.numpy().astype(np.float32), G.numpy().astype(np.float32)
    g2 = G ** 2
    g3 = g2 * G
    sa = np.sum(A, axis=(2, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        aij = g2 / (2 * g2 + sa[:, :, None, None] * g3 + np.float32(1e-6))
    aij = np.where(G != 0, aij, np.float32(0))
    w = np.sum(np.maximum(G, 0) * aij, axis=(2, 3))
    return torch.from_numpy(np.maximum((w[:, :, None, None] * A).sum(axis=1), 0))


def hooked_maps(model, images, targets, names, a, dtype):
    """{name: (raw, cam)} of each method at a.layer in dtype (Grad-CAM++ in float32: as
    pytorch-grad-cam computes it), cam by cam_from_raw in the same dtype."""
    store = {}

    def fwd_hook(mod, inp, out):
        out.requires_grad_(True)
        store["A"] = out
        out.register_hook(lambda g: store.__setitem__("G", g))

    handle = getattr(model, a.layer).register_forward_hook(fwd_hook)
    out = {m: ([], []) for m in names}
    try:
        for b in range(0, images.shape[0], a.batch):
            x = preprocess(images[b:b + a.batch], a.scale, a.mean, a.std, dtype)
            t = torch.as_tensor(np.asarray(targets[b:b + a.batch]), dtype=torch.int64)
            with torch.enable_grad():
                model(x).gather(1, t[:, None]).sum().backward()
            A, G = store["A"].detach(), store["G"]
            for m in names:
                if m == "gradcampp" and dtype == torch.float32:
                    raw = gradcampp_pgc_float32(A, G)
                else:
                    raw = method_raw(m, A, G, model, x, t)[0]
                out[m][0].append(raw)
                out[m][1].append(cam_from_raw(raw, x.shape[2:])[0])
    finally:
        handle.remove()
    return {m: tuple(torch.cat(v).double().numpy() for v in rc) for m, rc in out.items()}


def cmd_precision(a):
    """clcam's maps against the formulas in float64 (model and input in double), next to
    PyTorch's own float32 maps against the same: clcam's largest difference (final maps and
    raw maps, over all images) must be at most factor x PyTorch's, or factor x a floor where
    both are at rounding level."""
    with h5py.File(a.results, "r") as r:
        index = np.asarray(r["index"])
        n = len(index) if a.count is None else min(a.count, len(index))
        tgt = np.asarray(r["target"][:n]).astype(np.int64)
        if tgt.ndim != 1:
            raise SystemExit(f"{a.results}: /target {tgt.shape}: precision takes one target per image")
        R = {m: (np.asarray(r[m + "/cam_raw"][:n], np.float64), np.asarray(r[m + "/cam"][:n], np.float64))
             for m in a.method}
    images, _, _ = read_split(a.data, a.split, int(index[0]), n)
    ref = {dt: hooked_maps(load_model(a.weights, dt), images, tgt, a.method, a, dt)
           for dt in (torch.float64, torch.float32)}
    ck = Checker()
    for m in a.method:
        raw64, cam64 = ref[torch.float64][m]
        rmax = raw64.reshape(n, -1).max(1)
        med = float(np.median(rmax[rmax > 0])) if (rmax > 0).any() else 0.0
        floors = dict(cam=a.cam_floor, raw=a.raw_floor_frac * med)
        for k, (want, t32, cl) in dict(cam=(cam64, ref[torch.float32][m][1], R[m][1]),
                                      raw=(raw64, ref[torch.float32][m][0], R[m][0])).items():
            if cl.shape != want.shape:
                ck.fail(f"{m} {k}", f"shape {cl.shape}, expected {want.shape}")
                continue
            e_t = np.abs(t32 - want).reshape(n, -1).max(1)
            e_c = np.abs(cl - want).reshape(n, -1).max(1)
            e_c = np.where(np.isfinite(e_c), e_c, np.inf)
            allowed = a.factor * max(float(e_t.max()), floors[k])
            i, idx = _worst(e_c, index)
            ck.row(f"{m} {k}", float(e_c.max()), allowed, idx,
                   f"torch float32 {e_t.max():.3g} (image {index[int(np.argmax(e_t))]}); "
                   f"clcam/torch {e_c.max() / max(e_t.max(), 1e-300):.3g}")
            if e_c.max() > allowed:
                ck.fail(f"{m} {k}", f"clcam's maps differ from float64 by up to {e_c.max():.3g} "
                                    f"(image {idx}), PyTorch's float32 ones by {e_t.max():.3g}: "
                                    f"more than {a.factor:g} x {max(float(e_t.max()), floors[k]):.3g}")
    print(f"{n} images from {int(index[0])} at {a.layer}: max |a-b| against the float64 formulas")
    return ck.report()


# ---------------------------------------------------------------------------------------------
# make-fixture

def smooth_images(rng, n, size=32):
    """Random images with structure: low-frequency colour blobs plus a little pixel noise.

    Pure uniform noise makes the random network's conv3 activations nearly image-independent,
    which gives near-tied logits; blobs give varied, spatially structured activations."""
    coarse = rng.uniform(0, 255, size=(n, 3, 4, 4)).astype(np.float32)
    up = F.interpolate(torch.from_numpy(coarse), size=(size, size), mode="bicubic",
                       align_corners=False).numpy()
    img = up + rng.normal(0, 20, size=up.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1).copy()


def cmd_make_fixture(a):
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    images = smooth_images(rng, a.n)
    labels = rng.integers(0, a.classes, size=a.n).astype(np.uint8)
    names = [f"class{i}" for i in range(a.classes)]
    with h5py.File(os.path.join(a.out, "data.h5"), "w") as f:
        f.create_dataset("test/images", data=images)
        f.create_dataset("test/labels", data=labels)
        f.attrs.create("class_names", names, dtype=h5py.string_dtype())

    torch.manual_seed(a.seed)
    model = SimpleCNN(a.classes)
    with torch.no_grad():
        # PyTorch's default init shrinks activations layer by layer, so logits come out tiny,
        # nearly tied and dominated by the image-independent part (every image gets the same
        # class). A gain on every weight keeps activations O(1); then fc2 is re-centred on these
        # images (bias = -W mean(h)) and scaled to a logit spread of ~3, so predictions vary.
        for name, p in model.named_parameters():
            if name.endswith("weight"):
                p.mul_(a.gain)
        x = preprocess(images, DEFAULT_SCALE, DEFAULT_MEAN, DEFAULT_STD, torch.float32)
        h = model.fc1(torch.flatten(F.max_pool2d(F.relu(model.conv3(F.max_pool2d(F.relu(
            model.conv2(F.max_pool2d(F.relu(model.conv1(x)), 2))), 2))), 2), 1)).relu()
        z = h @ model.fc2.weight.T
        model.fc2.weight.mul_(3.0 / z.std().clamp_min(1e-12))
        model.fc2.bias.copy_(-(h.mean(0) @ model.fc2.weight.T))
    wpath = os.path.join(a.out, "weights.h5")
    write_weights(wpath, model.state_dict())

    # Report the conditioning the fixture gives (float64 reference, predicted targets).
    ref = reference(load_model(wpath), images, "predicted", DEFAULT_SCALE, DEFAULT_MEAN,
                    DEFAULT_STD)
    rmax = ref["cam_raw"].reshape(a.n, -1).max(1)
    top2 = np.sort(ref["logits"], 1)[:, -2:]
    gap = top2[:, 1] - top2[:, 0]
    med = np.median(rmax[rmax > 0]) if (rmax > 0).any() else 0
    cond = 2 * TOLERANCES["raw_floor_frac"] / TOLERANCES["cam_tol"]
    print(f"fixture {a.out}: {a.n} images, {a.classes} classes, seed {a.seed}, gain {a.gain:g}")
    print(f"  raw maps all zero: {int((rmax == 0).sum())}/{a.n}; non-zero but ill-conditioned "
          f"(upsampled range < {cond:g} x median raw max {med:.3g}): "
          f"{int(((rmax > 0) & (ref['up_range'] < cond * med)).sum())}")
    print(f"  logits: |max| {np.abs(ref['logits']).max():.3g}, top-two gap min {gap.min():.3g}, "
          f"median {np.median(gap):.3g}; predicted classes used: "
          f"{len(np.unique(ref['pred']))}/{a.classes}")
    return 0


# ---------------------------------------------------------------------------------------------
# selftest-compare

def compare_args(data, weights, results, target="predicted", extra=()):
    argv = ["compare", "--data", data, "--split", "test", "--weights", weights,
            "--results", results, "--target", target, *extra]
    return build_parser().parse_args(argv)


def cmd_selftest(a):
    if a.dir is None:           # a temporary folder, removed afterwards
        with tempfile.TemporaryDirectory(prefix="torch-crosscheck-") as d:
            return selftest_in(a, d)
    os.makedirs(a.dir, exist_ok=True)
    return selftest_in(a, a.dir)


# Methods besides gradcam in the oracle's self-test (Score-CAM's 128 forward passes per image
# are left to torch_check.sh random).
SELFTEST_METHODS = ("gradcampp", "xgradcam", "hirescam", "eigencam")


def selftest_in(a, d):
    data, weights = os.path.join(d, "data.h5"), os.path.join(d, "weights.h5")
    problems = []
    p = build_parser()
    cmd_make_fixture(p.parse_args(["make-fixture", "--out", d, "--n", str(a.n),
                                   "--seed", str(a.seed)]))
    # A "perfect" file: torch in float32 (as clcam computes), checked against the float64 oracle.
    good = os.path.join(d, "good.h5")
    cmd_write_results(p.parse_args(["write-results", "--data", data, "--weights", weights,
                                    "--out", good, "--dtype", "float32",
                                    "--methods", *SELFTEST_METHODS]))

    # 1. the correct file passes, through the real command line (exit status 0)
    rc = subprocess.run([sys.executable, os.path.abspath(__file__), "compare", "--data", data,
                         "--split", "test", "--weights", weights, "--results", good]).returncode
    if rc != 0:
        problems.append(f"compare of the correct file exited {rc}, expected 0")
    # ... and fails with status 1 on a wrong target mode (the CLI's failure path)
    rc = subprocess.run([sys.executable, os.path.abspath(__file__), "compare", "--data", data,
                         "--split", "test", "--weights", weights, "--results", good,
                         "--target", "label"], stdout=subprocess.DEVNULL).returncode
    if rc != 1:
        problems.append(f"compare with the wrong target mode exited {rc}, expected 1")

    # 2. each perturbation must make compare fail, naming the expected check
    with h5py.File(good, "r") as f:
        cam = np.asarray(f["gradcam/cam"])
        raw = np.asarray(f["gradcam/cam_raw"])
        logits = np.asarray(f["logits"])
    rmax = raw.reshape(len(raw), -1).max(1)
    img = int(np.argmax(rmax))                  # a well-conditioned image
    y, x = np.unravel_index(int(np.argmin(np.abs(cam[img] - 0.5))), cam[img].shape)
    zimg = int(np.argmin(rmax))

    def perturb_cam(f):
        f["gradcam/cam"][img, y, x] += np.float32(0.01)

    def perturb_logit(f):
        f["logits"][img, 0] += np.float32(1e-2)

    def perturb_pred(f):
        c = (int(f["pred"][img]) + 1) % logits.shape[1]
        f["pred"][img] = c
        f["target"][img] = c      # keep target == pred, so the pred check is what must fail

    def perturb_complete(f):
        f.attrs["complete"] = np.int32(0)

    def perturb_nan(f):
        f["gradcam/cam"][img, 0, 0] = np.float32("nan")

    def perturb_raw(f):
        f["gradcam/cam_raw"][img, 4, 4] *= np.float32(1.001)

    def perturb_attr(f):
        del f.attrs["driver_version"]

    def perturb_zero(f):        # an all-zero map must stay all zero
        f["gradcam/cam_raw"][zimg, 0, 0] = np.float32(1e-3)

    def perturb_method_raw(f):  # 1% of the image's maximum at its maximum
        r = f["eigencam/cam_raw"]
        i = int(np.argmax(np.asarray(r).reshape(len(raw), -1).max(1)))
        p = np.unravel_index(int(np.argmax(r[i])), r.shape[1:])
        r[(i,) + p] *= np.float32(1.01)

    def perturb_method_cam(f):
        c = f["hirescam/cam"]
        c[img, y, x] = np.float32(min(1.0, float(c[img, y, x]) + 0.01)) \
            if c[img, y, x] < 0.5 else c[img, y, x] - np.float32(0.01)

    def perturb_scale_gradcampp(f):  # every Grad-CAM++ map x1.01 (ill-conditioned ones too)
        f["gradcampp/cam_raw"][...] = np.asarray(f["gradcampp/cam_raw"]) * np.float32(1.01)

    def keep(f):
        pass

    # (what, perturbation, the check that must fail, compare's extra arguments)
    cases = [("eigencam raw x1.01", perturb_method_raw, "eigencam raw"),
             ("gradcampp maps x1.01", perturb_scale_gradcampp, "gradcampp raw"),
             # tolerances grown past the cap (as if every map were ill-conditioned): the share
             # of tightly compared maps must fail, not pass them with a huge tolerance
             ("conditioning x1e5", keep, "xgradcam raw", ("--cond-rel-tol", "1")),
             ("hirescam cam +-0.01", perturb_method_cam, "hirescam cam"),
             ("cam value +0.01", perturb_cam, "cam"), ("logit +1e-2", perturb_logit, "logits"),
             ("pred flipped", perturb_pred, "pred"), ("complete = 0", perturb_complete, "complete"),
             ("NaN in cam", perturb_nan, "finite"), ("raw value x1.001", perturb_raw, "cam_raw"),
             ("attribute missing", perturb_attr, "attributes")]
    if rmax[zimg] == 0:
        cases.append(("zero map made non-zero", perturb_zero, "cam_raw"))
    else:
        print("note: the fixture has no all-zero raw map; that case is not exercised")
    for what, fn, check, *extra in cases:
        bad = os.path.join(d, "bad.h5")
        with open(good, "rb") as src, open(bad, "wb") as dst:
            dst.write(src.read())
        with h5py.File(bad, "r+") as f:
            fn(f)
        ck, _ = compare(compare_args(data, weights, bad, extra=extra[0] if extra else ()))
        names = {line.split(":")[0][5:] for line in ck.failures}
        status = "ok" if check in names else "NOT DETECTED"
        print(f"  perturbation {what:<24} -> failed checks {sorted(names)}: {status}")
        if check not in names:
            problems.append(f"{what}: compare did not fail check '{check}' ({ck.failures})")
    for line in problems:
        print("SELFTEST FAIL:", line)
    print("selftest-compare:", "PASS" if not problems else "FAIL")
    return 0 if not problems else 1


# ---------------------------------------------------------------------------------------------
# cifar-subset, check-weights (tools for checking the oracle itself on the shared data)

def cmd_cifar_subset(a):
    import tarfile
    with tarfile.open(a.archive) as t:
        raw = t.extractfile("cifar-10-batches-bin/test_batch.bin").read()
    rec = np.frombuffer(raw, np.uint8).reshape(-1, 3073)[:a.count]
    labels = rec[:, 0].copy()
    images = rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()  # planes -> NHWC
    with h5py.File(a.out, "w") as f:
        f.create_dataset("test/images", data=images)
        f.create_dataset("test/labels", data=labels)
        f.attrs.create("class_names", CIFAR_CLASSES, dtype=h5py.string_dtype())
    print(f"wrote {a.out}: {len(images)} test images")
    return 0


def cmd_check_weights(a):
    sd = torch.load(a.pth, map_location="cpu")
    worst, bad = 0.0, []
    with h5py.File(a.weights, "r") as f:
        for k, v in sd.items():
            h = np.asarray(f[k.replace(".", "/")])
            if h.shape != tuple(v.shape) or h.dtype != np.float32:
                bad.append(f"{k}: {h.shape} {h.dtype} vs {tuple(v.shape)}")
                continue
            worst = max(worst, float(np.abs(h - v.numpy()).max()))
    print(f"{len(sd)} tensors; max |h5 - pth| = {worst:g}; mismatches: {bad or 'none'}")
    return 0 if not bad and worst == 0 else 1


# ---------------------------------------------------------------------------------------------

def add_pre(p):
    p.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    p.add_argument("--mean", type=float, nargs=3, default=list(DEFAULT_MEAN))
    p.add_argument("--std", type=float, nargs=3, default=list(DEFAULT_STD))
    p.add_argument("--batch", type=int, default=256)


def build_parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("make-fixture", help="random dataset + weights in clcam's layouts")
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--gain", type=float, default=2.0, help="factor on PyTorch's default init")
    p.set_defaults(fn=cmd_make_fixture)

    p = sub.add_parser("write-results", help="a results file computed by PyTorch")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--weights", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--target", default="predicted")
    p.add_argument("--layer", default="conv3", choices=LAYERS)
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--methods", nargs="*", default=None, choices=METHODS,
                   help="CAM methods besides gradcam to write")
    add_pre(p)
    p.set_defaults(fn=cmd_write_results)

    t = TOLERANCES
    p = sub.add_parser("compare", help="check a clcam results file against PyTorch")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--start", type=int, default=None, help="default: /index[0]")
    p.add_argument("--count", type=int, default=None, help="default: length of /index")
    p.add_argument("--weights", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--target", default="predicted", help="predicted | label | INT")
    p.add_argument("--layer", default=None, choices=LAYERS, help="default: the file's 'layer'")
    p.add_argument("--method", action="append", default=None, choices=METHODS,
                   help="a CAM method to check besides gradcam's detailed checks (repeatable; "
                        "default: every method in the file's 'methods' attribute)")
    p.add_argument("--dtype", default="float64", choices=("float32", "float64"),
                   help="oracle precision (default float64: measures clcam's error exactly)")
    add_pre(p)
    p.add_argument("--logit-tol", type=float, default=t["logit_tol"],
                   help="logits, probs: |a-b| <= tol*(1+|b|)")
    p.add_argument("--raw-rel-tol", type=float, default=t["raw_rel_tol"],
                   help="cam_raw: |a-b| <= rel*max(ref image) + floor")
    p.add_argument("--raw-floor-frac", type=float, default=t["raw_floor_frac"],
                   help="floor = frac * median raw max of the non-zero maps")
    p.add_argument("--cam-tol", type=float, default=t["cam_tol"],
                   help="cam: |a-b| <= tol, except on ill-conditioned maps")
    p.add_argument("--min-checked", type=float, default=None,
                   help="each method must compare at least this share of its non-zero maps "
                        "tightly, raw and cam (default: the method's MIN_CHECKED)")
    p.add_argument("--cond-rel-tol", type=float, default=t["cond_rel_tol"],
                   help="methods that divide by near-zero sums: + tol * their conditioning")
    p.add_argument("--raw-cap", type=float, default=t["raw_cap"],
                   help="a map whose raw tolerance passes cap * image max (+ floor) is "
                        "ill-conditioned: compared loosely, not counted as tight")
    p.add_argument("--cond-frac", type=float, default=None,
                   help="cam skips maps whose upsampled range < frac * median raw max "
                        "(default 2*raw_floor_frac/cam_tol)")
    p.add_argument("--kink-rel", type=float, default=t["kink_rel"],
                   help="ReLU inputs (conv3 pooled, fc1) with |x| < rel * median per-image max "
                        "|x| may fall on either side in float32")
    p.add_argument("--kink-max", type=int, default=6,
                   help="at most this many near-kinks per image are enumerated (2^k variants)")
    p.add_argument("--tie-tol", type=float, default=t["tie_tol"],
                   help="pred may differ from torch where torch's top-two gap < this")
    p.set_defaults(fn=cmd_compare)

    p = sub.add_parser("precision", help="clcam's float32 error next to PyTorch's own, "
                                         "both against float64")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--weights", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--count", type=int, default=None, help="the first COUNT images of the file")
    p.add_argument("--layer", default="conv3", choices=LAYERS)
    p.add_argument("--method", action="append", default=None, choices=METHODS,
                   help="repeatable; default gradcampp")
    p.add_argument("--factor", type=float, default=PRECISION_FACTOR,
                   help="clcam's error <= factor x max(PyTorch float32's error, floor)")
    p.add_argument("--cam-floor", type=float, default=1e-5,
                   help="floor of the final maps' error (float32 rounding of well-conditioned maps)")
    p.add_argument("--raw-floor-frac", type=float, default=t["raw_floor_frac"],
                   help="floor of the raw maps' error, x median raw max")
    add_pre(p)
    p.set_defaults(fn=cmd_precision, method_default=["gradcampp"])

    p = sub.add_parser("selftest-compare", help="compare passes a good file, fails bad ones")
    p.add_argument("--dir", default=None, help="work folder (default: a new temp folder)")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(fn=cmd_selftest)

    p = sub.add_parser("compare-topk", help="a results file of cam.target topk:K against PyTorch")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--weights", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--layer", default=None, choices=LAYERS, help="default: the file's 'layer'")
    p.add_argument("--method", action="append", default=None, choices=METHODS,
                   help="default: every method in the file's 'methods' attribute")
    add_pre(p)
    p.add_argument("--raw-rel-tol", type=float, default=t["raw_rel_tol"])
    p.add_argument("--raw-floor-frac", type=float, default=t["raw_floor_frac"])
    p.add_argument("--cam-tol", type=float, default=t["cam_tol"])
    p.add_argument("--tie-tol", type=float, default=t["tie_tol"])
    p.add_argument("--min-checked", type=float, default=None)
    p.add_argument("--cond-rel-tol", type=float, default=t["cond_rel_tol"])
    p.add_argument("--raw-cap", type=float, default=t["raw_cap"])
    p.set_defaults(fn=cmd_compare_topk)

    p = sub.add_parser("cifar-subset", help="dataset file from the CIFAR-10 binary archive")
    p.add_argument("--archive", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=1000)
    p.set_defaults(fn=cmd_cifar_subset)

    p = sub.add_parser("check-weights", help="an .h5 weights file equals a .pth state_dict")
    p.add_argument("--weights", required=True)
    p.add_argument("--pth", required=True)
    p.set_defaults(fn=cmd_check_weights)
    return ap


def main(argv=None):
    a = build_parser().parse_args(argv)
    if getattr(a, "method_default", None) and not a.method:
        a.method = a.method_default
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
