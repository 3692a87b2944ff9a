#!/usr/bin/env python3
"""clcam against PyTorch on ResNets from ONNX files: images/s side by side, one run.

  /usr/bin/python3 bench/bench_resnet.py CLCAM [--cifar N] [--imagenet N] [--batch B]

Two cases, each on random weights (speed does not depend on their values):
  - a CIFAR-style ResNet (3 stages of 2 basic blocks, 16/32/64 channels, 1x1 projection
    shortcuts) on the first N CIFAR-10 test images (data/cifar10.h5; default 10,000);
  - torchvision's resnet18 at 224x224 on N smooth random images (default 512).
Each is exported with torch.onnx.export and run by `clcam run` with `model.onnx` and
`cam.layer: auto` (the last block), Grad-CAM for the predicted class; PyTorch runs its best
way on the same images and batch: a forward hook on the same block and torch.autograd.grad
of the selected scores down to that block's output only, then the same CAM steps.
PyTorch uses every core (torch.get_num_threads()). Prints a table and one JSON line per case.
Not a test: figures, no verdicts.
"""
import argparse
import json
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
import torch_crosscheck as tc  # noqa: E402
from torch_graph import Block  # noqa: E402  (a basic block with its projection shortcut)


class CifarResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(Block(16, 16, 1), Block(16, 16, 1))
        self.layer2 = nn.Sequential(Block(16, 32, 2), Block(32, 32, 1))
        self.layer3 = nn.Sequential(Block(32, 64, 2), Block(64, 64, 1))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def randomise(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def torch_best(model, block, images, batch):
    """images/s of PyTorch's best way: hook on `block`, autograd.grad down to its output."""
    store = {}

    def keep(m, i, o):
        o.requires_grad_(True)  # a leaf: no gradient flows above the block (parameters need none)
        store["A"] = o
    for p in model.parameters():
        p.requires_grad_(False)
    h = block.register_forward_hook(keep)
    n, t0 = len(images), time.perf_counter()
    try:
        for s in range(0, n, batch):
            x = tc.preprocess(images[s:s + batch], tc.DEFAULT_SCALE, tc.DEFAULT_MEAN, tc.DEFAULT_STD,
                              torch.float32)
            logits = model(x)
            score = logits.gather(1, logits.argmax(1, keepdim=True)).sum()
            (g,) = torch.autograd.grad(score, store["A"])
            with torch.no_grad():
                w = g.mean(dim=(2, 3), keepdim=True)
                raw = F.relu((w * store["A"]).sum(1, keepdim=True))
                up = F.interpolate(raw, size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0]
                lo, hi = up.amin(dim=(1, 2), keepdim=True), up.amax(dim=(1, 2), keepdim=True)
                _ = torch.where(hi > lo, (up - lo) / (hi - lo), torch.zeros_like(up)).numpy()
    finally:
        h.remove()
    return n / (time.perf_counter() - t0)


def clcam_run(clcam, tmp, name, onnx, data, n, batch):
    cfg = f"{tmp}/{name}.yaml"
    with open(cfg, "w") as f:
        f.write(f"batch: {batch}\ndata:\n  file: {data}\n  count: {n}\nmodel:\n  onnx: {onnx}\n"
                f"cam:\n  layer: auto\noutput:\n  file: {tmp}/{name}.h5\n")
    subprocess.run([clcam, "run", cfg, "--quiet", "--overwrite", "--set", "data.count=" + str(min(n, batch))],
                   check=True, capture_output=True)  # warm: kernels built and cached
    out = subprocess.run([clcam, "run", cfg, "--quiet", "--overwrite", "--stats"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def forward_mflops(clcam, onnx):
    """MFLOPs of one image's forward pass, as `clcam model` counts them (2 per multiply-add)."""
    out = subprocess.run([clcam, "model", onnx], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1].split(",")[1].split()[0])


def cpu_peak(tmp):
    """The CPUs' float32 FMA peak in GFLOP/s, measured by bench/cpu_peak.c (None without gcc)."""
    exe = os.path.join(tmp, "cpu_peak")
    try:
        subprocess.run(["gcc", "-O2", "-march=native", "-fopenmp", os.path.join(HERE, "cpu_peak.c"),
                        "-o", exe], check=True, capture_output=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
        return float(out.split(":")[1].split()[0])
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError):
        return None


def case(clcam, tmp, name, model, block, images, data, batch, shape):
    torch.onnx.export(model, torch.zeros((1,) + shape), f"{tmp}/{name}.onnx", opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}})
    c = clcam_run(clcam, tmp, name, f"{tmp}/{name}.onnx", data, len(images), batch)
    torch_best(model, block, images[:batch], batch)  # warm
    t = torch_best(model, block, images, batch)
    r = {"case": name, "images": len(images), "batch": batch, "clcam_images_per_s": c["images_per_s"],
         "torch_best_images_per_s": round(t, 1), "ratio": round(c["images_per_s"] / t, 2),
         "torch_threads": torch.get_num_threads(), "clcam_device_peak_bytes": c.get("device_peak_bytes"),
         "forward_mflops": forward_mflops(clcam, f"{tmp}/{name}.onnx")}
    # the forward pass's arithmetic rate (the backward to the last block is a small part)
    r["clcam_forward_gflops"] = round(r["forward_mflops"] * c["images_per_s"] / 1e3, 1)
    r["torch_forward_gflops"] = round(r["forward_mflops"] * t / 1e3, 1)
    print(json.dumps(r))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clcam")
    ap.add_argument("--cifar", type=int, default=10000)
    ap.add_argument("--imagenet", type=int, default=512)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if a.cifar:
            data = os.path.join(ROOT, "data", "cifar10.h5")
            with h5py.File(data, "r") as f:
                images = np.asarray(f["test/images"][:a.cifar])
            m = randomise(CifarResNet())
            rows.append(case(a.clcam, tmp, "cifar_resnet", m, m.layer3[-1], images, data, a.batch,
                             (3, 32, 32)))
        if a.imagenet:
            import torchvision
            images = tc.smooth_images(np.random.default_rng(1), a.imagenet, size=224)
            with h5py.File(f"{tmp}/imagenet.h5", "w") as f:
                f.create_dataset("test/images", data=images, chunks=(16, 224, 224, 3))
                f.attrs["class_names"] = [f"c{i}" for i in range(1000)]
            m = randomise(torchvision.models.resnet18())
            rows.append(case(a.clcam, tmp, "resnet18_224", m, m.layer4[-1], images, f"{tmp}/imagenet.h5",
                             min(a.batch, 32), (3, 224, 224)))
        peak = cpu_peak(tmp)
    print(f"\n{'case':<16}{'images':>8}{'clcam img/s':>14}{'PyTorch best':>14}{'clcam x':>9}"
          f"{'clcam GFLOP/s':>15}{'PyTorch GFLOP/s':>17}{'1.5x needs':>12}", file=sys.stderr)
    for r in rows:
        print(f"{r['case']:<16}{r['images']:>8}{r['clcam_images_per_s']:>14.1f}"
              f"{r['torch_best_images_per_s']:>14.1f}{r['ratio']:>9.2f}{r['clcam_forward_gflops']:>15.1f}"
              f"{r['torch_forward_gflops']:>17.1f}{1.5 * r['torch_forward_gflops']:>12.1f}", file=sys.stderr)
    print(f"float32 FMA peak of this CPU (bench/cpu_peak.c, every core): "
          f"{peak if peak is not None else 'not measured (no gcc)'} GFLOP/s", file=sys.stderr)


if __name__ == "__main__":
    main()
