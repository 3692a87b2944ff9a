#!/usr/bin/env python3
"""Write a small synthetic clcam results file and its dataset file.

The layout is the one in docs/file_formats.md ("Dataset file", "Results file"), so the notebook
and other readers can be tested without OpenCL, weights or CIFAR-10:

    DIR/dataset.h5   /<split>/images uint8 [M,H,W,3], /<split>/labels uint8 [M], class_names
    DIR/results.h5   /index /label /logits /probs /pred /target /gradcam/cam /gradcam/cam_raw
                     and the root attributes `clcam run` writes

Values are plausible: probs rows sum to 1, pred = argmax(logits), target = pred, each cam is
in [0, 1] with min 0 and max 1, about 70% of the predictions are correct (the correct ones'
heatmaps sit near the centre, the wrong ones' near a corner). The rows explained start at
dataset row 3, so readers must map through /index.

    python3 tests/make_results_fixture.py --out DIR [--n 40] [--seed 0] [--no-labels]
                                          [--zero-cams K] [--classes C] [--size S]
                                          [--cam-dtype float32|float16|uint8]

--no-labels leaves out /label (and the dataset's labels); --zero-cams K makes the first K
heatmaps all zero, as a real run does where the Grad-CAM weights are all negative.
--classes C (default 10: CIFAR-10's names; more: "class000", ...) and --size S (images and maps
SxS, the layer's maps S/4) make ImageNet-like files; --cam-dtype stores /gradcam/cam as
output.cam_dtype does (float16, or uint8 = np.round(255 * map) with cam_scale 1/255).
Prints the two paths written.
"""
import argparse
import datetime
import os
import sys

import h5py
import numpy as np

CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]
H = W = 32          # input size
h = w = 8           # conv3's resolution in SimpleCNN
OFFSET = 3          # first dataset row explained


def str_array(values):
    return np.array(values, dtype=h5py.string_dtype())


def blob(rows, cols, cy, cx, sigma):
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    return np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2.0 * sigma ** 2))


