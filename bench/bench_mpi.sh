#!/usr/bin/env bash
# Scaling of `mpirun -n K clcam run`: the CIFAR ResNet of bench/bench_resnet.py (random weights,
# exported to ONNX by PyTorch) with Grad-CAM over the first N CIFAR-10 test images, for each K,
# every rank's device limited to one core (PoCL: POCL_MAX_PTHREAD_COUNT=1; ranks bound to a
# core each), so K ranks have K cores. Prints wall time, images/s and scaling efficiency
# (T_1 / (K x T_K)) side by side, one JSON line per K, and checks with h5diff that each K's file
# equals K = 1's. Not a test: figures, no verdicts.
#
#   bench/bench_mpi.sh [CLCAM] [N] [K...]      (defaults: build/clcam 10000 1 2)
#   DATA=path/cifar10.h5 (default data/cifar10.h5, from clcam import-cifar10), BATCH (default 64)
# Needs mpirun, h5diff and /usr/bin/python3 with torch (the model's export).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
clcam="$(realpath "${1:-$root/build/clcam}")"
n="${2:-10000}"
shift $(( $# > 2 ? 2 : $# ))
ks=("$@")
[[ ${#ks[@]} -gt 0 ]] || ks=(1 2)
data="$(realpath "${DATA:-$root/data/cifar10.h5}")"
batch="${BATCH:-64}"
for tool in mpirun h5diff /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "bench_mpi: $tool is missing (scripts/deps.sh --tests)" >&2; exit 1; }
done
[[ -f "$data" ]] || { echo "bench_mpi: no $data (clcam import-cifar10 ../shared/cifar10/cifar-10-binary.tar.gz data/cifar10.h5)" >&2; exit 1; }

tmp="$(mktemp -d /tmp/clcam_bench_mpi.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
# the model, as bench_resnet.py makes it
CLCAM_ROOT="$root" /usr/bin/python3 - "$tmp/cifar_resnet.onnx" <<'EOF'
import sys, os, torch
sys.path.insert(0, os.path.join(os.environ.get("CLCAM_ROOT", "."), "bench"))
from bench_resnet import CifarResNet, randomise
m = randomise(CifarResNet())
torch.onnx.export(m, torch.zeros(1, 3, 32, 32), sys.argv[1], opset_version=13, input_names=["input"],
                  output_names=["logits"], dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}})
EOF
cat > "$tmp/run.yaml" <<EOF
batch: $batch
data:
  file: $data
  count: $n
model:
  onnx: $tmp/cifar_resnet.onnx
cam:
  layer: auto
output:
  file: out.h5
EOF

export POCL_MAX_PTHREAD_COUNT=1 SOURCE_DATE_EPOCH=1700000000 CLCAM_CACHE_DIR="$tmp/cache"
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# kernels built once into the cache all ranks share, outside the timing
(cd "$tmp" && "$clcam" run run.yaml --quiet --overwrite --set "data.count=$(( n < batch ? n : batch ))")

printf "%-4s %10s %10s %11s\n" K wall_s images/s efficiency
t1=""
for k in "${ks[@]}"; do
  mkdir -p "$tmp/k$k"
  start=$(date +%s.%N)
  (cd "$tmp/k$k" && mpirun --oversubscribe --bind-to core -n "$k" "$clcam" run ../run.yaml --quiet --overwrite)
  end=$(date +%s.%N)
  calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
  wall=$(calc "$end - $start")
  [[ -n "$t1" ]] || t1=$(calc "$wall * $k")  # the first K's time, as if one rank
  eff=$(calc "$t1 / ($k * $wall)")
  rate=$(calc "$n / $wall")
  same="true"
  if [[ "$k" != "${ks[0]}" ]] && ! h5diff -q "$tmp/k${ks[0]}/out.h5" "$tmp/k$k/out.h5" >/dev/null; then same="false"; fi
  printf "%-4s %10.2f %10.1f %11.2f\n" "$k" "$wall" "$rate" "$eff"
  printf '{"case": "mpi_cifar_resnet", "images": %d, "batch": %d, "ranks": %d, "cores_per_rank": 1, "wall_s": %.3f, "images_per_s": %.1f, "efficiency": %.3f, "same_file_as_first": %s}\n' \
    "$n" "$batch" "$k" "$wall" "$rate" "$eff" "$same"
done
