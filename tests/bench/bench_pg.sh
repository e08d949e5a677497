#!/bin/sh
# PostgreSQL benchmark driver (issue 4): starts a throwaway PostgreSQL 15
# (tests/support/pg_server.sh, fsync on), initialises pgbench, then runs in
# interleaved rounds — so that a machine whose disk or load drifts affects
# both sides alike —
#   pgbench -b simple-update -c1,  bench_pg 1 client,
#   pgbench -b simple-update -c4,  bench_pg 4 clients on distinct skus,
#                                  bench_pg 4 clients on one sku,
# and prints the mean of each and the ratios against the targets.
#
# usage: bench_pg.sh PATH/TO/bench_pg [rounds] [seconds per run]
# (cmake --build build --target bench-pg). About 2 minutes with the defaults.
set -eu
exec 2>&1 # progress (stderr) and results in order

bench=${1:?usage: bench_pg.sh PATH/TO/bench_pg [rounds] [seconds]}
rounds=${2:-3}
seconds=${3:-6}
here=$(cd "$(dirname "$0")" && pwd)
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
fixture=$(mktemp -d /tmp/la-bench-pg.XXXXXX)
trap 'sh "$here/../support/pg_server.sh" stop "$fixture"; rm -rf "$fixture"' EXIT INT TERM

conninfo=$(sh "$here/../support/pg_server.sh" start "$fixture")
port=$(cat "$fixture/port")
pgbench() {
	"$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$port" -U postgres "$@" postgres
}
pgbench -i -q >/dev/null 2>&1

# tps of one pgbench run
pgbench_tps() {
	pgbench -b simple-update -n -c "$1" -j "$1" -T "$seconds" 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
# allocations/s of one bench_pg run (exits non-zero on any oversell)
alloc_rate() {
	line=$("$bench" "$conninfo" "$1" "$2" "$seconds")
	echo "  $line" >&2
	echo "$line" | sed -n 's/.*allocations_per_s=\([0-9.]*\).*/\1/p'
}

pg1=0 pg4=0 la1=0 la4=0 la4same=0
i=1
while [ "$i" -le "$rounds" ]; do
	echo "round $i/$rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
	t=$(pgbench_tps 1) && echo "  pgbench simple-update -c1: $t tps" >&2
	pg1=$(awk "BEGIN { print $pg1 + $t }")
	a=$(alloc_rate 1 distinct)
	la1=$(awk "BEGIN { print $la1 + $a }")
	t=$(pgbench_tps 4) && echo "  pgbench simple-update -c4: $t tps" >&2
	pg4=$(awk "BEGIN { print $pg4 + $t }")
	a=$(alloc_rate 4 distinct)
	la4=$(awk "BEGIN { print $la4 + $a }")
	a=$(alloc_rate 4 same)
	la4same=$(awk "BEGIN { print $la4same + $a }")
	i=$((i + 1))
done

mean() { awk "BEGIN { printf \"%.1f\", $1 / $rounds }"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
echo
echo "PostgreSQL 15 on 127.0.0.1, fsync on; $rounds interleaved rounds of ${seconds}s per run"
printf '%-44s %10s\n' "pgbench -b simple-update -c1 (tps)" "$(mean "$pg1")"
printf '%-44s %10s\n' "pgbench -b simple-update -c4 (tps)" "$(mean "$pg4")"
printf '%-44s %10s  %5sx pgbench -c1 (target >= 1.0)\n' "liballocation-pg, 1 client (allocations/s)" \
	"$(mean "$la1")" "$(ratio "$la1" "$pg1")"
printf '%-44s %10s  %5sx pgbench -c4 (target >= 0.8)\n' "4 clients, distinct skus (allocations/s)" \
	"$(mean "$la4")" "$(ratio "$la4" "$pg4")"
printf '%-44s %10s  %5sx pgbench -c4 (target >= 0.3)\n' "4 clients, one sku (allocations/s)" \
	"$(mean "$la4same")" "$(ratio "$la4same" "$pg4")"