def upsample_bilinear(a, rows, cols):
    """Bilinear resize of a 2-D map, pixel centres aligned (like the C side's upsampling)."""
    sy, sx = a.shape[0] / rows, a.shape[1] / cols
    y = np.clip((np.arange(rows) + 0.5) * sy - 0.5, 0, a.shape[0] - 1)
    x = np.clip((np.arange(cols) + 0.5) * sx - 0.5, 0, a.shape[1] - 1)
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    y1, x1 = np.minimum(y0 + 1, a.shape[0] - 1), np.minimum(x0 + 1, a.shape[1] - 1)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bot = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def make(out, n, seed, labels, zero_cams, topk=0, classes=10, size=32, cam_dtype="float32",
         metrics=False):
    global H, W, h, w
    H = W = size
    h = w = max(size // 4, 2)
    names = CLASS_NAMES if classes == 10 else [f"class{i:03d}" for i in range(classes)]
    rng = np.random.default_rng(seed)
    c = len(names)
    m = n + OFFSET + 2                      # dataset rows; a few are never explained
    os.makedirs(out, exist_ok=True)
    dataset_path = os.path.abspath(os.path.join(out, "dataset.h5"))
    results_path = os.path.abspath(os.path.join(out, "results.h5"))

    # Dataset: smooth coloured images so overlays look like something.
    ds_labels = rng.integers(0, c, size=m).astype(np.uint8)
    images = np.empty((m, H, W, 3), np.uint8)
    for i in range(m):
        base = rng.uniform(0, 255, size=3)
        shape = blob(H, W, rng.uniform(H / 4, 3 * H / 4), rng.uniform(W / 4, 3 * W / 4),
                     rng.uniform(H / 8, H / 3.5))
        img = base[None, None, :] * 0.5 + shape[:, :, None] * rng.uniform(0, 255, size=3) * 0.5
        img += rng.normal(0, 8, size=img.shape)
        images[i] = np.clip(img, 0, 255).astype(np.uint8)
    with h5py.File(dataset_path, "w") as f:
        g = f.create_group("test")
        g.create_dataset("images", data=images, chunks=(min(16, m), H, W, 3), compression="gzip")
        if labels:
            g.create_dataset("labels", data=ds_labels)
        f.attrs["class_names"] = str_array(names)

    # Results.
    index = np.arange(OFFSET, OFFSET + n, dtype=np.int64)
    label = ds_labels[index].astype(np.int32)
    correct = (np.arange(n) % 10) < 7        # 70% correct, deterministic: both kinds exist
    logits = rng.normal(0.0, 1.0, size=(n, c)).astype(np.float32)
    for i in range(n):
        winner = label[i] if correct[i] else (label[i] + 1 + rng.integers(0, c - 1)) % c
        logits[i, winner] = logits[i].max() + rng.uniform(0.5, 4.0)
    logits = logits.astype(np.float32)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    pred = logits.argmax(axis=1).astype(np.int32)
    assert (pred == label).tolist() == correct.tolist()
    target = pred.copy()

    cam_raw = np.empty((n, h, w), np.float32)
    cam = np.empty((n, H, W), np.float32)
    for i in range(n):
        if correct[i]:
            cy, cx = rng.uniform(0.3 * h, 0.55 * h, size=2)
        else:
            cy, cx = rng.choice([0.06 * h, 0.8 * h]), rng.choice([0.06 * w, 0.8 * w])
        raw = blob(h, w, cy, cx, rng.uniform(1.0, 2.0)) * rng.uniform(0.5, 5.0)
        raw += rng.uniform(0, 0.05, size=raw.shape)
        if i < zero_cams:
            raw[:] = 0.0
        cam_raw[i] = raw
        up = upsample_bilinear(raw, H, W)
        lo, hi = up.min(), up.max()
        cam[i] = (up - lo) / (hi - lo) if hi > lo else 0.0

    def stored(maps):  # output.cam_dtype
        if cam_dtype == "uint8":
            return np.round(255 * maps).astype(np.uint8)
        return maps.astype(np.float16) if cam_dtype == "float16" else maps

    with h5py.File(results_path, "w") as f:
        def put(name, data):  # chunks as clcam's: 16 rows, one row from 32 KiB
            row = data[0].nbytes
            chunk = 1 if row >= 32 << 10 else max(1, min(16, n, (1 << 20) // max(row, 1)))
            f.create_dataset(name, data=data, chunks=(chunk,) + data.shape[1:], compression="gzip")
        put("index", index)
        if labels:
            put("label", label)
        put("logits", logits)
        put("probs", probs)
        put("pred", pred)
        if topk:  # clcam's top-k layout: a rank axis after N, rank 0 the most probable class
            order = np.argsort(-logits, axis=1, kind="stable")[:, :topk].astype(np.int32)
            assert (order[:, 0] == pred).all()
            put("target", order)
            put("gradcam/cam", stored(np.stack([np.roll(cam, r, axis=2) for r in range(topk)], axis=1)))
            put("gradcam/cam_raw", np.stack([np.roll(cam_raw, r, axis=2) for r in range(topk)], axis=1))
        else:
            put("target", target)
            put("gradcam/cam", stored(cam))
            put("gradcam/cam_raw", cam_raw)
        if metrics:  # cam.metrics' layout (docs/file_formats.md): values per image, curves
            mrng = np.random.default_rng(seed + 100)
            for k in ("confidence_drop", "confidence_increase", "deletion", "insertion",
                      "road_morf", "road_lerf", "road_combined"):
                put(f"gradcam/metrics/{k}", mrng.random(n).astype(np.float32))
            for k in ("deletion_curve", "insertion_curve"):
                put(f"gradcam/metrics/{k}", mrng.random((n, 9)).astype(np.float32))
            f["gradcam/metrics"].attrs["score"] = "softmax probability of the target class"
        a = f.attrs
        a["clcam_version"] = "fixture"
        a["created"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        a["config"] = ("# synthetic fixture (tests/make_results_fixture.py)\n"
                       f"data:\n  file: {dataset_path}\n  split: test\n  start: {OFFSET}\n"
                       f"  count: {n}\ncam:\n  methods: [gradcam]\n  layer: conv3\n"
                       "  target: predicted\n")
        a["device"] = "fixture"
        a["platform"] = "fixture"
        a["driver_version"] = "fixture"
        a["dataset_file"] = dataset_path
        a["split"] = "test"
        a["weights_file"] = "fixture"
        a["layer"] = "conv3"
        a["methods"] = str_array(["gradcam"])
        a["class_names"] = str_array(names)
        a["cam_dtype"] = cam_dtype
        a["cam_scale"] = np.float32(1 / 255 if cam_dtype == "uint8" else 1)
        a["complete"] = np.int32(1)
        a["topk"] = np.int32(topk)
    return results_path, dataset_path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder to write results.h5 and dataset.h5 into")
    p.add_argument("--n", type=int, default=40, help="images explained (default 40)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-labels", action="store_true", help="leave out /label and the dataset's labels")
    p.add_argument("--zero-cams", type=int, default=0, metavar="K", help="make the first K heatmaps all zero")
    p.add_argument("--topk", type=int, default=0, metavar="K",
                   help="cam.target {topk: K}'s layout: /target [N, K], cams [N, K, H, W]")
    p.add_argument("--classes", type=int, default=10, help="classes (default 10, CIFAR-10's names)")
    p.add_argument("--size", type=int, default=32, help="image and map size S (SxS, default 32)")
    p.add_argument("--cam-dtype", default="float32", choices=["float32", "float16", "uint8"])
    p.add_argument("--metrics", action="store_true", help="add /gradcam/metrics (cam.metrics)")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("--n must be at least 1")
    if args.classes < 2 or args.size < 8:
        p.error("--classes must be at least 2 and --size at least 8")
    results, dataset = make(args.out, args.n, args.seed, not args.no_labels, args.zero_cams, args.topk,
                            args.classes, args.size, args.cam_dtype, args.metrics)
    print(results)
    print(dataset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
