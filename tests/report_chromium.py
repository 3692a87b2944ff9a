#!/usr/bin/python3
"""clcam report in a real browser: every <img> of index.html loads and #accuracy shows the
accuracy computed here from the results file with h5py.

usage: report_chromium.py CLCAM_BINARY [--keep DIR] [--break png|accuracy]
  --break png       removes a picture after the report is written,
  --break accuracy  rewrites the #accuracy value in index.html:
                    either way the checks must catch it: with --break, exit 0 means the
                    breakage was detected (a check that the checks work).
Exit 0 pass, 1 fail, 77 skip.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def write_fixture(folder, h5py, np):
    """A dataset and a results file in the contract's layouts (docs/file_formats.md)."""
    rng = np.random.default_rng(7)
    n_data, n, h, w, k = 40, 30, 9, 11, 4
    data = os.path.join(folder, "data.h5")
    with h5py.File(data, "w") as f:
        f["test/images"] = rng.integers(0, 256, (n_data, h, w, 3), dtype=np.uint8)
        f["test/labels"] = rng.integers(0, k, n_data, dtype=np.uint8)
        f.attrs["class_names"] = ["plane", "car", "<bird>", "cat & dog"]
    index = rng.permutation(n_data)[:n].astype(np.int64)
    label = rng.integers(0, k, n, dtype=np.int32)
    logits = rng.normal(size=(n, k)).astype(np.float32)
    probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    pred = probs.argmax(1).astype(np.int32)
    results = os.path.join(folder, "results.h5")
    with h5py.File(results, "w") as f:
        f["index"], f["label"], f["logits"], f["probs"] = index, label, logits, probs
        f["pred"], f["target"] = pred, pred
        f["gradcam/cam"] = rng.random((n, h, w), dtype=np.float32)
        f["gradcam/cam_raw"] = rng.random((n, 2, 3), dtype=np.float32)
        str_attrs = {"clcam_version": "test", "created": "2024-05-06T07:08:09Z", "config": "batch: 8\n",
                     "device": "Fixture CPU", "platform": "Fixture", "driver_version": "1.0",
                     "dataset_file": "data.h5", "split": "test", "weights_file": "models/fixture.h5",
                     "layer": "conv3"}
        for key, value in str_attrs.items():
            f.attrs[key] = value
        # Faithfulness metrics for two methods (docs/file_formats.md): the page's table and
        # curves must show these values.
        f["sobel/cam"] = rng.random((n, h, w), dtype=np.float32)
        f["sobel/cam_raw"] = rng.random((n, h, w), dtype=np.float32)
        for m, shift in (("gradcam", 0.0), ("sobel", 0.2)):
            g = f.create_group(m + "/metrics")
            g.attrs["score"] = "softmax probability of the target class"
            g["confidence_drop"] = (rng.random(n) * 0.5 + shift).astype(np.float32)
            g["deletion"] = (rng.random(n) * 0.5 + shift).astype(np.float32)
            g["insertion"] = (rng.random(n) * 0.5 + 0.4 - shift).astype(np.float32)
            g["deletion_curve"] = np.sort(rng.random((n, 5)), 1)[:, ::-1].astype(np.float32)
            g["insertion_curve"] = np.sort(rng.random((n, 5)), 1).astype(np.float32)
        f.attrs["methods"] = ["gradcam", "sobel"]
        f.attrs["class_names"] = ["plane", "car", "<bird>", "cat & dog"]
        f.attrs["complete"] = np.int32(1)
    return results


def expected_metrics(results, h5py, np):
    """{(method, metric): mean as the page prints it}, confidence metrics in percent."""
    out = {}
    with h5py.File(results, "r") as f:
        for m in f.attrs["methods"]:
            for k in ("confidence_drop", "deletion", "insertion"):
                v = float(np.mean(f[m + "/metrics/" + k][()].astype(np.float64)))
                out[(m, k)] = "%.2f" % (100 * v) if k.startswith("confidence") else "%.4f" % v
    return out


def check_metrics(dom, want):
    """Failures of the page's faithfulness table and curves against want."""
    fails = []
    table = re.search(r'<table[^>]*id="metrics-table".*?</table>', dom, re.S)
    if not table:
        return ["no #metrics-table on the page"]
    rows = re.findall(r"<tr><td class=\"name\">([^<]*)</td>(.*?)</tr>", table.group(0), re.S)
    names = [r[0] for r in rows]
    if names != ["gradcam", "sobel"]:  # sorted by confidence_drop, lower first
        fails.append("metrics table rows %s, expected gradcam then sobel" % names)
    for name, cells in rows:
        vals = re.findall(r'<td data-v="[^"]*"[^>]*>([-0-9.]+) ', cells)
        for k, v in zip(("confidence_drop", "deletion", "insertion"), vals):
            if want.get((name, k)) != v:
                fails.append("metrics table %s %s shows %s, expected %s" % (name, k, v, want.get((name, k))))
    best = re.findall(r'class="best"', table.group(0))
    if len(best) != 3:
        fails.append("%d best marks in the metrics table, expected 3 (one per column)" % len(best))
    curves = re.findall(r'<polyline class="curve"', dom)
    if len(curves) != 4:
        fails.append("%d curves plotted, expected 4 (2 methods x deletion, insertion)" % len(curves))
    return fails


