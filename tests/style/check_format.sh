#!/usr/bin/env bash
# Every C source and header of the project is formatted by the committed
# .clang-format (run `clang-format -i FILE` to fix one).
set -euo pipefail
cd "$1"
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find lib adapters examples include tests -name '*.[ch]')
bad=0
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f"; bad=$((bad + 1)); }
done
echo "clang-format: $(( ${#files[@]} - bad )) passed, $bad failed"
[ "$bad" -eq 0 ]
