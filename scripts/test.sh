#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs the whole suite with ctest,
# then builds again with ASan and UBSan (build-asan/) and runs the whole suite there too, then
# runs the three libFuzzer targets for CLCAM_FUZZ_SECONDS (default 60) each.
# CLCAM_TEST_SANITIZE=0 skips the second pass, CLCAM_FUZZ_SECONDS=0 the third. Tests that need ../shared find it through
# CLCAM_SHARED (default: ../shared beside the repository).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/deps.sh" --tests
"$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure --timeout 1800 "$@")

if [[ "${CLCAM_TEST_SANITIZE:-1}" != 0 ]]; then
  echo "== the same suite under ASan + UBSan (build-asan/)"
  cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug \
        -DCLCAM_SANITIZE=address,undefined >/dev/null
  cmake --build "$root/build-asan" -j "$(nproc)"
  # Leak checking on, with ASan's __tls_get_addr interception off
  # (intercept_tls_get_addr=0): with it, LeakSanitizer crashes on machines where the OpenCL
  # driver's dynamic TLS lands where gcc 12's runtime misreads its size; without it, leaks of
  # clcam's are still found (tests/lsan_check.sh proves it). The full why is in
  # scripts/sanitizers.sh, which scripts/fuzz.sh sources too.
  source "$root/scripts/sanitizers.sh" "$root"
  (cd "$root/build-asan" && ctest --output-on-failure --timeout 1800 "$@")
fi

if [[ "${CLCAM_FUZZ_SECONDS:-60}" != 0 ]]; then
  echo "== fuzzing (scripts/fuzz.sh)"
  "$root/scripts/fuzz.sh"
fi
