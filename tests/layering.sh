#!/usr/bin/env bash
# The tree's layers (README, "The shape of the tree"): base/ at the bottom includes nothing of
# ours above it; cl/ and io/ include base/ and never each other or pipeline/; and, as issue 13
# asked, `grep -rn 'pipeline/' cl io` finds nothing at all (comments included). Prints each
# offending line and fails.
# Usage: tests/layering.sh SOURCE_DIR
set -u
cd "${1:?usage: layering.sh SOURCE_DIR}" || exit 1
bad=0
check() { # what, then grep's arguments: any match is an offence
    local what=$1 hits
    shift
    hits=$(grep -rnE "$@" 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "FAIL: $what:"
        echo "$hits"
        bad=1
    fi
}
for d in base cl io pipeline; do
    [ -d "$d" ] || { echo "FAIL: no $d/ in $(pwd)"; exit 1; }
done
check "cl/ or io/ names pipeline/" 'pipeline/' cl io
check "base/ includes a layer above it" '#include "[^"]*(cl|io|pipeline)/' base
check "cl/ includes io/" '#include "[^"]*io/' cl
check "io/ includes cl/" '#include "[^"]*cl/' io
# the checks can fire: a line that breaks each rule must be found (grep, not the tree, is tested)
probe=$(printf '#include "../io/x.h"\n#include "../cl/x.h"\n#include "../pipeline/x.h"\n')
for p in 'pipeline/' '#include "[^"]*io/' '#include "[^"]*cl/' '#include "[^"]*(cl|io|pipeline)/'; do
    if ! grep -qE "$p" <<<"$probe"; then
        echo "FAIL: the pattern $p matches nothing it should"
        bad=1
    fi
done
[ $bad -eq 0 ] && echo "layering: base/, cl/, io/ and pipeline/ include only downwards"
exit $bad
