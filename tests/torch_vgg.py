#!/usr/bin/env python3
"""clcam against PyTorch on a VGG-style network with batch norm, described by model.layers.

  torch_vgg.py CLCAM

Builds a random VGG (6 convs, 5 with BatchNorm2d whose running statistics are randomised so
that folding matters, one without bias, max- and average pooling, global average pooling,
dropout) in eval mode, exports it with tools/export_torch.py (weights + the printed
model.layers block), writes a random dataset, runs `clcam run` with Grad-CAM at three layers
(the last conv, an earlier batchnorm's output, a pool) and compares logits, pred and the maps
with PyTorch (float64, hooks; the algorithm of torch_crosscheck.py); then all eight CAM
methods at the last ReLU against torch_crosscheck.py's formulas. Exit 0 pass, 1 fail,
77 (SKIP) without torch and h5py.
"""
import os
import subprocess
import sys
import tempfile
from collections import OrderedDict

try:
    import h5py
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    print(f"SKIP torch_vgg: {e} (apt-get install python3-torch python3-h5py)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import torch_crosscheck as tc  # noqa: E402  (smooth_images, preprocess, minmax, constants)

LOGIT_TOL = 1e-4   # |a-b| <= tol*(1+|b|), as torch_crosscheck.py
RAW_REL, RAW_FLOOR = 1e-4, 1e-5
CAM_TOL, COND_FRAC = 1e-3, 0.02
N, CLASSES = 96, 10


def make_vgg(classes=CLASSES):
    """The network (also --model torch_vgg:make_vgg for tools/export_torch.py)."""
    def cbr(cin, cout, eps=1e-5):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=eps),
                nn.ReLU()]
    features = nn.Sequential(
        *cbr(3, 16), *cbr(16, 16, eps=1e-3), nn.MaxPool2d(2, 2),     # 0..6   32 -> 16
        *cbr(16, 32), *cbr(32, 32), nn.AvgPool2d(2),                 # 7..13  16 -> 8
        *cbr(32, 48), nn.Conv2d(48, 64, 3, stride=1, padding=1), nn.ReLU(),  # 14..18 (18: ReLU)
        nn.AdaptiveAvgPool2d(1))                                     # 19
    classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, classes))
    return nn.Sequential(OrderedDict(features=features, classifier=classifier))


LAYERS = ["features.17", "features.4", "features.6"]  # last conv, 2nd BN output, maxpool


def randomise(model, images):
    torch.manual_seed(3)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    m.bias.uniform_(-0.2, 0.2)
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.002, 3.0)  # some tiny: eps matters there
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.3)
        model.eval()
        # Re-centre the classifier on these images, logit spread ~3, so predictions vary.
        h = model.features(tc.preprocess(images, tc.DEFAULT_SCALE, tc.DEFAULT_MEAN,
                                         tc.DEFAULT_STD, torch.float32)).flatten(1)
        lin = model.classifier[2]
        lin.weight.normal_(0, 1)
        z = h @ lin.weight.T
        lin.weight.mul_(3.0 / z.std().clamp_min(1e-12))
        lin.bias.copy_(-(h.mean(0) @ lin.weight.T))


def hooked(model, images, targets, layer):
    """float64 forward and one-hot backward with hooks on the named module: x, logits, A, G."""
    store = {}
    mod = dict(model.named_modules())[layer]

    def hook(m, i, o):
        o.requires_grad_(True)
        store["A"] = o
        o.register_hook(lambda g: store.__setitem__("G", g))

    h = mod.register_forward_hook(hook)
    try:
        x = tc.preprocess(images, tc.DEFAULT_SCALE, tc.DEFAULT_MEAN, tc.DEFAULT_STD, torch.float64)
        with torch.enable_grad():
            logits = model(x)
            t = torch.as_tensor(targets, dtype=torch.int64)
            logits.gather(1, t[:, None]).sum().backward()
    finally:
        h.remove()
    return x, logits.detach(), store["A"].detach(), store["G"]


