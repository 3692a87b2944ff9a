#!/usr/bin/env python3
"""`mpirun -n K clcam run` against a one-process run of the same config, with h5diff.

  mpi_run.py CLCAM

On a small random dataset and SimpleCNN weights written here (no ../shared needed): 23 rows in
batches of 4 (6 chunks, the last short). h5diff must find no difference at all (data and
attributes; SOURCE_DATE_EPOCH pins `created`) between the one-process file and the file of
K = 1, 2, 3, 4 ranks (4 does not divide 6 chunks), of 4 ranks over 3 chunks of 8 (rank 0 has no
rows), of top-k with float16 maps, and of batches that do not line up with the chunks (two
ranks write into one compressed chunk). Kill and resume: 3 ranks killed after their first chunk
resumed by 2 ranks, 2 ranks killed after their second resumed by one process without mpirun;
the map says which chunks were final, the resume computes only the others and reads none of
their rows (their /pred is spoiled first: the accuracy must not change), and the file equals
the uninterrupted one. A --shard part by 2 ranks equals it by one process; a refusal on
the ranks ends the job with the message. Every mpirun has a timeout: a missed collective
call hangs.
Needs mpirun (openmpi-bin), h5diff (hdf5-tools) and /usr/bin/python3 with h5py and numpy;
without them it says SKIP and exits 77.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"SKIP mpi_run: /usr/bin/python3 cannot import {e.name} (apt-get install python3-h5py)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_weights import SMALL_BATCH as BATCH, SMALL_ROWS as ROWS, SMALL_SETS  # noqa: E402
from fixture_weights import write_small_run  # noqa: E402

SETS = SMALL_SETS + ["--set", "output.file=out.h5"]
TIMEOUT = 180  # seconds for one mpirun: far above the few seconds a run takes
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def env_for_mpi():
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    # CI runs as root in a container: Open MPI refuses root without these, and its shared-memory
    # transport's single-copy mode needs ptrace rights containers often lack.
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    if "ASAN_OPTIONS" in env:
        # LeakSanitizer suppresses Open MPI's allocations by library (tests/lsan.supp): it needs
        # whole stacks through libraries without frame pointers, and the MCA/PMIx components
        # still loaded at exit to name them.
        env["ASAN_OPTIONS"] += ":fast_unwind_on_malloc=0"
        env.setdefault("OMPI_MCA_mca_base_component_disable_dlclose", "1")
        env.setdefault("PMIX_MCA_mca_base_component_disable_dlclose", "1")
    return env


def run(cmd, cwd, env, expect=0):
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        print(f"FAIL: {' '.join(cmd)} still running after {TIMEOUT} s (a missed collective call?)\n{err}")
        sys.exit(1)
    if expect is not None and p.returncode != expect:
        print(f"FAIL: {' '.join(cmd)} exited {p.returncode}, expected {expect}\n{out}\n{err}")
        sys.exit(1)
    return p.returncode, out, err


def mpirun(k):
    return ["mpirun", "--oversubscribe", "-n", str(k)]


def stats(out):
    line = [s for s in out.splitlines() if s.startswith("{")]
    return json.loads(line[-1]) if line else {}


def h5diff(a, b, what):
    p = subprocess.run(["h5diff", a, b], capture_output=True, text=True)
    check(p.returncode == 0, f"{what}: h5diff exit {p.returncode}\n{p.stdout[-2000:]}")


def make_inputs(tmp):
    rng = np.random.default_rng(16)
    write_small_run(tmp, rng)
    with h5py.File(os.path.join(tmp, "data", "big.h5"), "w") as f:
        f["test/images"] = rng.integers(0, 256, (650, 32, 32, 3), dtype=np.uint8)
        f["test/labels"] = rng.integers(0, 10, 650).astype(np.uint8)


def main():
    for tool, pkg in (("mpirun", "openmpi-bin"), ("h5diff", "hdf5-tools")):
        if not shutil.which(tool):
            print(f"SKIP mpi_run: no {tool} on PATH (apt-get install {pkg}; scripts/deps.sh --tests)")
            return 77
    clcam = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="clcam_mpi_")
    make_inputs(tmp)
    env = env_for_mpi()
    base = [clcam, "run", "run.yaml", "--quiet", "--stats"] + SETS
    out = os.path.join(tmp, "out.h5")

    # Every file is written as out.h5 (the config attribute names it) and then moved aside.
    def produce(cmd, name, expect=0, resume=False):
        if os.path.exists(out) and not resume:
            os.remove(out)
        rc, so, se = run(cmd, tmp, env, expect)
        if os.path.exists(out):
            shutil.move(out, os.path.join(tmp, name))
        return rc, stats(so), se

    _, one, _ = produce(base, "one.h5")
    check(one.get("images") == ROWS, f"one process: {one}")
    for k in (1, 2, 3, 4):
        _, st, _ = produce(mpirun(k) + base, f"k{k}.h5")
        h5diff(os.path.join(tmp, "one.h5"), os.path.join(tmp, f"k{k}.h5"), f"K={k}")
        check(st.get("rows_computed") == ROWS, f"K={k}: rows_computed {st.get('rows_computed')}, want {ROWS}")
        check(st.get("accuracy") == one.get("accuracy"), f"K={k}: accuracy {st.get('accuracy')} != {one.get('accuracy')}")
    with h5py.File(os.path.join(tmp, "k3.h5"), "r") as f:
        check(list(f["chunks_done"][()]) == [1] * 6 and f["chunks_done"].attrs["rows_per_entry"] == BATCH,
              "K=3: /chunks_done not all marked in entries of the batch")
        check(f["gradcam/cam"].compression == "gzip", "K=3: the maps lost their compression")
        check(f.attrs["complete"] == 1 and f.attrs["rows_done"] == ROWS, "K=3: complete/rows_done")

    # 3 chunks of 8 over 4 ranks: rank 0 has no rows and still joins every collective call.
    b8 = base + ["--set", "batch=8"]
    produce(b8, "one_b8.h5")
    produce(mpirun(4) + b8, "k4_b8.h5")
    h5diff(os.path.join(tmp, "one_b8.h5"), os.path.join(tmp, "k4_b8.h5"), "K=4 over 3 chunks")

    # Top-k with float16 maps (converted before the write) and a baseline.
    topk = base + ["--set", "cam.target={topk: 2}", "--set", "output.cam_dtype=float16",
                   "--set", "cam.methods=[gradcam, sobel]"]
    produce(topk, "one_topk.h5")
    produce(mpirun(3) + topk, "k3_topk.h5")
    h5diff(os.path.join(tmp, "one_topk.h5"), os.path.join(tmp, "k3_topk.h5"), "K=3 top-k float16")

    # Top-2 rows of 8 KiB make chunks of 128 rows (the 1 MiB cap), batches of 300 do not
    # line up with them: ranks 0 and 1 share the chunk of rows 256..383.
    big = base + ["--set", "data.file=data/big.h5", "--set", "data.count=650", "--set", "batch=300",
                  "--set", "cam.target={topk: 2}", "--set", "cam.methods=[gradcam]", "--set", "cam.metrics=[]"]
    produce(big, "one_big.h5")
    produce(mpirun(3) + big, "k3_big.h5")
    with h5py.File(os.path.join(tmp, "k3_big.h5"), "r") as f:
        check(f["gradcam/cam"].chunks[0] == 128, f"chunks of {f['gradcam/cam'].chunks[0]} rows, the case wants 128")
    h5diff(os.path.join(tmp, "one_big.h5"), os.path.join(tmp, "k3_big.h5"), "K=3, chunks shared by two ranks")

    # Kill and resume with another K. A spoiled /pred in the chunks not marked would change the
    # accuracy if the resume read them.
    def killed(cmd, fault, want_marked):
        if os.path.exists(out):
            os.remove(out)
        rc, _, _ = run(cmd, tmp, dict(env, CLCAM_FAULT=fault), expect=None)
        check(rc != 0, f"{fault}: the killed run exited 0")
        with h5py.File(out, "r+") as f:
            marked = list(f["chunks_done"][()])
            check(f.attrs["complete"] == 0, f"{fault}: the killed file says complete")
            check(marked == want_marked, f"{fault}: map {marked}, want {want_marked}")
            label = f["label"][()]
            for u, m in enumerate(marked):
                if not m:
                    f["pred"][u * BATCH:(u + 1) * BATCH] = label[u * BATCH:(u + 1) * BATCH]
        return sum(min(BATCH, ROWS - u * BATCH) for u, m in enumerate(marked) if m)

    done = killed(mpirun(3) + base, "kill_after_mark:1", [1, 0, 1, 0, 1, 0])
    _, st, _ = produce(mpirun(2) + base, "resumed_3to2.h5", resume=True)
    check(st.get("resumed_from") == done and st.get("rows_computed") == ROWS - done,
          f"3 ranks resumed by 2: resumed_from {st.get('resumed_from')}, rows_computed "
          f"{st.get('rows_computed')} (want {done}, {ROWS - done})")
    check(st.get("accuracy") == one.get("accuracy"), f"3 ranks resumed by 2: accuracy {st.get('accuracy')} "
          f"!= {one.get('accuracy')} (rows the map does not mark were read)")
    h5diff(os.path.join(tmp, "one.h5"), os.path.join(tmp, "resumed_3to2.h5"), "3 ranks resumed by 2")

    done = killed(mpirun(2) + base, "kill_after_mark:2", [1, 1, 0, 1, 1, 0])
    _, st, _ = produce(base, "resumed_2to1.h5", resume=True)
    check(st.get("resumed_from") == done and st.get("rows_computed") == ROWS - done,
          f"2 ranks resumed by one process: resumed_from {st.get('resumed_from')}, rows_computed "
          f"{st.get('rows_computed')} (want {done}, {ROWS - done})")
    check(st.get("accuracy") == one.get("accuracy"), "2 ranks resumed by one process: accuracy differs")
    h5diff(os.path.join(tmp, "one.h5"), os.path.join(tmp, "resumed_2to1.h5"), "2 ranks resumed by one process")

    # A complete file is left alone by every rank.
    shutil.copy(os.path.join(tmp, "k2.h5"), out)
    _, st, _ = produce(mpirun(2) + base, "again.h5", resume=True)
    check(st.get("rows_computed", 0) == 0, f"a complete file rerun under mpirun: {st}")
    h5diff(os.path.join(tmp, "one.h5"), os.path.join(tmp, "again.h5"), "a complete file rerun")

    # A part of a Slurm array run by 2 ranks equals the same part by one process.
    produce(base + ["--shard", "1/2"], "part1_one.h5")
    produce(mpirun(2) + base + ["--shard", "1/2"], "part1_k2.h5")
    h5diff(os.path.join(tmp, "part1_one.h5"), os.path.join(tmp, "part1_k2.h5"), "--shard 1/2 by 2 ranks")

    # A failure on the ranks ends the job (MPI_Abort), with the message, instead of leaving
    # ranks waiting: here a file of another config, which every rank refuses to touch.
    shutil.copy(os.path.join(tmp, "k2.h5"), out)
    rc, _, err = run(mpirun(2) + base + ["--set", "cam.seed=9"], tmp, env, expect=None)
    check(rc != 0 and "different config" in err, f"another config under mpirun: exit {rc}, {err[-500:]!r}")

    if failures:
        print(f"mpi_run: {len(failures)} failures (files in {tmp})")
        return 1
    shutil.rmtree(tmp)
    print("mpi_run: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
