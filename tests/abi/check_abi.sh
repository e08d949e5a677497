#!/usr/bin/env bash
# abidiff against the committed baseline: added functions are fine; any change
# to a function or type the baseline had fails.
set -uo pipefail
lib=$1 baseline=$2 headers=$3
# Only types the public headers define count: an opaque type's private
# layout (struct la_product, ...) is no part of the ABI.
abidiff --no-added-syms --headers-dir2 "$headers" "$baseline" "$lib" > abidiff.out 2>&1
rc=$?
cat abidiff.out
# abidiff's exit status is a bit field: 1/2 = tool error, 4 = a change to an
# existing function or type (libabigail sets 8 only for removed symbols, so a
# reordered struct or renumbered enum shows up as 4 alone). Every change to
# what the baseline exported fails: a deliberate, compatible one (a versioned
# struct grown at its end) is recorded by regenerating the baseline:
#   abidw --no-corpus-path build/lib/liballocation.so.1 > tests/abi/liballocation.abi
if (( rc & 3 )); then echo "abidiff failed ($rc): 0 passed, 1 failed"; exit 1; fi
if (( rc & 8 )); then echo "ABI break against $baseline: 0 passed, 1 failed"; exit 1; fi
if (( rc & 4 )); then echo "ABI changed against $baseline (see above): 0 passed, 1 failed"; exit 1; fi
echo "no incompatible ABI change against the baseline: 1 passed, 0 failed"
