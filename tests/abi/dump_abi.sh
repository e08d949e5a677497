#!/usr/bin/env bash
# Write the ABI baseline of one shared library: the functions it exports and
# the public types they reach (types not defined under the headers directory,
# such as the insides of opaque handles, are left out). No paths or line
# numbers, so the file does not depend on where the tree is checked out.
set -euo pipefail
lib=$1 headers=$2 out=$3
abidw --no-corpus-path --no-show-locs --headers-dir "$headers" --drop-private-types "$lib" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
