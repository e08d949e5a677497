#!/bin/sh
# The man pages: groff has nothing to warn about (man --warnings), each page
# names every option (and, for allocation(1), every command) that its
# program's --help shows, and `cmake --install` puts both where man finds them.
#
#   check_man_pages.sh SOURCE_DIR BUILD_DIR SERVER_BINARY CLI_BINARY
set -eu
src=$1 build=$2 server=$3 cli=$4
pages="$src/docs/man/allocation.1 $src/docs/man/allocation-server.8"
status=0
for page in $pages; do
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	if [ -n "$warnings" ]; then
		echo "$page: groff warns:" >&2
		echo "$warnings" >&2
		status=1
	fi
done
# Options as the page writes them: \-\-name.
for flag in $("$server" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -qF -- "$(echo "$flag" | sed 's/-/\\-/g')" "$src/docs/man/allocation-server.8" ||
		{ echo "allocation-server.8 does not describe $flag" >&2; status=1; }
done
for word in $("$cli" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p; s/^  \(--[a-z]*\).*/\1/p'); do
	grep -qF -- "$(echo "$word" | sed 's/-/\\-/g')" "$src/docs/man/allocation.1" ||
		{ echo "allocation.1 does not describe $word" >&2; status=1; }
done
prefix=$(mktemp -d /tmp/la-man.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for page in man1/allocation.1 man8/allocation-server.8; do
	[ -f "$prefix/share/man/$page" ] || { echo "not installed: share/man/$page" >&2; status=1; }
done
MANPATH="$prefix/share/man" man -w allocation-server >/dev/null ||
	{ echo "man does not find the installed allocation-server(8)" >&2; status=1; }
[ $status -eq 0 ] && echo "man pages: clean, complete and installed"
exit $status
