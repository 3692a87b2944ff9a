#!/usr/bin/env bash
# clcam selftest on oclgrind's simulated OpenCL device, which reports the faults that PoCL
# forgives and GPU drivers punish: out-of-bounds accesses, barrier divergence, data races
# (--data-races) and invalid API calls (--check-api). oclgrind still exits 0 when it reports,
# and the results can still be right, so any line in oclgrind's log fails the test.
# Usage: oclgrind_selftest.sh CLCAM [check|detects]
#   check    the selftest at its CLCAM_OCLGRIND_VARIANTS smallest sizes (default 2 of 3;
#            the third adds about a minute, mostly simulating CLBlast's GEMM kernels)
#   detects  the check must fail on two broken copies of the kernels (CLCAM_KERNEL_DIR): a
#            dropped bounds check (out-of-bounds read and write) and dropped barriers (races)
# Exits 77 (SKIP) when oclgrind is not installed; scripts/deps.sh --tests installs it.
set -uo pipefail
clcam="$1"
mode="${2:-check}"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v oclgrind >/dev/null; then
  echo "SKIP: oclgrind is not installed (apt-get install oclgrind, or scripts/deps.sh --tests)"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# run_check TAG VARIANTS [KERNEL_DIR]: 0 when the selftest passes on the simulator with an
# empty oclgrind log; otherwise prints what was wrong and returns 1.
run_check() {
  local tag="$1" variants="$2" kdir="${3:-}" rc problems=()
  # ROAD's solver in work-groups (a GPU's way), so the simulator checks its barriers and local
  # reductions for races; the selftest's ROAD case runs its first chunk in vector lanes (a CPU
  # device's way) whatever this says.
  # 64 KiB of local memory (oclgrind's default is 32), as many GPUs have: enough for Winograd's
  # one-kernel form on the selftest's small shape (oclgrind's device counts as a CPU too).
  CLCAM_ROAD_WG=256 CLCAM_KERNEL_DIR="$kdir" CLCAM_CACHE_DIR="$work/cache-$tag" \
    oclgrind --check-api --data-races --local-mem-size 65536 --log "$work/$tag.oclgrind" \
    "$clcam" selftest --device any --variants "$variants" > "$work/$tag.out" 2> "$work/$tag.err"
  rc=$?
  [[ $rc -eq 0 ]] || problems+=("exit $rc")
  grep -q "^device: Oclgrind Simulator" "$work/$tag.out" ||
    problems+=("the selftest did not run on oclgrind's device")
  grep -q "^PASS: 0 checks failed" "$work/$tag.out" || problems+=("the selftest did not pass")
  [[ -s "$work/$tag.oclgrind" ]] &&
    problems+=("oclgrind reported $(grep -c . "$work/$tag.oclgrind") log lines")
  if [[ ${#problems[@]} -eq 0 ]]; then
    echo "$tag: $(grep -c 'PASS$' "$work/$tag.out") checks passed on oclgrind, nothing reported"
    return 0
  fi
  echo "$tag: ${problems[*]}"
  grep -v "PASS$" "$work/$tag.out" | tail -n 5
  tail -n 5 "$work/$tag.err"
  head -n 24 "$work/$tag.oclgrind"
  return 1
}

# broken NAME FILE SED_SCRIPT: a copy of the kernels with FILE edited; fails if it no longer
# changes anything (the kernel moved on: update the edit here).
broken() {
  local dir="$work/kernels-$1"
  mkdir -p "$dir" && cp "$src"/cl/kernels/*.cl "$dir"/ && sed -i "$3" "$dir/$2"
  if cmp -s "$src/cl/kernels/$2" "$dir/$2"; then
    echo "FAIL: the edit '$3' no longer changes cl/kernels/$2" >&2
    exit 1
  fi
  echo "$dir"
}

case "$mode" in
  check)
    start=$SECONDS
    run_check selftest "${CLCAM_OCLGRIND_VARIANTS:-2}" || exit 1
    echo "PASS in $((SECONDS - start)) s"
    ;;
  detects)
    failed=0
    dir=$(broken oob relu.cl '0,/if (i >= n) return;/{/if (i >= n) return;/d}') || exit 1
    if run_check oob 1 "$dir"; then
      echo "FAIL: a relu_forward without its bounds check passed"; failed=1
    elif ! grep -q "Invalid read of size" "$work/oob.oclgrind" ||
         ! grep -q "Kernel: relu_forward" "$work/oob.oclgrind"; then
      echo "FAIL: no out-of-bounds read in relu_forward in oclgrind's log"; failed=1
    fi
    dir=$(broken race cam.cl '/barrier(CLK_LOCAL_MEM_FENCE);/d') || exit 1
    if run_check race 1 "$dir"; then
      echo "FAIL: cam.cl without its barriers passed"; failed=1
    elif ! grep -q "data race" "$work/race.oclgrind"; then
      echo "FAIL: no data race in oclgrind's log for cam.cl without barriers"; failed=1
    fi
    [[ $failed -eq 0 ]] || exit 1
    echo "PASS: both broken kernels were caught"
    ;;
  *) echo "usage: oclgrind_selftest.sh CLCAM [check|detects]" >&2; exit 2 ;;
esac
