#!/usr/bin/env bash
# clcam tune writes a per-device GEMM tuning file that later commands load; selftest passes
# with it; a broken file is ignored with a warning, never an error.
#   tune_test.sh CLCAM
set -euo pipefail
clcam="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export CLCAM_CACHE_DIR="$tmp/cache"
fail() { echo "FAIL tune_test: $*"; exit 1; }

"$clcam" tune --budget 1 > "$tmp/tune.txt" || fail "clcam tune exited $?"
cat "$tmp/tune.txt"
grep -q "CLBlast defaults" "$tmp/tune.txt" || fail "no line for CLBlast's defaults"
grep -q "clcam's own GEMM" "$tmp/tune.txt" || fail "no line for clcam's own GEMM"
files=("$CLCAM_CACHE_DIR"/gemm-*.txt)
[[ -f "${files[0]}" ]] || fail "no tuning file in $CLCAM_CACHE_DIR"
grep -Eq "^ENGINE (own|clblast)$" "${files[0]}" || fail "tuning file without an ENGINE line"

"$clcam" selftest > "$tmp/selftest.txt" || fail "selftest with the tuning file failed"
engine=$(sed -n 's/^ENGINE //p' "${files[0]}")
want="CLBlast"; [[ "$engine" == own ]] && want="clcam's own GEMM"
grep -q "^gemm: convolutions on $want" "$tmp/selftest.txt" || fail "selftest does not use the tuned engine ($engine)"

# A hand-written file: the CLBlast engine and a valid parameter set are taken as given.
printf 'ENGINE clblast\nMWG 64\nNWG 64\nKWG 32\nMDIMC 8\nNDIMC 8\nMDIMA 8\nNDIMB 8\nKWI 2\nVWM 4\nVWN 4\nSTRM 0\nSTRN 0\nSA 0\nSB 0\nGEMMK 0\nKREG 1\n' > "${files[0]}"
"$clcam" selftest > "$tmp/selftest.txt" 2> "$tmp/err.txt" || fail "selftest with a hand-written tuning failed"
grep -q "^gemm: convolutions on CLBlast; CLBlast with MWG=64 NWG=64" "$tmp/selftest.txt" || fail "hand-written tuning not used"

# Broken: a missing parameter and an unknown engine are ignored with a warning.
printf 'ENGINE clblast\nMWG 64\n' > "${files[0]}"
"$clcam" selftest > "$tmp/selftest.txt" 2> "$tmp/err.txt" || fail "a broken tuning file must not fail a command"
grep -q "ignoring .*gemm-" "$tmp/err.txt" || fail "no warning for a broken tuning file"
grep -q "CLBlast with CLBlast defaults" "$tmp/selftest.txt" || fail "a broken file's parameters were applied"
echo "PASS tune_test"