def expected_accuracy(results, h5py, np):
    with h5py.File(results, "r") as f:
        pred, label = f["pred"][()], f["label"][()]
    correct = int((pred == label).sum())
    return "%.2f%%" % (100.0 * correct / len(pred))


def dump_dom(chromium, page):
    profile = tempfile.mkdtemp(prefix="clcam-chromium-")
    try:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--user-data-dir=" + profile, "--dump-dom", "--virtual-time-budget=5000",
               "file://" + os.path.abspath(page)]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        return out.returncode, out.stdout.decode("utf-8", "replace"), out.stderr.decode("utf-8", "replace")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("clcam")
    ap.add_argument("--keep", help="write into this folder and keep it")
    ap.add_argument("--break", dest="breakage", choices=["png", "accuracy", "metrics"])
    args = ap.parse_args()
    args.clcam = os.path.abspath(args.clcam)

    chromium = find_chromium()
    if not chromium:
        print("SKIP report_chromium: chromium is not installed (apt-get install chromium)")
        return SKIP
    try:
        import h5py
        import numpy as np
    except ImportError as e:
        print("SKIP report_chromium: %s (apt-get install python3-h5py)" % e)
        return SKIP

    folder = args.keep or tempfile.mkdtemp(prefix="clcam-report-")
    os.makedirs(folder, exist_ok=True)
    failures = []
    try:
        results = write_fixture(folder, h5py, np)
        want = expected_accuracy(results, h5py, np)
        run = subprocess.run([args.clcam, "report", "results.h5", "--out", "report", "--per-class", "3"],
                             cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if run.returncode != 0:
            print("FAIL: clcam report exited %d: %s" % (run.returncode, run.stderr.decode().strip()))
            return 1
        page = os.path.join(folder, "report", "index.html")
        pngs = sorted(p for p in os.listdir(os.path.dirname(page)) if p.endswith(".png"))
        if args.breakage == "png" and pngs:
            os.remove(os.path.join(os.path.dirname(page), pngs[0]))
            print("deleted %s: the check below must fail" % pngs[0])
        if args.breakage == "accuracy":
            with open(page, encoding="utf-8") as f:
                text = f.read()
            with open(page, "w", encoding="utf-8") as f:
                f.write(re.sub(r'(<span id="accuracy">)[^<]*', r"\g<1>99.99%", text))
            print("rewrote #accuracy to 99.99%: the check below must fail")
        if args.breakage == "metrics":
            with open(page, encoding="utf-8") as f:
                text = f.read()
            with open(page, "w", encoding="utf-8") as f:
                f.write(re.sub(r'(<td data-v="[^"]*" class="best">)[-0-9.]+', r"\g<1>0.1234", text, count=1))
            print("rewrote a best value of the metrics table: the check below must fail")

        rc, dom, err = dump_dom(chromium, page)
        if rc != 0 or "<body" not in dom:
            print("FAIL: chromium exited %d without a DOM: %s" % (rc, err.strip()[-500:]))
            return 1
        body = re.search(r"<body([^>]*)>", dom).group(1)
        loaded = re.search(r'data-images-loaded="(\d+)"', body)
        total = re.search(r'data-images-total="(\d+)"', body)
        n_img = len(re.findall(r"<img\b", dom))
        if not loaded or not total:
            failures.append("the page's load script did not run (no data-images-loaded on <body>)")
        else:
            loaded, total = int(loaded.group(1)), int(total.group(1))
            print("images: %d of %d loaded (%d <img> in the DOM, %d PNG files written)" % (loaded, total, n_img, len(pngs)))
            if total != n_img or total == 0:
                failures.append("data-images-total %d but %d <img> elements" % (total, n_img))
            if loaded != total:
                failures.append("%d of %d images did not load" % (total - loaded, total))
        acc = re.search(r'<span id="accuracy">([^<]*)</span>', dom)
        shown = acc.group(1) if acc else None
        print("accuracy: page %s, h5py %s" % (shown, want))
        if shown != want:
            failures.append("#accuracy shows %r, expected %r" % (shown, want))
        failures += check_metrics(dom, expected_metrics(results, h5py, np))
        if "&lt;bird&gt;" not in dom or "cat &amp; dog" not in dom:
            failures.append("class names are not HTML-escaped in the DOM")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    for f in failures:
        print(("detected: " if args.breakage else "FAIL: ") + f)
    if args.breakage:
        needle = {"png": "did not load", "accuracy": "#accuracy shows",
                  "metrics": "metrics table"}[args.breakage]
        caught = [f for f in failures if needle in f]
        print("PASS: --break %s was detected" % args.breakage if caught else
              "FAIL: --break %s went unnoticed" % args.breakage)
        return 0 if caught else 1
    if not failures:
        print("PASS report_chromium")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
