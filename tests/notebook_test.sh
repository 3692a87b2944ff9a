#!/usr/bin/env bash
# Runs notebooks/explore_results.ipynb headlessly on synthetic results files (one with labels,
# one without, one with top-k's rank axis) and fails if any cell raises or the notebook shows nothing.
#   usage: tests/notebook_test.sh [REPO_ROOT]     (default: the folder above this script)
#   exit 77 (SKIP) when jupyter-nbconvert, the python3 kernel or h5py/numpy/matplotlib are missing
#   CLCAM_KEEP_TMP=1 keeps the temporary folder (fixtures and executed notebooks)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$here/..}" && pwd)"
notebook="$root/notebooks/explore_results.ipynb"
if ! nbconvert="$(command -v jupyter-nbconvert)"; then
  echo "SKIP: jupyter-nbconvert not found (apt-get install jupyter-nbconvert)"
  exit 77
fi
# The Python that runs nbconvert finds the kernel; the kernel's own Python (python3 kernelspec,
# /usr/bin/python3 on Debian) runs the notebook and, here, the fixture script and checks.
nbpy="$(sed -n '1s/^#! *\(\/[^ ]*python[0-9.]*\)$/\1/p' "$nbconvert")"
if ! py="$("${nbpy:-python3}" -c '
import shutil, sys
from jupyter_client.kernelspec import KernelSpecManager
argv0 = KernelSpecManager().get_kernel_spec("python3").argv[0]
print(sys.executable if argv0 in ("python", "python3", "{python}") else shutil.which(argv0) or argv0)
' 2>/dev/null)"; then
  echo "SKIP: no python3 Jupyter kernel for ${nbpy:-python3} (apt-get install python3-ipykernel)"
  exit 77
fi
py="${PYTHON3:-$py}"
if ! missing="$("$py" -c '
import importlib.util, sys
gone = [m for m in ("ipykernel", "h5py", "numpy", "matplotlib", "nbformat") if importlib.util.find_spec(m) is None]
print(" ".join(gone))
sys.exit(1 if gone else 0)' 2>&1)"; then
  echo "SKIP: missing for $py: $missing (apt-get install python3-ipykernel python3-h5py python3-matplotlib python3-nbformat)"
  exit 77
