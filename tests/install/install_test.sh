#!/bin/sh
# install_test.sh CMAKE CC BUILD_DIR CONSUMER_SRC WORK_DIR
#
# Installs BUILD_DIR into WORK_DIR/prefix, builds the consumer example there
# in the two ways a downstream project does, and checks what each prints;
# then runs the Python binding on the installed libraries.
set -eu
cmake=$1 cc=$2 build=$3 src=$4 work=$5

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log"

expected="liballocation 1.0.0, sqlite store
allocated consumer-order to consumer-batch
allocations consumer-order: CONSUMER-LAMP consumer-batch"

# run NAME BINARY: run twice on one file (the story is idempotent), check
# the output, and that the libraries come from the prefix, not the build.
run() {
	for round in 1 2; do
		out=$("$2" "sqlite:$work/$1.db")
		if [ "$out" != "$expected" ]; then
			printf '%s build, run %s printed:\n%s\nexpected:\n%s\n' "$1" "$round" "$out" "$expected" >&2
			exit 1
		fi
	done
	libs=$(ldd "$2" | grep liballocation)
	echo "$libs"
	if echo "$libs" | grep -v -q "=> $prefix/"; then
		echo "$1 build: a liballocation library is not the installed one" >&2
		exit 1
	fi
	echo "$1 build: ok"
}

# 1. pkg-config. The .pc files name the prefix configured at build time;
# --define-prefix makes pkg-config derive it from where the file now lies.
pcfile=$(find "$prefix" -name allocation-sqlite.pc | head -n 1)
[ -n "$pcfile" ] || { echo "allocation-sqlite.pc was not installed" >&2; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pcfile")"
flags=$(pkg-config --define-prefix --cflags --libs allocation allocation-sqlite)
echo "pkg-config: $flags"
libdir=$(pkg-config --define-prefix --variable=libdir allocation)
# shellcheck disable=SC2086 # the flags are words
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/consumer-pkgconfig" "$src/consumer.c" $flags
LD_LIBRARY_PATH=$libdir run pkgconfig "$work/consumer-pkgconfig"

# 2. CMake: find_package(allocation CONFIG) through CMAKE_PREFIX_PATH only
# (no package registry, so it cannot find the build tree instead). The
# imported targets give the binary an RPATH into the prefix.
"$cmake" -S "$src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_COMPILE_WARNING_AS_ERROR=ON >"$work/cmake-configure.log"
grep "allocation package: $prefix/" "$work/cmake-configure.log"
"$cmake" --build "$work/cmake-build" >"$work/cmake-build.log"
run cmake "$work/cmake-build/allocation-consumer"

# 3. The Python binding on the installed libraries (LA_LIBRARY_PATH).
py_out=$(LA_LIBRARY_PATH=$libdir PYTHONPATH=$src/../python PYTHONDONTWRITEBYTECODE=1 \
	/usr/bin/python3 - "$work/python.db" <<'PY'
import sys
import allocation
from allocation import _lib, commands, views
with allocation.bootstrap("sqlite:" + sys.argv[1]) as bus:
    bus.handle(commands.CreateBatch("consumer-batch", "CONSUMER-LAMP", 10))
    print(bus.handle(commands.Allocate("consumer-order", "CONSUMER-LAMP", 3)))
    print(views.allocations("consumer-order", bus))
print(_lib.load("allocation")._name)
print(_lib.load("allocation-sqlite")._name)
PY
)
echo "$py_out"
py_expected="consumer-batch
[{'sku': 'CONSUMER-LAMP', 'batchref': 'consumer-batch'}]
$libdir/liballocation.so.1
$libdir/liballocation-sqlite.so.1"
if [ "$py_out" != "$py_expected" ]; then
	printf 'python on the installed libraries printed:\n%s\nexpected:\n%s\n' "$py_out" "$py_expected" >&2
	exit 1
fi
echo "python binding: ok"