def gradcam(model, images, targets, layer):
    """float64 Grad-CAM at the named module's output: raw [n,h,w], cam [n,H,W], logits."""
    x, logits, A, G = hooked(model, images, targets, layer)
    w = G.mean(dim=(2, 3))
    raw = F.relu((w[:, :, None, None] * A).sum(1))
    up = F.interpolate(raw[:, None], size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0]
    return (logits.numpy(), raw.numpy(), tc.minmax(up).numpy(),
            (up.amax(dim=(1, 2)) - up.amin(dim=(1, 2))).numpy())


def compare_gradcam(tag, R, model, images, layer, skip=None):
    """Logits, pred, cam_raw and cam of a results file R (keys logits, pred, target, cam,
    cam_raw) against float64 Grad-CAM at `layer`; a list of failures. skip: a mask of images
    left out of the map checks (say, near a clip's bound, where float32 and float64 may land
    on opposite sides)."""
    out = []
    logits, raw, cam, up_range = gradcam(model, images, R["target"].astype(np.int64), layer)
    n = raw.shape[0]
    skip = np.zeros(n, bool) if skip is None else skip
    e_logit = np.abs(R["logits"] - logits) / (1 + np.abs(logits))
    top2 = np.sort(logits, 1)[:, -2:]
    tie = (top2[:, 1] - top2[:, 0]) < LOGIT_TOL
    bad_pred = (R["pred"] != logits.argmax(1)) & ~tie
    if raw.shape != R["cam_raw"].shape:
        return [f"{tag}: cam_raw shape {R['cam_raw'].shape}, torch {raw.shape}"]
    rmax = raw.reshape(n, -1).max(1)
    med = float(np.median(rmax[rmax > 0])) if (rmax > 0).any() else 0.0
    e_raw = np.abs(R["cam_raw"] - raw).reshape(n, -1).max(1)
    e_raw[skip] = 0.0
    raw_allowed = RAW_REL * rmax + RAW_FLOOR * med
    keep = (up_range >= COND_FRAC * med) & ~skip
    e_cam = np.abs(R["cam"] - cam).reshape(n, -1).max(1)
    print(f"== {tag}: cam.layer {layer} (map {raw.shape[1]}x{raw.shape[2]}): logits max "
          f"|a-b|/(1+|b|) {e_logit.max():.3g}; pred mismatches {int(bad_pred.sum())} (near ties "
          f"{int(tie.sum())}); cam_raw max |a-b| {e_raw.max():.3g} (max ratio to allowed "
          f"{np.max(e_raw / np.maximum(raw_allowed, 1e-30)):.3g}); cam max |a-b| "
          f"{e_cam[keep].max() if keep.any() else 0:.3g} on {int(keep.sum())} maps, "
          f"{e_cam.max():.3g} on all" + (f"; {int(skip.sum())} images left out" if skip.any() else ""))
    if e_logit.max() > LOGIT_TOL:
        out.append(f"{tag}: logits off by {e_logit.max():.3g} (1+|b|)")
    if bad_pred.any():
        out.append(f"{tag}: pred differs on {int(bad_pred.sum())} images")
    if np.any(e_raw > raw_allowed):
        out.append(f"{tag}: cam_raw off by {e_raw.max():.3g}")
    if keep.any() and e_cam[keep].max() > CAM_TOL:
        out.append(f"{tag}: cam off by {e_cam[keep].max():.3g}")
    if keep.sum() < n // 2:
        out.append(f"{tag}: only {int(keep.sum())} well-conditioned maps")
    return out


def read_gradcam(path):
    """A results file's logits, pred, target and Grad-CAM maps, as compare_gradcam takes them."""
    with h5py.File(path, "r") as f:
        R = {k: np.asarray(f[k]) for k in ("logits", "pred", "target")}
        R["cam"], R["cam_raw"] = np.asarray(f["gradcam/cam"]), np.asarray(f["gradcam/cam_raw"])
        R["layer"] = tc.attr_str(f.attrs["layer"])
    return R