fi
[[ -f "$notebook" ]] || { echo "FAIL: $notebook not found"; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/clcam-notebook.XXXXXX")"
if [[ -n "${CLCAM_KEEP_TMP:-}" ]]; then
  echo "keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi
export PYDEVD_DISABLE_FILE_VALIDATION=1   # quiets ipykernel's debugger warning

"$py" "$here/make_results_fixture.py" --out "$tmp/labels" --n 40 --seed 1 >/dev/null
"$py" "$here/make_results_fixture.py" --out "$tmp/nolabels" --n 40 --seed 2 --no-labels --zero-cams 2 >/dev/null
"$py" "$here/make_results_fixture.py" --out "$tmp/topk" --n 40 --seed 3 --topk 3 --metrics >/dev/null
# ImageNet-like: 224x224, 100 classes, maps stored as uint8 (output.cam_dtype), one per chunk.
"$py" "$here/make_results_fixture.py" --out "$tmp/large" --n 30 --seed 4 --classes 100 --size 224 \
  --cam-dtype uint8 >/dev/null

# run NAME CHECK [VAR=VALUE]...: execute the notebook with the variables set, then check it
# (CHECK is "accuracy=0.xxxx" or "nolabels").
run() {
  local name="$1" check="$2"; shift 2
  local start=$SECONDS
  if ! env "$@" jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 \
      --output-dir "$tmp" --output "$name" "$notebook" >"$tmp/$name.log" 2>&1; then
    echo "FAIL: notebook raised on the '$name' fixture; nbconvert said:"
    grep -v -e 'Debugger warning' -e 'frozen modules' -e 'Debugging will proceed' "$tmp/$name.log" | tail -40
    return 1
  fi
  echo "notebook on '$name' fixture: ran in $((SECONDS - start)) s"
  # What the notebook printed and drew must be there: silence is a failure too.
  "$py" - "$tmp/$name.ipynb" "$check" <<'PY'
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
check = sys.argv[2]
topk = check.startswith("topk:")
if topk:  # a top-k file: the accuracy as usual, and the note that rank 0 is shown
    check = check[len("topk:"):]
text, images, errors = [], 0, []
for cell in nb.cells:
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            text.append(out.text)
        elif out.output_type == "error":
            errors.append(out.ename)
        elif "image/png" in out.get("data", {}):
            images += 1
text = "".join(text)
problems = []
if errors:
    problems.append(f"cells raised {errors}")
if check.startswith("accuracy="):
    want = "accuracy: " + check.split("=", 1)[1]
    if want not in text:
        problems.append(f"no '{want}' in the outputs")
    if images < 4:
        problems.append(f"{images} pictures, expected 4 (confusion, mean cams, overlays, histogram)")
else:
    if "no /label" not in text:
        problems.append("no note about the missing /label")
    if "accuracy:" in text:
        problems.append("an accuracy was printed for a file without labels")
    if images < 3:
        problems.append(f"{images} pictures, expected 3 (mean cams, overlays, histogram)")
if topk and "shown here: rank 0" not in text:
    problems.append("no note that the top-k file's rank 0 is shown")
if "mean central fraction" not in text:
    problems.append("no central-mass summary")
if problems:
    print("FAIL: " + "; ".join(problems))
    sys.exit(1)
print(f"  ok: {images} pictures" + (f", '{want}' shown" if check.startswith("accuracy=") else ""))
PY
}

# The accuracy the notebook must show, computed here independently.
acc="$("$py" -c '
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    pred, label = f["pred"][:], f["label"][:]
print("%.4f" % (pred == label).mean())' "$tmp/labels/results.h5")"
acc_topk="$("$py" -c '
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    pred, label = f["pred"][:], f["label"][:]
print("%.4f" % (pred == label).mean())' "$tmp/topk/results.h5")"
acc_large="$("$py" -c '
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    pred, label = f["pred"][:], f["label"][:]
print("%.4f" % (pred == label).mean())' "$tmp/large/results.h5")"

total=$SECONDS
run labels "accuracy=$acc" CLCAM_RESULTS="$tmp/labels/results.h5"
# No labels, and the dataset found through CLCAM_DATA rather than the recorded path.
run nolabels nolabels CLCAM_RESULTS="$tmp/nolabels/results.h5" CLCAM_DATA="$tmp/nolabels/dataset.h5"
# cam.target {topk: 3}'s layout: /target [N, 3], cams [N, 3, H, W].
run topk "topk:accuracy=$acc_topk" CLCAM_RESULTS="$tmp/topk/results.h5"
run large "accuracy=$acc_large" CLCAM_RESULTS="$tmp/large/results.h5"
# The uint8 maps were read as uint8 and scaled back: the notebook says so.
if ! grep -q 'cam dtype: uint8 (x 0.00392157)' "$tmp/large.ipynb"; then
  echo "FAIL: the notebook did not report the uint8 maps and their scale on the 'large' fixture"
  exit 1
fi
# The top-k fixture has cam.metrics' datasets: the notebook's table shows their means (rank 0).
want="$("$py" -c '
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    print("%.4f" % f["gradcam/metrics/deletion"][:].astype("float64").mean())' "$tmp/topk/results.h5")"
if ! grep -q "faithfulness (mean" "$tmp/topk.ipynb" || ! grep -q "$want" "$tmp/topk.ipynb"; then
  echo "FAIL: the notebook did not show the faithfulness table (deletion mean $want) on the 'topk' fixture"
  exit 1
fi
if ! grep -q "no faithfulness metrics in this file" "$tmp/labels.ipynb"; then
  echo "FAIL: the notebook did not say that the 'labels' fixture has no metrics"
  exit 1
fi
echo "PASS: notebook ran on the four fixtures in $((SECONDS - total)) s"
