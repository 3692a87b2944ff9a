#!/usr/bin/env bash
# Proves that leak checking is on in the sanitizer build, with the sanitizer options of the
# environment (scripts/sanitizers.sh under scripts/test.sh): tests/lsan_probe.c must exit 0
# when it frees everything, and LeakSanitizer must report the one allocation of clcam's
# that it loses with "leak". A run that reports nothing means the leak scan is off or blind.
# Usage: lsan_check.sh LSAN_PROBE
set -uo pipefail
probe="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CLCAM_CACHE_DIR="$work/cache"
echo "ASAN_OPTIONS=${ASAN_OPTIONS:-} LSAN_OPTIONS=${LSAN_OPTIONS:-}"

"$probe" > "$work/clean.log" 2>&1
rc=$?
if [[ $rc -ne 0 ]]; then
  tail -n 40 "$work/clean.log"
  echo "FAIL: the probe that frees everything exited $rc: a leak report or a sanitizer crash" \
       "that is not the deliberate leak (log above)" >&2
  exit 1
fi

"$probe" leak > "$work/leak.log" 2>&1
rc=$?
problems=()
[[ $rc -ne 0 ]] || problems+=("exit 0, expected LeakSanitizer's failure")
grep -q "ERROR: LeakSanitizer: detected memory leaks" "$work/leak.log" ||
  problems+=("no LeakSanitizer report")
grep -q "cl_profile_new" "$work/leak.log" || problems+=("the report does not name cl_profile_new")
grep -q "Tracer caught signal\|LeakSanitizer has encountered a fatal error" "$work/leak.log" &&
  problems+=("LeakSanitizer itself crashed")
if [[ ${#problems[@]} -gt 0 ]]; then
  tail -n 40 "$work/leak.log"
  printf 'FAIL: the deliberate leak: %s\n' "${problems[@]}" >&2
  exit 1
fi
grep -m1 "Direct leak of" "$work/leak.log"
echo "PASS: no leak reported for the clean run; the deliberate leak reported (exit $rc)"
