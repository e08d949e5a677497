#!/usr/bin/env bash
# abidiff against the committed baseline: additions are fine, anything that
# breaks binaries built against the baseline fails.
set -uo pipefail
lib=$1 baseline=$2
abidiff --no-added-syms "$baseline" "$lib" > abidiff.out 2>&1
rc=$?
cat abidiff.out
# abidiff's exit status is a bit field: 8 = incompatible change, 1/2 = tool error
if (( rc & 8 )); then echo "ABI break against $baseline: 0 passed, 1 failed"; exit 1; fi
if (( rc & 3 )); then echo "abidiff failed ($rc): 0 passed, 1 failed"; exit 1; fi
echo "no incompatible ABI change against the baseline: 1 passed, 0 failed"
