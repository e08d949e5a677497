#!/usr/bin/env bash
# abidiff of one shared library against its committed baseline: added
# functions are fine; any change to a function or type the baseline had fails.
# Used for the core and every adapter library (tests/abi/CMakeLists.txt).
# Types defined outside the public headers (the insides of opaque handles)
# are private: the library is described the way its baseline was
# (dump_abi.sh) and the two descriptions compared. (abidiff straight on the
# binary with --headers-dir2 filters out every change, libabigail 2.2.)
set -uo pipefail
lib=$1 baseline=$2 headers=$3
current=$(mktemp --suffix=.abi)
trap 'rm -f "$current" "$current.tmp"' EXIT
"$(dirname "$0")/dump_abi.sh" "$lib" "$headers" "$current" > /dev/null ||
  { echo "abidw failed on $lib: 0 passed, 1 failed"; exit 1; }
out=$(abidiff --no-added-syms "$baseline" "$current" 2>&1)
rc=$?
printf '%s\n' "$out"
# abidiff's exit status is a bit field: 1/2 = tool error, 4 = a change to an
# existing function or type (libabigail sets 8 only for removed symbols, so a
# reordered struct or renumbered enum shows up as 4 alone). Every change to
# what the baseline exported fails: a deliberate, compatible one (a versioned
# struct grown at its end) is recorded by regenerating the baselines
# (`cmake --build build --target abi-baselines`, see docs/api.md).
if (( rc & 3 )); then echo "abidiff failed ($rc): 0 passed, 1 failed"; exit 1; fi
if (( rc & 8 )); then echo "ABI break against $baseline: 0 passed, 1 failed"; exit 1; fi
if (( rc & 4 )); then echo "ABI changed against $baseline (see above): 0 passed, 1 failed"; exit 1; fi
echo "no incompatible ABI change against $(basename "$baseline"): 1 passed, 0 failed"
