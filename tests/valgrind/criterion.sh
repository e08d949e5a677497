#!/usr/bin/env bash
# One Criterion suite under valgrind's memcheck: the runner and every test
# process it starts (--trace-children), and the programs the tests run from
# the build tree (the CLI). Programs of the system (sh, redis-server, cp...)
# are not traced. Any invalid access, uninitialised read or leak in any of
# them fails the test, as does a failing test.
# usage: criterion.sh SUITE [CRITERION ARGS...]
set -uo pipefail
suite=$1; shift
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
valgrind --quiet --trace-children=yes --trace-children-skip='/usr/bin/*,/usr/sbin/*,/usr/lib/postgresql/*,/bin/*,/sbin/*' \
  --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible --log-file="$logs/vg.%p" \
  --suppressions="$(dirname "$0")/criterion.supp" \
  "$suite" --jobs=1 "$@"
status=$?
reports=0
for f in "$logs"/vg.*; do
  [ -s "$f" ] || continue
  reports=$((reports + 1))
  echo "== memcheck report ($(basename "$f")):"
  cat "$f"
done
processes=$(ls "$logs" | wc -l)
echo "valgrind memcheck: $(basename "$suite"): $processes processes, $reports with errors, suite exit $status"
[ "$reports" -eq 0 ] && [ "$status" -eq 0 ]