def methods(model, images, targets, names, layer):
    """Every method's formulas (torch_crosscheck.method_raw) in float64 at the named module's
    output: {name: dict(cam_raw, cam, up_range, mag, cmag)} for tc.compare_methods."""
    x, _, A, G = hooked(model, images, targets, layer)
    t = torch.as_tensor(targets, dtype=torch.int64)
    out = {}
    for name in names:
        raw, mag, cmag = tc.method_raw(name, A, G, model, x, t)
        cam, rng = tc.cam_from_raw(raw, x.shape[2:])
        out[name] = {"cam_raw": raw.numpy(), "cam": cam.numpy(), "up_range": rng.numpy(),
                     "mag": np.asarray(mag, dtype=np.float64),
                     "cmag": np.asarray(cmag, dtype=np.float64)}
    return out


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        print(f"FAIL: {' '.join(cmd)} exited {r.returncode}\n{r.stdout}{r.stderr}")
        sys.exit(1)
    return r.stdout


def main():
    if len(sys.argv) != 2:
        print("usage: torch_vgg.py CLCAM", file=sys.stderr)
        return 2
    clcam = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(5)
        images = tc.smooth_images(rng, N)
        labels = rng.integers(0, CLASSES, size=N).astype(np.uint8)
        with h5py.File(f"{tmp}/data.h5", "w") as f:
            f.create_dataset("test/images", data=images)
            f.create_dataset("test/labels", data=labels)
            f.attrs.create("class_names", [f"c{i}" for i in range(CLASSES)], dtype=h5py.string_dtype())
        model = make_vgg()
        randomise(model, images)
        torch.save(model.state_dict(), f"{tmp}/vgg.pth")
        env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
        block = run([sys.executable, f"{ROOT}/tools/export_torch.py", f"{tmp}/vgg.pth",
                     f"{tmp}/vgg.h5", "--model", "torch_vgg:make_vgg"], env=env)
        print(block, end="")
        ref_model = make_vgg()
        ref_model.load_state_dict(torch.load(f"{tmp}/vgg.pth"))
        ref_model = ref_model.double().eval()
        for p in ref_model.parameters():
            p.requires_grad_(False)

        # The folded conv is not a CAM layer: the error names the batchnorm to use instead.
        with open(f"{tmp}/vgg.yaml", "w") as f:
            f.write(f"batch: 40\ndata:\n  file: {tmp}/data.h5\n{block}"
                    f"cam:\n  layer: features.0\noutput:\n  file: {tmp}/bad.h5\n")
        r = subprocess.run([clcam, "run", f"{tmp}/vgg.yaml", "--quiet"], capture_output=True, text=True)
        if r.returncode != 2 or "features.1" not in r.stderr:
            failures.append(f"cam.layer features.0 (folded): exit {r.returncode}, {r.stderr.strip()}")

        for layer in LAYERS:
            out = f"{tmp}/r_{layer}.h5"
            run([clcam, "run", f"{tmp}/vgg.yaml", "--quiet", "--set", f"cam.layer={layer}",
                 "--set", f"output.file={out}"])
            failures += compare_gradcam(layer, read_gradcam(out), ref_model, images, layer)
        # Every CAM method at the last ReLU (A >= 0: Grad-CAM++'s and XGrad-CAM's sums of A
        # are positive), on 32 images (Score-CAM reruns the network 64 times per image).
        names = list(tc.METHODS)
        out = f"{tmp}/r_all.h5"
        run([clcam, "run", f"{tmp}/vgg.yaml", "--quiet", "--set", "cam.layer=features.18",
             "--set", "data.count=32", "--set", f"cam.methods=[{', '.join(names)}]",
             "--set", f"output.file={out}"])
        with h5py.File(out, "r") as f:
            R = {f"{m}/{k}": np.asarray(f[f"{m}/{k}"]) for m in names for k in ("cam", "cam_raw")}
            targets = np.asarray(f["target"]).astype(np.int64)
        ref = methods(ref_model, images[:32], targets, names, "features.18")
        ck = tc.Checker()
        opts = type("opts", (), dict(raw_rel_tol=1e-5, cam_tol=CAM_TOL, min_checked=0.8))
        print("== all eight methods at features.18 (the last ReLU), 32 images")
        tc.compare_methods(ck, opts, names, R, ref, np.arange(32), 32, RAW_FLOOR)
        ck.report()
        failures += ck.failures

    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else f"FAILED: {len(failures)} checks")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
