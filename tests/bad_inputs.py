#!/usr/bin/env python3
"""The bad-input corpus: writes broken inputs, runs clcam on each, and checks the exit code,
a single-line message naming the file and the thing, inputs untouched, and no results file
claiming to be complete. Usage: bad_inputs.py CLCAM [--keep DIR]. Exit 77 without h5py."""
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:  # a user's machine without h5py: say so, do not pass silently
    print(f"SKIP bad_inputs: {e} (apt-get install python3-h5py)")
    sys.exit(77)

CLCAM = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="clcam-bad-")
rng = np.random.default_rng(3)
failures = []
passed = 0


def dataset(path, n=6, images=None, labels=None, classes=10):
    with h5py.File(path, "w") as f:
        f["test/images"] = images if images is not None else rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        f["test/labels"] = labels if labels is not None else rng.integers(0, classes, n, dtype=np.uint8)
        f.attrs["class_names"] = [f"c{i}" for i in range(classes)]


def weights(path, change=None):
    shapes = {"conv1/weight": (32, 3, 3, 3), "conv1/bias": (32,), "conv2/weight": (64, 32, 3, 3),
              "conv2/bias": (64,), "conv3/weight": (128, 64, 3, 3), "conv3/bias": (128,),
              "fc1/weight": (16, 2048), "fc1/bias": (16,), "fc2/weight": (10, 16), "fc2/bias": (10,)}
    with h5py.File(path, "w") as f:
        for k, s in shapes.items():
            v = (rng.standard_normal(s) * 0.05).astype(np.float32)
            if change:
                v = change(k, v)
            if v is not None:
                f[k] = v


def config(path, text):
    with open(path, "w") as f:
        f.write(text)


def md5(path):
    if os.path.isdir(path) or not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def check(name, args, code, needles, inputs=(), out=None, fsize=None):
    """Runs clcam args in the work folder; checks code, one line naming needles, inputs and out."""
    global passed
    before = {p: md5(os.path.join(work, p)) for p in inputs}
    limit = (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))) if fsize else None
    env = dict(os.environ)
    if fsize:  # after a failed close clcam skips HDF5's shutdown (it crashes there), so HDF5
        # keeps what it allocated for that file: not a leak of clcam's, whose stay checked
        supp = os.path.join(work, "lsan_disk_full.supp")
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")) as f:
            text = f.read()
        with open(supp, "w") as f:
            f.write(text + "leak:libhdf5\n")
        env["LSAN_OPTIONS"] = env.get("LSAN_OPTIONS", "") + f":suppressions={supp}"
    r = subprocess.run([CLCAM] + args, cwd=work, capture_output=True, text=True, preexec_fn=limit, env=env)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    problems = []
    if r.returncode != code:
        problems.append(f"exit {r.returncode}, expected {code}")
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr, expected 1")
    for n in needles:
        if n not in r.stderr:
            problems.append(f"message lacks {n!r}")
    for p in inputs:
        if md5(os.path.join(work, p)) != before[p]:
            problems.append(f"input {p} changed")
    if out and os.path.exists(os.path.join(work, out)):
        try:
            with h5py.File(os.path.join(work, out), "r") as f:
                if int(f.attrs.get("complete", 0)) == 1:
                    problems.append(f"{out} claims to be complete")
        except OSError:
            pass  # unreadable: it claims nothing
    if problems:
        failures.append(f"{name}: {'; '.join(problems)} | stderr: {r.stderr.strip()[:300]}")
    else:
        passed += 1


def run(cfg_extra=(), data="data.h5", w="weights.h5", out="out/r.h5"):
    return ["run", "ok.yaml", "--quiet", "--set", f"data.file={data}", "--set", f"model.weights={w}",
            "--set", f"output.file={out}"] + list(cfg_extra)


config(os.path.join(work, "ok.yaml"), "batch: 4\n")
dataset(os.path.join(work, "data.h5"))
weights(os.path.join(work, "weights.h5"))
ins = ("ok.yaml", "data.h5", "weights.h5")

# HDF5 files that are not what they claim
shutil.copy(os.path.join(work, "data.h5"), os.path.join(work, "trunc.h5"))
with open(os.path.join(work, "trunc.h5"), "r+b") as f:
    f.truncate(700)
check("truncated dataset file", run(data="trunc.h5"), 2, ["trunc.h5"], ins + ("trunc.h5",), "out/r.h5")
shutil.copy(os.path.join(work, "data.h5"), os.path.join(work, "nosig.h5"))
with open(os.path.join(work, "nosig.h5"), "r+b") as f:
    f.write(b"\0" * 8)  # the superblock signature
check("corrupted signature", run(data="nosig.h5"), 2, ["nosig.h5", "not an HDF5 file"], ins, "out/r.h5")
config(os.path.join(work, "text.h5"), "hello\n")
check("text file as dataset", run(data="text.h5"), 2, ["text.h5", "not an HDF5 file"], ins, "out/r.h5")

