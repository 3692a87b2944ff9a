#!/usr/bin/env python3
"""The PyTorch side of bench/bench.sh: what users run today, timed on the same data.

Cases (all batched, from the HDF5 dataset to an HDF5 file of CAMs):
  reference  the reference algorithm: forward hook on conv3, full backward of the one-hot at
             the predicted class (parameter gradients included), mean over space, ReLU,
             bilinear upsampling, min-max
  best       gradients only down to conv3: torch.autograd.grad of the selected scores with
             respect to conv3's output, no parameter gradients; the rest as above
  forward    forward pass only (logits), a floor for what any explanation costs
Prints one JSON line per case: {"case", "images", "seconds", "images_per_s", "peak_rss_mb"}.
"""
import argparse
import json
import resource
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


class SimpleCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1)
        self.fc1 = nn.Linear(2048, 512)
        self.fc2 = nn.Linear(512, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def load_model(path):
    model = SimpleCNN()
    with h5py.File(path, "r") as f:
        state = {k: torch.from_numpy(f[k.replace(".", "/")][...]) for k in model.state_dict()}
    model.load_state_dict(state)
    return model.eval()


def preprocess(images):
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def finish_cam(acts, grads, size):
    w = grads.mean(dim=(2, 3), keepdim=True)
    raw = F.relu((w * acts).sum(dim=1, keepdim=True))
    up = F.interpolate(raw, size=size, mode="bilinear", align_corners=False)[:, 0]
    lo = up.flatten(1).min(1)[0].view(-1, 1, 1)
    hi = up.flatten(1).max(1)[0].view(-1, 1, 1)
    rng = hi - lo
    return torch.where(rng > 0, (up - lo) / torch.where(rng > 0, rng, torch.ones_like(rng)),
                       torch.zeros_like(up)), raw[:, 0]


def run_case(case, model, x):
    size = x.shape[-2:]
    if case == "forward":
        with torch.no_grad():
            return model(x), None, None
    store = {}
    if case == "reference":
        h1 = model.conv3.register_forward_hook(lambda m, i, o: store.__setitem__("a", o))
        h2 = model.conv3.register_full_backward_hook(lambda m, gi, go: store.__setitem__("g", go[0]))
        logits = model(x.requires_grad_(True))
        pred = logits.argmax(1)
        model.zero_grad()
        logits.gather(1, pred[:, None]).sum().backward()
        h1.remove(), h2.remove()
        acts, grads = store["a"].detach(), store["g"].detach()
    else:  # best: gradients only down to conv3's output
        def keep(m, i, o):
            o.requires_grad_(True)  # a leaf: parameters need no gradient here
            store["a"] = o
        h = model.conv3.register_forward_hook(keep)
        with torch.enable_grad():
            logits = model(x)
        h.remove()
        pred = logits.argmax(1)
        grads, = torch.autograd.grad(logits.gather(1, pred[:, None]).sum(), store["a"])
        acts = store["a"].detach()
    with torch.no_grad():
        cam, raw = finish_cam(acts, grads, size)
    return logits.detach(), cam, raw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--out", required=True, help="folder for the CAM files")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--threads", type=int, default=0, help="0: os.cpu_count()")
    ap.add_argument("--cases", default="reference,best,forward")
    ap.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1 ...")
    args = ap.parse_args()
    import os
    torch.set_num_threads(args.threads or os.cpu_count())
    device = torch.device(args.device)
    model = load_model(args.weights).to(device)
    if args.threads == 0:
        args.threads = torch.get_num_threads()
    for case in args.cases.split(","):
        if case == "best":
            for p in model.parameters():
                p.requires_grad_(False)
        else:
            for p in model.parameters():
                p.requires_grad_(True)
        t0 = time.perf_counter()
        with h5py.File(args.data, "r") as src, h5py.File(f"{args.out}/torch_{case}.h5", "w") as dst:
            images = src["test/images"]
            n = min(args.count, images.shape[0])
            d_pred = dst.create_dataset("pred", (n,), "i4")
            d_cam = None if case == "forward" else dst.create_dataset(
                "gradcam/cam", (n, 32, 32), "f4", chunks=(args.batch, 32, 32), compression="gzip",
                compression_opts=4, shuffle=True)
            for s in range(0, n, args.batch):
                e = min(n, s + args.batch)
                logits, cam, raw = run_case(case, model, preprocess(images[s:e]).to(device))
                d_pred[s:e] = logits.argmax(1).cpu().numpy()  # the copy back waits for the device
                if d_cam is not None:
                    d_cam[s:e] = cam.cpu().numpy()
        sec = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(json.dumps({"case": "torch_" + case, "images": n, "seconds": round(sec, 3),
                          "images_per_s": round(n / sec, 1), "threads": args.threads,
                          "batch": args.batch, "device": args.device,
                          "peak_rss_mb": round(rss, 1)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
