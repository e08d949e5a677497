#!/usr/bin/env bash
# The library exports exactly the committed list of la_* symbols, each under
# its version node. A new function means updating the list on purpose;
# a missing one is an ABI break.
set -euo pipefail
lib=$1 list=$2 node=$3
actual=$(nm -D --defined-only "$lib" | awk '$3 != "'"$node"'" {print $3}' | sed 's/@.*//' | sort)
bad=$(printf '%s\n' "$actual" | grep -v '^la_' || true)
if [ -n "$bad" ]; then echo "exported symbols without the la_ prefix:"; echo "$bad"; exit 1; fi
unversioned=$(objdump -T "$lib" | awk '/ DF .*\.text/ && $0 !~ /'"$node"'/ {print $NF}' || true)
if [ -n "$unversioned" ]; then echo "symbols outside version node $node:"; echo "$unversioned"; exit 1; fi
if ! diff -u "$list" <(printf '%s\n' "$actual"); then
  echo "exported symbols differ from $list (+ new, - missing)"; exit 1
fi
echo "$(printf '%s\n' "$actual" | wc -l) symbols, all la_*, all in $node: 1 passed, 0 failed"
