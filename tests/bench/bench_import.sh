#!/usr/bin/env bash
# Bulk import: `allocation import-orders` of a file in orders.csv form into
# SQLite (durability full, the default), many lines per transaction.
#
#   tests/bench/bench_import.sh [ALLOCATION_CLI]
#
# Prints lines/s (and lines per CPU second: on a shared machine the wall time
# also counts the time spent waiting for a core) and the peak resident memory (from /usr/bin/time) for 100,000,
# 300,000 and 1,000,000 lines: memory must not grow with the file (it is
# streamed). At 100,000 lines the database is smaller than SQLite's page cache
# (cache_size, 16 MiB), which fills by 300,000; so the large run's memory is
# judged against the 300,000 one.
# Knobs: BENCH_IMPORT_LINES (the large run, default 1000000),
# BENCH_IMPORT_PER_TRANSACTION (default: the program's own, 50,000),
# BENCH_IMPORT_SKUS (default 100).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cli=${1:-$root/build/examples/cli/allocation}
large=${BENCH_IMPORT_LINES:-1000000}
per=${BENCH_IMPORT_PER_TRANSACTION:-}
skus=${BENCH_IMPORT_SKUS:-100}
[ -x "$cli" ] || { echo "bench_import: no allocation program at $cli" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_import: needs /usr/bin/time (Debian: time)" >&2; exit 1; }
work=$(mktemp -d /tmp/la-bench-import.XXXXXX)
trap 'rm -rf "$work"' EXIT

# orders.csv of n lines: unique orders spread over the skus
make_orders() { # n file
	awk -v n="$1" -v skus="$skus" 'BEGIN {
		print "orderid,sku,qty"
		for (i = 0; i < n; i++) printf "order-%09d,SKU-%03d,1\n", i, i % skus
	}' >"$2"
}

# import n lines into a fresh database; prints "seconds peak_kb cpu_seconds"
run() { # n
	local db="sqlite:$work/import-$1.db" orders="$work/orders-$1.csv"
	rm -f "$work/import-$1.db" "$work/import-$1.db-wal" "$work/import-$1.db-shm"
	make_orders "$1" "$orders"
	for s in $(seq 0 $((skus - 1))); do
		"$cli" --db "$db" add-batch "b$s" "$(printf 'SKU-%03d' "$s")" 100000000 >/dev/null
	done
	/usr/bin/time -f "%e %M %U %S" -o "$work/time" "$cli" --db "$db" import-orders "$orders" \
		${per:+--per-transaction "$per"} >"$work/out"
	grep -q "\"allocated\": $1," "$work/out" || { cat "$work/out" >&2; exit 1; }
	awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$work/time"
}

echo "import-orders into SQLite (durability full), ${per:-the default number of} lines per" \
	"transaction, $skus skus; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| lines     | seconds | lines/s  | peak RSS (KiB) | CPU s (user+sys) | lines per CPU s |"
echo "|-----------|---------|----------|----------------|------------------|-----------------|"
rss=()
for n in 100000 300000 "$large"; do
	read -r secs kb cpu < <(run "$n")
	rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
	cpu_rate=$(awk -v n="$n" -v s="$cpu" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
	printf '| %9d | %7.2f | %8d | %14d | %16.2f | %15d |\n' "$n" "$secs" "$rate" "$kb" "$cpu" "$cpu_rate"
	rss+=("$kb")
	last_rate=$rate
done
awk -v r="$last_rate" -v a="${rss[1]}" -v b="${rss[2]}" 'BEGIN {
	printf "target >= 200,000 lines/s: %s (ratio %.2fx)\n", (r >= 200000 ? "met" : "NOT met"), r / 200000
	printf "peak RSS, large run / 300,000 lines: %.2fx (%s)\n", b / a,
	       (b <= a * 1.25 ? "independent of the number of lines" : "GROWS with the file")
}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
