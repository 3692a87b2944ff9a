#!/usr/bin/env python3
"""`clcam run --shard I/K` and `clcam merge` against a one-process run of the same config.

  shard_merge.py CLCAM

On a small random dataset and SimpleCNN weights written here (no ../shared needed): 23 rows
in batches of 4 (6 chunks, the last short), K = 1, 2, 3 shards; each merge (virtual datasets and
--copy) must equal the one-process file bitwise in every dataset, and in every attribute but
those the docs name as differing. Merges with a missing, an incomplete, a foreign or a duplicate
part exit 2 and write nothing; a killed shard resumed equals the uninterrupted part; top-k with
float16 maps merges too, and clcam report reads a merged file. Needs
/usr/bin/python3 with h5py and numpy (exit 77, SKIP, without them).
"""
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"SKIP shard_merge: /usr/bin/python3 cannot import {e.name} (apt-get install python3-h5py)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_weights import SMALL_BATCH as BATCH, SMALL_ROWS as ROWS, SMALL_SETS as SETS  # noqa: E402
from fixture_weights import write_small_run  # noqa: E402
# Root attributes that differ between a merged file and the one-process file, and why.
ROOT_DIFFER = {"created",        # the time each file was written
               "config",         # the one-process file names its own output.file
               "merged_from", "run_config"}  # only in the merged file
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def run(cmd, cwd, env=None, expect=0):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if expect is not None and p.returncode != expect:
        print(f"FAIL: {' '.join(cmd)} exited {p.returncode}, expected {expect}\n{p.stderr}")
        sys.exit(1)
    return p


def make_inputs(tmp):
    write_small_run(tmp, np.random.default_rng(16))


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


def same_attrs(a, b, skip=()):
    keys = (set(a.attrs) | set(b.attrs)) - set(skip)
    for k in sorted(keys):
        if k not in a.attrs or k not in b.attrs:
            return f"attribute {k} only in one"
        if not np.array_equal(np.asarray(a.attrs[k]), np.asarray(b.attrs[k])):
            return f"attribute {k}: {a.attrs[k]!r} != {b.attrs[k]!r}"
    return None


def compare(ref_path, path, what):
    with h5py.File(ref_path, "r") as r, h5py.File(path, "r") as m:
        dr, dm = datasets(r), datasets(m)
        check(sorted(dr) == sorted(dm), f"{what}: datasets {sorted(dm)} != {sorted(dr)}")
        for name in dr:
            if name not in dm:
                continue
            a, b = dr[name][()], dm[name][()]
            check(a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(),
                  f"{what}: /{name} differs from the one-process file")
            diff = same_attrs(dr[name], dm[name])
            check(diff is None, f"{what}: /{name}: {diff}")
        groups = []
        r.visititems(lambda n, o: groups.append(n) if isinstance(o, h5py.Group) else None)
        for g in groups:
            diff = same_attrs(r[g], m[g])
            check(diff is None, f"{what}: group /{g}: {diff}")
        diff = same_attrs(r, m, ROOT_DIFFER)
        check(diff is None, f"{what}: root: {diff}")
        check(m.attrs["complete"] == 1 and m.attrs["rows_done"] == ROWS, f"{what}: complete/rows_done")
        check("shard" not in m.attrs and "rows_first" not in m.attrs, f"{what}: shard attributes left")
        return m.attrs.get("merged_from")


