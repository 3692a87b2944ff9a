#!/usr/bin/env bash
# clcam against PyTorch on the same CIFAR-10 test images, same weights, same batch size.
#   bench/bench.sh [N] [BATCH]     (defaults: 10000 images, batch 250)
#   CLCAM_BENCH_DEVICE=gpu TORCH_DEVICE=cuda bench/bench.sh   on a GPU machine
# Prints a table and, on stdout, one JSON line per case. Not a test: figures, no verdicts.
# Uses data/cifar10.h5 (imported from ../shared or $CLCAM_CIFAR10_ARCHIVE if missing) and the
# weights in $CLCAM_WEIGHTS or ../shared/models/simplecnn_cifar10.h5.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-10000}" batch="${2:-250}"
shared="${CLCAM_SHARED:-$root/../shared}"
weights="${CLCAM_WEIGHTS:-$shared/models/simplecnn_cifar10.h5}"
clcam="$root/build/clcam"
device_args=()
if [[ -n "${CLCAM_BENCH_DEVICE:-}" ]]; then device_args=(--device "$CLCAM_BENCH_DEVICE"); fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$root/scripts/deps.sh" --tests >&2
"$root/scripts/build.sh" >&2
cd "$root"
if [[ ! -f data/cifar10.h5 ]]; then
  "$clcam" import-cifar10 "${CLCAM_CIFAR10_ARCHIVE:-$shared/cifar10/cifar-10-binary.tar.gz}" data/cifar10.h5 >&2
fi
run_clcam() {  # extra env in "$@"
  env "$@" /usr/bin/time -f "%M" -o "$tmp/rss" "$clcam" run configs/cifar10_gradcam.yaml --quiet --stats "${device_args[@]}" \
    --set "model.weights=$weights" --set "data.count=$n" --set "batch=$batch" \
    --set "output.file=$tmp/clcam.h5" --overwrite
}

# Cold start: PoCL's kernel cache and clcam's program cache empty (what a first run on a new
# machine pays).
cold=$(env POCL_CACHE_DIR="$tmp/pocl-cold" CLCAM_CACHE_DIR="$tmp/clcam-cold" "$clcam" run configs/cifar10_gradcam.yaml --quiet --stats "${device_args[@]}" \
  --set "model.weights=$weights" --set "data.count=$batch" --set "batch=$batch" \
  --set "output.file=$tmp/cold.h5")
run_clcam >/dev/null   # warm the cache the way a user's second run finds it
line=$(run_clcam)
rss=$(( $(cat "$tmp/rss") / 1024 ))
# The device time by stage and kernel, from OpenCL profiling events, in a separate run:
# profiling waits for every command, so the timed run above goes without it.
prof=$(run_clcam CLCAM_PROFILE=1 2>"$tmp/profile.txt")
echo "$prof" | sed 's/^{"case": "clcam"/{"case": "clcam profiled"/'
clcam_json=$(echo "$line" | sed "s/}$/, \"peak_rss_mb\": $rss, \"cold_first_batch_s\": $(echo "$cold" | sed 's/.*"first_batch_s": \([0-9.]*\).*/\1/')}/")
echo "$clcam_json"
torch_json=$(/usr/bin/python3 bench/torch_cases.py --data data/cifar10.h5 --weights "$weights" \
  --out "$tmp" --count "$n" --batch "$batch" --device "${TORCH_DEVICE:-cpu}")
echo "$torch_json"

/usr/bin/python3 - "$clcam_json" "$torch_json" "$n" "$prof" <<'PY' >&2
import json, sys
c = json.loads(sys.argv[1]); t = [json.loads(l) for l in sys.argv[2].splitlines()]
n = int(sys.argv[3])
# FLOPs of the work done per image by clcam for SimpleCNN at conv3: forward convs and linears,
# backward-data of fc2, fc1 (GEMMs); elementwise work ignored.
conv = 2 * (32*32*32*27 + 16*16*64*288 + 8*8*128*576)
fc = 2 * (2048*512 + 512*10)
flops = conv + fc + fc
print(f"\n{'case':<18}{'images/s':>10}{'seconds':>10}{'clcam x':>10}{'peak MB':>10}")
print(f"{'clcam':<18}{c['images_per_s']:>10.1f}{c['seconds']:>10.2f}{1:>10.2f}{c['peak_rss_mb']:>10}")
for r in t:
    print(f"{r['case']:<18}{r['images_per_s']:>10.1f}{r['seconds']:>10.2f}{c['images_per_s']/r['images_per_s']:>10.2f}{r['peak_rss_mb']:>10}")
print(f"\nclcam: {flops*c['images_per_s']/1e9:.1f} GFLOP/s achieved ({flops/1e6:.1f} MFLOP per image)")
print(f"clcam host split: setup {c['setup_s']:.2f} s, read {c['read_s']:.2f} s, write {c['write_s']:.2f} s, "
      f"waiting for the device {c['device_wait_s']:.2f} s of {c['seconds']:.2f} s")
print(f"clcam first batch done: warm {c['first_batch_s']:.2f} s, cold {c['cold_first_batch_s']:.2f} s")
p = json.loads(sys.argv[4])
stages = ["upload", "forward", "backward", "cam", "download"]
print("clcam device time by stage (profiled run): " +
      ", ".join(f"{s} {p['device_' + s + '_s']:.2f} s" for s in stages) +
      f"; host: read {p['read_s']:.2f} s, write {p['write_s']:.2f} s")
PY
echo "clcam device profile:" >&2
cat "$tmp/profile.txt" >&2
"$clcam" selftest 2>/dev/null | sed -n 's/^gemm: /clcam GEMM: /p' >&2
