#!/usr/bin/env bash
# Every public header compiles on its own, as C99 and C11 with -pedantic
# -Werror, and as C++ (the extern "C" guards).
set -euo pipefail
include=$1
shift
failed=0 passed=0
for header in "$include"/allocation/*.h "$include"/allocation/sys/*.h; do
  name=${header#"$include"/}
  for std in "gcc -std=c99" "gcc -std=c11" "g++ -std=c++11"; do
    lang=c; [[ $std == g++* ]] && lang=c++
    if echo "#include <$name>" | $std -x $lang -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$include" - ; then
      passed=$((passed + 1))
    else
      echo "FAIL: $name with $std"; failed=$((failed + 1))
    fi
  done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
