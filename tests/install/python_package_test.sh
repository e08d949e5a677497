#!/bin/sh
# python_package_test.sh CMAKE BUILD_DIR PYTHON_SRC WORK_DIR VERSION CORE_DIR
#
# The Python package as its users install it, offline, and used with neither
# PYTHONPATH nor LA_LIBRARY_PATH set:
# 1. pip: a clean virtual environment (python3 -m venv), the package built
#    and installed there from a copy of PYTHON_SRC (pip builds inside the
#    source tree), the C libraries installed into the same prefix with
#    `cmake --install`; the book's story (demo.py) runs from another folder,
#    in memory and on SQLite, and mypy --strict checks it against the
#    installed package (py.typed).
# 2. `cmake --install` alone, into another prefix: the package it copies
#    there finds that prefix's libraries through the directory it recorded,
#    and LA_LIBRARY_PATH=CORE_DIR (the build's core library) still wins.
set -eu
cmake=$1 build=$2 src=$3 work=$4 version=$5 core_dir=$6
python=/usr/bin/python3

rm -rf "$work"
mkdir -p "$work"
# Nothing from the caller's environment may point at a library or a package.
unset LA_LIBRARY_PATH PYTHONPATH LD_LIBRARY_PATH PYTHONHOME
export PYTHONDONTWRITEBYTECODE=1

fail() {
	echo "python_package_test: $*" >&2
	exit 1
}

# The story as demo.py tells it (what tests/python/test_demo.py checks).
check_story() {
	for line in "allocate o1 → in-stock" "allocate o2 → shipment" "allocate o3 → None" \
		"notify stock@made.com: Out of stock for SMALL-TABLE" \
		"allocations o1: [{'sku': 'SMALL-TABLE', 'batchref': 'shipment'}]" \
		"error: Invalid sku NO-SUCH-THING"; do
		grep -Fqx "$line" "$1" || fail "$2: the story lacks \"$line\"; it printed: $(cat "$1")"
	done
	echo "$2: the story is told"
}

# Every library the package reports must lie in $2 (the prefix).
check_libraries_in() {
	grep -q "liballocation: $2/" "$1" || fail "$3: liballocation not from $2: $(cat "$1")"
	if grep "^  lib" "$1" | grep -v "not found" | grep -v -q ": $2/"; then
		fail "$3: a library is not the installed one: $(cat "$1")"
	fi
}

cp "$src/demo.py" "$work/demo.py"  # beside no package: `import allocation` is the installed one

# ---- 1. pip into a clean venv; the libraries into the same prefix ----
venv=$work/venv
"$python" -m venv "$venv"
wheel=$(ls /usr/share/python-wheels/wheel-*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || fail "no wheel in /usr/share/python-wheels (install python3-wheel-whl)"
pip="$venv/bin/python -m pip --isolated --disable-pip-version-check"
$pip install --no-index "$wheel" >"$work/pip-wheel.log" 2>&1 ||
	fail "installing wheel failed: $(cat "$work/pip-wheel.log")"
mkdir "$work/package"
cp -R "$src/pyproject.toml" "$src/allocation" "$work/package/"
$pip install --no-index --no-build-isolation "$work/package" >"$work/pip.log" 2>&1 ||
	fail "pip install failed: $(cat "$work/pip.log")"
echo "pip: $(tail -n 1 "$work/pip.log")"
"$cmake" --install "$build" --prefix "$venv" >"$work/install-venv.log"

cd "$work"
"$venv/bin/python" -m allocation >"$work/venv-libraries.txt"
cat "$work/venv-libraries.txt"
grep -q "^allocation $version ($venv/lib/python[0-9.]*/site-packages/allocation/" \
	"$work/venv-libraries.txt" || fail "pip: not the venv's package, or not version $version"
check_libraries_in "$work/venv-libraries.txt" "$venv" pip
installed=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("allocation"))')
[ "$installed" = "$version" ] || fail "pip installed allocation $installed, the libraries are $version"
[ -f "$(ls -d "$venv"/lib/python*/site-packages/allocation)/py.typed" ] || fail "pip: py.typed missing"

"$venv/bin/python" demo.py >"$work/story-memory.txt" 2>&1 || fail "demo.py: $(cat "$work/story-memory.txt")"
check_story "$work/story-memory.txt" "pip, in memory"
"$venv/bin/python" demo.py "sqlite:$work/demo.db" >"$work/story-sqlite.txt" 2>&1 ||
	fail "demo.py on SQLite: $(cat "$work/story-sqlite.txt")"
check_story "$work/story-sqlite.txt" "pip, on SQLite"

# The installed package is typed (PEP 561): a user's mypy sees its hints.
if "$python" -c 'import mypy' 2>/dev/null; then
	"$python" -m mypy --strict --no-incremental --cache-dir /dev/null \
		--python-executable "$venv/bin/python" demo.py || fail "mypy --strict on demo.py failed"
fi

# ---- 2. cmake --install alone, into another prefix ----
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$work/install-prefix.log"
typed=$(find "$prefix" -path '*/allocation/py.typed' | head -n 1)
[ -n "$typed" ] || fail "cmake --install did not install the Python package"
site=$(dirname "$(dirname "$typed")")
echo "cmake --install: the package is in $site"
# -I: no PYTHON* variables, no user site; the site directory is added by
# hand, as a Python whose prefix this is would have it on its path.
run_in_prefix() {
	"$python" -I -c 'import runpy, sys
sys.path.insert(0, sys.argv[1])
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__") if sys.argv[0] != "-m" else \
    runpy.run_module("allocation", run_name="__main__")' "$site" "$@"
}
run_in_prefix -m >"$work/prefix-libraries.txt"
cat "$work/prefix-libraries.txt"
check_libraries_in "$work/prefix-libraries.txt" "$prefix" "cmake --install"
run_in_prefix demo.py "sqlite:$work/prefix.db" >"$work/story-prefix.txt" 2>&1 ||
	fail "demo.py from the prefix: $(cat "$work/story-prefix.txt")"
check_story "$work/story-prefix.txt" "cmake --install, on SQLite"

# LA_LIBRARY_PATH still wins over the recorded directory.
LA_LIBRARY_PATH=$core_dir run_in_prefix -m >"$work/override.txt"
grep -q "liballocation: $core_dir/liballocation.so.1\$" "$work/override.txt" ||
	fail "LA_LIBRARY_PATH=$core_dir did not win: $(cat "$work/override.txt")"
echo "LA_LIBRARY_PATH wins: $core_dir"
