#!/usr/bin/env bash
# Run real programs of the project under valgrind's memcheck: any invalid
# access, uninitialised read or leak fails the test.
set -euo pipefail
story=$1 cli=$2
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible)
passed=0 failed=0
check() {
  local name=$1; shift
  if "${vg[@]}" "$@" >/dev/null 2>vg.err; then passed=$((passed + 1));
  elif [ $? -eq 99 ]; then echo "memcheck errors in $name:"; cat vg.err; failed=$((failed + 1));
  else passed=$((passed + 1)); fi   # the program's own non-zero exit is not memcheck's business
}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT; cd "$dir"
check story "$story"
db="sqlite:$dir/v.db"
check add-batch "$cli" --db "$db" add-batch b1 LAMP 10
check add-batch-eta "$cli" --db "$db" add-batch b2 LAMP 10 2011-01-02
check allocate "$cli" --db "$db" allocate o1 LAMP 8
check allocate-again "$cli" --db "$db" allocate o2 LAMP 8
check invalid-sku "$cli" --db "$db" allocate o3 NOPE 1
check change "$cli" --db "$db" change-batch-quantity b1 5
check allocations "$cli" --db "$db" allocations o1
check batches "$cli" --db "$db" batches LAMP
check deallocate "$cli" --db "$db" deallocate o1 LAMP
check cancel "$cli" --db "$db" cancel-batch b2
check memory "$cli" --db memory: add-batch b1 LAMP 10
echo "valgrind memcheck: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