def main():
    clcam = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="clcam_shard_")
    make_inputs(tmp)
    base = [clcam, "run", "run.yaml", "--quiet"] + SETS
    run(base + ["--set", "output.file=one.h5"], tmp)
    run_configs = set()
    for K in (1, 2, 3):
        parts = []
        for i in range(K):
            part = f"k{K}/part_{i}.h5"
            run(base + ["--shard", f"{i}/{K}", "--set", f"output.file={part}"], tmp)
            parts.append(part)
            with h5py.File(os.path.join(tmp, part), "r") as f:
                check(f.attrs["shard"] == i and f.attrs["shards"] == K and f.attrs["rows_total"] == ROWS,
                      f"K={K} part {i}: shard attributes")
                first, n = int(f.attrs["rows_first"]), len(f["index"])
                # chunk-aligned: every part but the last starts and ends on a batch boundary
                check(first % BATCH == 0 and (first + n == ROWS or n % BATCH == 0),
                      f"K={K} part {i}: rows {first}+{n} not batch-aligned")
                check(list(f["index"][()]) == list(range(first, first + n)), f"K={K} part {i}: /index")
                run_configs.add(f.attrs["run_config"])
        for copy in (False, True):
            out = f"merged_{K}{'_copy' if copy else ''}.h5"
            run([clcam, "merge", out] + parts[::-1] + (["--copy"] if copy else []), tmp)
            merged_from = compare(os.path.join(tmp, "one.h5"), os.path.join(tmp, out), f"K={K} copy={copy}")
            check(merged_from == K, f"K={K}: merged_from = {merged_from}")
            with h5py.File(os.path.join(tmp, out), "r") as f:
                virtual = f["logits"].is_virtual
                check(virtual != copy, f"K={K} copy={copy}: /logits virtual = {virtual}")
                if copy:
                    check(f["gradcam/cam"].compression == "gzip", f"K={K}: --copy lost the compression")
    check(len(run_configs) == 1, f"run_config differs between parts: {len(run_configs)} values")
    # Top-k (a K axis after N) with float16 maps (HDF5's own half type) and a baseline.
    topk = base + ["--set", "cam.target={topk: 2}", "--set", "output.cam_dtype=float16",
                   "--set", "cam.methods=[gradcam, sobel]"]
    run(topk + ["--set", "output.file=topk_one.h5"], tmp)
    for i in range(2):
        run(topk + ["--shard", f"{i}/2", "--set", f"output.file=topk/part_{i}.h5"], tmp)
    for copy in ([], ["--copy"]):
        run([clcam, "merge", "topk.h5", "topk/part_0.h5", "topk/part_1.h5"] + copy, tmp)
        compare(os.path.join(tmp, "topk_one.h5"), os.path.join(tmp, "topk.h5"), f"top-k {copy}")
    # A merged file is a results file like any: clcam report reads it.
    run([clcam, "report", "merged_3.h5", "--out", "report3"], tmp)
    check(os.path.exists(os.path.join(tmp, "report3", "index.html")), "clcam report of a merged file")
    # A virtual file read from another working folder (its parts named by absolute paths).
    other = tempfile.mkdtemp(prefix="clcam_shard_cwd_")
    os.chdir(other)
    with h5py.File(os.path.join(tmp, "merged_3.h5"), "r") as f, h5py.File(os.path.join(tmp, "one.h5"), "r") as r:
        check(np.array_equal(f["layercam/cam_raw"][()], r["layercam/cam_raw"][()]),
              "merged_3.h5 read from another folder differs")

    # Refusals: exit 2, one line naming the part, nothing written.
    k3 = [f"k3/part_{i}.h5" for i in range(3)]
    env = dict(os.environ, CLCAM_FAULT="kill_after_write:2")
    run(base + ["--shard", "1/3", "--set", "output.file=killed/part_1.h5"], tmp, env=env, expect=None)
    with h5py.File(os.path.join(tmp, "killed/part_1.h5"), "r") as f:
        check(f.attrs["complete"] == 0, "the killed shard's file is complete")
    run(base + ["--shard", "0/2", "--set", "output.file=other/part_0.h5", "--set", "cam.seed=7"], tmp)
    cases = {
        "missing part": ([k3[0], k3[2]], "shard 1/3"),
        "missing file": ([k3[0], "k3/nope.h5", k3[2]], "nope.h5"),
        "incomplete part": ([k3[0], "killed/part_1.h5", k3[2]], "incomplete"),
        "other config": (["other/part_0.h5", k3[1], k3[2]], "another run"),
        "duplicate shard": ([k3[0], k3[1], k3[1], k3[2]], "again"),
        "other shard count": (["k2/part_0.h5", k3[1], k3[2]], "parts over"),
        "a whole-run file": (["one.h5"], "not a part"),
        "OUT a part": ([k3[0], k3[1], k3[2]], "also a part"),
    }
    for what, (parts, words) in cases.items():
        out = k3[0] if what == "OUT a part" else "bad.h5"
        p = run([clcam, "merge", out] + parts, tmp, expect=None)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 2, f"merge with {what}: exit {p.returncode}, expected 2")
        check(len(lines) == 1 and words in p.stderr, f"merge with {what}: message {p.stderr!r}")
        check(not os.path.exists(os.path.join(tmp, "bad.h5")) and not os.path.exists(os.path.join(tmp, "bad.h5.tmp")),
              f"merge with {what}: wrote a file")
    # The killed shard resumed equals the uninterrupted part; the part file refuses another shard.
    p = run(base + ["--shard", "1/3", "--set", "output.file=killed/part_1.h5", "--stats"], tmp)
    check('"resumed_from": 4,' in p.stdout, f"the killed shard did not resume after its first batch: {p.stdout}")
    compare_part = [clcam, "merge", "resumed.h5", k3[0], "killed/part_1.h5", k3[2]]
    run(compare_part, tmp)
    compare(os.path.join(tmp, "one.h5"), os.path.join(tmp, "resumed.h5"), "resumed shard")
    p = run(base + ["--shard", "2/3", "--set", "output.file=killed/part_1.h5"], tmp, expect=2)
    check("shard 1/3" in p.stderr, f"another shard into a part file: {p.stderr!r}")
    p = run(base + ["--shard", "0/7", "--set", "output.file=x.h5"], tmp, expect=2)
    check("at most 6 shards" in p.stderr, f"K beyond the batches: {p.stderr!r}")
    for bad in ("3/3", "1", "-1/2", "a/b", "1/0"):
        p = run(base + ["--shard", bad], tmp, expect=2)
    if failures:
        print(f"shard_merge: {len(failures)} failures (files in {tmp})")
        return 1
    shutil.rmtree(tmp)
    shutil.rmtree(other)
    print(f"shard_merge: K = 1, 2, 3 merged (virtual and --copy) equal the one-process file; "
          f"{len(cases)} bad merges refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
