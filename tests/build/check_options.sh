#!/usr/bin/env bash
# The programs (allocation, allocation-server) have their own option and are
# still configured when the examples are turned off; the examples go with
# ALLOCATION_BUILD_EXAMPLES=OFF. Configure-only, in a temporary directory.
set -euo pipefail
src=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
targets() { cmake --build "$1" --target help | sed -n 's/^\.\.\. //p' | sort; }
pass=0 fail=0
expect() { # expect <build dir> <target> <present|absent>
  if targets "$1" | grep -qx "$2"; then got=present; else got=absent; fi
  if [ "$got" = "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2 is $got in $1 (expected $3)"; fi
}
cmake -S "$src" -B "$dir/no-examples" -DALLOCATION_BUILD_EXAMPLES=OFF -DALLOCATION_BUILD_TESTS=OFF \
  -DALLOCATION_BUILD_BENCH=OFF >/dev/null
expect "$dir/no-examples" allocation-server present
expect "$dir/no-examples" allocation-cli present
expect "$dir/no-examples" allocation-story absent
cmake -S "$src" -B "$dir/no-programs" -DALLOCATION_BUILD_PROGRAMS=OFF -DALLOCATION_BUILD_TESTS=OFF \
  -DALLOCATION_BUILD_BENCH=OFF >/dev/null
expect "$dir/no-programs" allocation-server absent
expect "$dir/no-programs" allocation-cli absent
expect "$dir/no-programs" allocation-story present
echo "build options: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
