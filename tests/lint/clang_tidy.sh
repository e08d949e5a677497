#!/usr/bin/env bash
# clang-tidy with the committed .clang-tidy (and tests/.clang-tidy) over every
# C file of lib/, adapters/, examples/ and tests/ in the build's
# compile_commands.json, two files at a time; any warning fails the test.
# usage: clang_tidy.sh CLANG_TIDY SOURCE_DIR BUILD_DIR [JOBS]
set -euo pipefail
tidy=$1 root=$2 build=$3 jobs=${4:-2}
db="$build/compile_commands.json"
[ -f "$db" ] || { echo "no $db (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON)"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Each file once, even when several targets compile it.
/usr/bin/python3 - "$db" "$root" >"$out/files" <<'PY'
import json, os, re, sys
db, root = sys.argv[1], os.path.realpath(sys.argv[2])
inside = re.compile(re.escape(root) + r"/(lib|adapters|examples|tests)/")
files = {os.path.realpath(os.path.join(e["directory"], e["file"])) for e in json.load(open(db))}
print("\n".join(sorted(f for f in files if inside.match(f) and f.endswith(".c"))))
PY
count=$(wc -l <"$out/files")
[ "$count" -gt 0 ] || { echo "no C file of $root in $db"; exit 1; }
started=$(date +%s)
# One report per file (kept apart so parallel runs do not interleave).
export tidy build out root
xargs -P "$jobs" -I{} sh -c '
  f=$1; r="$out/$(printf %s "$f" | tr / _).log"
  "$tidy" -p "$build" --quiet --header-filter="^$root/(include|lib|adapters|examples|tests)/" "$f" >"$r" 2>&1 || echo "$f" >>"$out/failed"
' _ {} <"$out/files"
failed=0
[ -f "$out/failed" ] && failed=$(wc -l <"$out/failed")
if [ "$failed" -gt 0 ]; then
  while read -r f; do cat "$out/$(printf %s "$f" | tr / _).log"; done <"$out/failed"
fi
warnings=$(cat "$out"/*.log | grep -c -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error): ' || true)
echo "clang-tidy: $count files in $(( $(date +%s) - started )) s, $((count - failed)) clean, $failed with findings ($warnings warnings)"
[ "$failed" -eq 0 ]
