#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs the whole suite with ctest.
# Tests that need ../shared find it through CLCAM_SHARED (default: ../shared beside the repo).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/deps.sh" --tests
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 1800 "$@"
