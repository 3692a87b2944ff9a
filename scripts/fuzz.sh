#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for a bounded time
# (CLCAM_FUZZ_SECONDS, default 60) from its seed corpus in tests/fuzz/corpus/. Fails on any
# crash, leak, sanitizer report or timeout; the input that did it is left in build-fuzz/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs="${CLCAM_FUZZ_SECONDS:-60}"
if ! command -v clang >/dev/null; then
  echo "clcam fuzz: clang is missing (apt-get install clang)" >&2
  exit 1
fi
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLCAM_FUZZ=ON >/dev/null
cmake --build "$root/build-fuzz" -j "$(nproc)" --target fuzz_config fuzz_cifar fuzz_weights fuzz_onnx \
  fuzz_image
# The same sanitizer options as the ASan pass of scripts/test.sh (why: scripts/sanitizers.sh).
source "$root/scripts/sanitizers.sh" "$root"
for t in config cifar weights onnx image; do
  work="$root/build-fuzz/corpus-$t"
  mkdir -p "$work"
  echo "== fuzz_$t for ${secs} s"
  if ! (cd "$root/build-fuzz" && ./fuzz_$t -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
          -print_final_stats=1 "$work" "$root/tests/fuzz/corpus/$t" > "fuzz_$t.log" 2>&1); then
    tail -n 40 "$root/build-fuzz/fuzz_$t.log"
    echo "fuzz_$t found a problem: the input is in build-fuzz/ (crash-*, leak-*, timeout-*)" >&2
    exit 1
  fi
  grep -E "^Done|number_of_executed_units" "$root/build-fuzz/fuzz_$t.log"
done
echo "fuzz: 5 targets ran ${secs} s each, no crash"