# wrong dtypes and shapes in the dataset
dataset(os.path.join(work, "float.h5"), images=rng.random((6, 32, 32, 3)).astype(np.float32))
check("float images", run(data="float.h5"), 2, ["float.h5", "/test/images", "uint8"], ins, "out/r.h5")
dataset(os.path.join(work, "gray.h5"), images=rng.integers(0, 256, (6, 32, 32), dtype=np.uint8))
check("images without channels", run(data="gray.h5"), 2, ["gray.h5", "/test/images", "[N, H, W, 3]"], ins, "out/r.h5")
dataset(os.path.join(work, "nlab.h5"), labels=np.zeros(5, np.uint8))
check("labels of the wrong length", run(data="nlab.h5"), 2, ["nlab.h5", "/test/labels", "[6]"], ins, "out/r.h5")
dataset(os.path.join(work, "flab.h5"), labels=np.zeros(6, np.float32))
check("float labels", run(data="flab.h5"), 2, ["flab.h5", "/test/labels", "integers"], ins, "out/r.h5")
dataset(os.path.join(work, "range.h5"), labels=np.array([1, 2, 12, 3, 4, 5], np.uint8))
check("label out of range", run(data="range.h5"), 2, ["range.h5", "/test/labels[2] = 12"], ins, "out/r.h5")
with h5py.File(os.path.join(work, "empty.h5"), "w") as f:
    f.create_dataset("test/images", (0, 32, 32, 3), np.uint8)
check("empty split", run(data="empty.h5"), 2, ["empty.h5", "/test/images"], ins, "out/r.h5")
check("missing split", run(["--set", "data.split=train"]), 2, ["data.h5", "no dataset /train/images"], ins, "out/r.h5")
check("start past the end", run(["--set", "data.start=6"]), 2, ["data.start", "data.h5"], ins, "out/r.h5")
check("count past the end", run(["--set", "data.count=7"]), 2, ["data.count", "data.h5"], ins, "out/r.h5")

# weights
weights(os.path.join(work, "nan.h5"), lambda k, v: np.where(np.arange(v.size).reshape(v.shape) == 5, np.nan, v).astype(np.float32) if k == "conv2/weight" else v)
check("NaN weight", run(w="nan.h5"), 2, ["nan.h5", "/conv2/weight", "non-finite"], ins, "out/r.h5")
weights(os.path.join(work, "inf.h5"), lambda k, v: np.full_like(v, np.inf) if k == "fc2/bias" else v)
check("Inf weight", run(w="inf.h5"), 2, ["inf.h5", "/fc2/bias", "non-finite"], ins, "out/r.h5")
weights(os.path.join(work, "int.h5"), lambda k, v: v.astype(np.int32) if k == "conv1/weight" else v)
check("integer weights", run(w="int.h5"), 2, ["int.h5", "/conv1/weight", "floating point"], ins, "out/r.h5")
weights(os.path.join(work, "shape.h5"), lambda k, v: v[:, :3] if k == "conv2/weight" else v)
check("weights of the wrong shape", run(w="shape.h5"), 2, ["shape.h5", "/conv2/weight", "expected"], ins, "out/r.h5")
weights(os.path.join(work, "missing.h5"), lambda k, v: None if k == "fc1/bias" else v)
check("missing weights", run(w="missing.h5"), 2, ["missing.h5", "no dataset /fc1/bias"], ins, "out/r.h5")

# config files and values
for name, text, needles in [
    ("YAML syntax error", "batch: [4\n", ["bad.yaml:", "YAML syntax error"]),
    ("unknown key", "batch: 4\ncam:\n  lyer: conv3\n", ["bad.yaml:3", "cam.lyer"]),
    ("wrong value type", "batch: four\n", ["bad.yaml:1", "batch", "'four'"]),
    ("list for a scalar", "data:\n  split: [a, b]\n", ["bad.yaml:2", "data.split"]),
]:
    config(os.path.join(work, "bad.yaml"), text)
    check(name, ["run", "bad.yaml", "--quiet"], 2, needles, ins + ("bad.yaml",), "out/r.h5")
check("no such device", run(["--device", "no-such-device"]), 2, ["no-such-device", "no such OpenCL device"], ins, "out/r.h5")

# outputs that cannot be written
check("output under a file", run(out="ok.yaml/r.h5"), 1, ["ok.yaml"], ins)
# A disk that fills up mid-run: 1,000 images, no compression (about 4.5 MB of results), a
# 2 MB file size limit. A good run first, so the OpenCL driver's kernel cache already holds
# every kernel and the limit hits only the results file.
dataset(os.path.join(work, "big.h5"), n=1000)
big = ["--set", "output.compression=0"]
warm = subprocess.run([CLCAM] + run(data="big.h5", out="warm/r.h5", cfg_extra=big), cwd=work,
                      capture_output=True, text=True)
if warm.returncode != 0:
    failures.append(f"a good run failed: {warm.stderr.strip()[:300]}")
check("disk full", run(data="big.h5", out="full/r.h5", cfg_extra=big), 1, ["full/r.h5", "disk full"],
      ins + ("big.h5",), "full/r.h5", fsize=2_000_000)

# a truncated CIFAR-10 archive
tar = os.path.join(work, "cifar.tar")
with tarfile.open(tar, "w") as t:
    for n in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        p = os.path.join(work, n)
        with open(p, "wb") as f:
            f.write(bytes(3073 * 10))
        t.add(p, arcname="cifar-10-batches-bin/" + n)
with open(tar, "r+b") as f:
    f.truncate(20000)
check("truncated CIFAR archive", ["import-cifar10", "cifar.tar", "cifar.h5", "--quiet"], 2, ["cifar.tar"], ("cifar.tar",))
if os.path.exists(os.path.join(work, "cifar.h5")):
    failures.append("truncated CIFAR archive: cifar.h5 was written")

for f in failures:
    print("FAIL", f)
print(f"bad_inputs: {passed} passed, {len(failures)} failed")
if not failures and "--keep" not in sys.argv:
    shutil.rmtree(work)
sys.exit(1 if failures else 0)
