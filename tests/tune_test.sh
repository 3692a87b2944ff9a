#!/usr/bin/env bash
# clcam tune writes a per-device GEMM tuning file, with the fastest forward method per
# convolution shape, that later commands load; selftest passes with it and prints the
# per-shape choices; a broken file is ignored with a warning, never an error, and so is a
# malformed CONV line, alone.
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
for m in im2col convgemm packed direct winograd; do
  [[ $(grep -Ec "^  $m +[0-9.]+ ms" "$tmp/tune.txt") == 3 ]] || fail "tune did not time $m on the 3 convolutions"
done
[[ $(grep -Ec "^CONV C=[0-9]+ H=[0-9]+ W=[0-9]+ K=[0-9]+ k=3 pad=1 stride=1 method=(im2col|convgemm|packed|direct|winograd) ms=" "${files[0]}") == 3 ]] \
  || fail "tuning file without 3 CONV lines"
conv1=$(sed -n 's/^CONV C=3 H=32 W=32 K=32 k=3 pad=1 stride=1 method=\([a-z0-9]*\) .*/\1/p' "${files[0]}")

"$clcam" selftest > "$tmp/selftest.txt" || fail "selftest with the tuning file failed"
engine=$(sed -n 's/^ENGINE //p' "${files[0]}")
want="CLBlast"; [[ "$engine" == own ]] && want="clcam's own GEMM"
grep -q "^gemm: convolutions on $want" "$tmp/selftest.txt" || fail "selftest does not use the tuned engine ($engine)"
grep -q "^conv: 3x32x32 -> 32, 3x3/1 pad 1: $conv1$" "$tmp/selftest.txt" || fail "selftest does not print conv1's tuned method ($conv1)"
grep -q "^direct conv .*PASS" "$tmp/selftest.txt" || fail "selftest does not check the direct kernel"

# A hand-written file: the CLBlast engine and a valid parameter set are taken as given.
printf 'ENGINE clblast\nMWG 64\nNWG 64\nKWG 32\nMDIMC 8\nNDIMC 8\nMDIMA 8\nNDIMB 8\nKWI 2\nVWM 4\nVWN 4\nSTRM 0\nSTRN 0\nSA 0\nSB 0\nGEMMK 0\nKREG 1\nCONV C=3 H=32 W=32 K=32 k=3 pad=1 stride=1 method=convgemm ms=1\n' > "${files[0]}"
"$clcam" selftest > "$tmp/selftest.txt" 2> "$tmp/err.txt" || fail "selftest with a hand-written tuning failed"
grep -q "^gemm: convolutions on CLBlast; CLBlast with MWG=64 NWG=64" "$tmp/selftest.txt" || fail "hand-written tuning not used"
grep -q "^conv: 3x32x32 -> 32, 3x3/1 pad 1: convgemm$" "$tmp/selftest.txt" || fail "hand-written CONV line not used"

# A malformed CONV line alone is skipped with a warning; the rest of the file is used.
printf 'ENGINE own\nCONV C=3 H=32 method=direct\n' > "${files[0]}"
"$clcam" selftest > "$tmp/selftest.txt" 2> "$tmp/err.txt" || fail "a malformed CONV line must not fail a command"
grep -q "ignoring a malformed line: CONV C=3 H=32 method=direct" "$tmp/err.txt" || fail "no warning for a malformed CONV line"
grep -q "^gemm: convolutions on clcam's own GEMM" "$tmp/selftest.txt" || fail "a malformed CONV line dropped the rest of the file"

# Broken: a missing parameter and an unknown engine are ignored with a warning.
printf 'ENGINE clblast\nMWG 64\n' > "${files[0]}"
"$clcam" selftest > "$tmp/selftest.txt" 2> "$tmp/err.txt" || fail "a broken tuning file must not fail a command"
grep -q "ignoring .*gemm-" "$tmp/err.txt" || fail "no warning for a broken tuning file"
grep -q "CLBlast with CLBlast defaults" "$tmp/selftest.txt" || fail "a broken file's parameters were applied"
echo "PASS tune_test"
