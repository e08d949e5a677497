#!/usr/bin/env bash
# Group commit (issue 12): the HTTP flash-sale figures and their ratios, each
# measured in the same run as its reference.
#
#   tests/bench/bench_group_commit.sh [BUILD_DIR]
#
# 1. PostgreSQL (a throwaway server, fsync on): pgbench -b simple-update -c1
#    and -c4 (before and after the HTTP runs; their mean is the reference),
#    then TWO allocation-server processes on that database, one wrk of 16
#    connections whose two threads connect one to each server
#    (http_allocate.lua, BENCH_SERVERS): all on one sku, then over 64 skus.
#    After each run the database is checked: no batch holds more than it
#    purchased or other than the sum of its lines, and the lines stored are
#    the 202s wrk saw plus at most the requests in flight when wrk stopped
#    (at most one per connection). Then a flash sale with scarce stock (a
#    batch of 1,000 on a new sku, 3 s): all 1,000 allocated, none more.
# 2. SQLite with the default durability (synchronous=FULL), one server, 16
#    connections, 1 sku and 64 skus, each next to the hand-written
#    one-transaction-per-allocation FULL baseline (bench_sqlite --baseline-full)
#    run for half the time just before and just after it on the same disk
#    (their mean is the reference: the disk's fsync time drifts with other work).
# 3. One client, one request at a time (wrk -t1 -c1) on SQLite and
#    PostgreSQL: p50/p99 of this server against release 1.0's (aa71675,
#    before group commit), in alternating rounds; on SQLite at the same
#    durability on both sides (FULL against 1.0 with ?durability=full,
#    ?durability=normal against 1.0's default NORMAL). Its binary comes from
#    BENCH_BASELINE_SERVER (default /tmp/v10/build/examples/server/allocation-server);
#    the comparison is skipped, saying so, when it is absent.
#
# Every figure is printed with the load average at that moment: the machine
# is shared, so ratios of the same run matter more than absolute figures.
# Knobs: BENCH_DURATION (s per run, default 10), BENCH_SKUS (default 64),
# BENCH_ROUNDS (single-client rounds, default 2), BENCH_PARTS (default
# "postgres sqlite single"), BENCH_PG_WRITERS (--writers of each of the two
# PostgreSQL servers, default 1). Takes about 4 minutes with the defaults.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
server=$build/examples/server/allocation-server
bench_sqlite=$build/tests/bench/bench_sqlite
pg_writers=${BENCH_PG_WRITERS:-1}
old_server=${BENCH_BASELINE_SERVER:-/tmp/v10/build/examples/server/allocation-server}
duration=${BENCH_DURATION:-10}
skus=${BENCH_SKUS:-64}
rounds=${BENCH_ROUNDS:-2}
parts=${BENCH_PARTS:-postgres sqlite single}
connections=16
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}

command -v wrk >/dev/null || { echo "bench_group_commit: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench_group_commit: curl is not installed" >&2; exit 1; }
[ -x "$server" ] || { echo "bench_group_commit: no server binary at $server" >&2; exit 1; }

work=$(mktemp -d /tmp/la-bench-gc.XXXXXX)
# shellcheck source=tests/bench/http_common.sh
. "$here/http_common.sh"
pg_started=
cleanup() {
	stop_servers
	[ -n "$pg_started" ] && sh "$root/tests/support/pg_server.sh" stop "$work/pg" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# verdict VALUE OP LIMIT: "met" or "NOT met"
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
	ok = (op == ">=") ? v >= l : v < l
	print (ok ? "met" : "NOT met") }'; }

# add_batch URL REF SKU QTY
add_batch() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"ref\": \"$2\", \"sku\": \"$3\", \"qty\": $4, \"eta\": null}" "$1/add_batch")
	[ "$code" = 201 ] || { echo "bench_group_commit: add_batch $2 answered $code" >&2; return 1; }
}

# add_batches URL SKU: one batch for SKU and for each of SKU-1 .. SKU-$skus
add_batches() {
	add_batch "$1" "batch-$2" "$2" 1000000000000
	for i in $(seq "$skus"); do
		add_batch "$1" "batch-$2-$i" "$2-$i" 1000000000000
	done
}

# allocate_run LABEL SKU NSKUS SERVERS...: wrk -t<servers> -c16 over the
# servers; sets rps p50 p99 bad accepted
allocate_run() {
	local label=$1 sku=$2 n=$3
	shift 3
	local targets=("$@") out
	out=$(BENCH_RUN="$label-" BENCH_SKU=$sku BENCH_SKUS=$n BENCH_SERVERS="${targets[*]}" \
		wrk -t"${#targets[@]}" -c"$connections" -d"${duration}s" --latency \
		-s "$here/http_allocate.lua" "http://${targets[0]}/" 2>"$work/wrk.err")
	rps=$(wrk_field "$out" requests/s)
	p50=$(wrk_field "$out" p50_ms)
	p99=$(wrk_field "$out" p99_ms)
	bad=$(wrk_field "$out" non_2xx)
	accepted=$(wrk_field "$out" accepted_202)
	head -n 3 "$work/wrk.err" | sed 's/^/  wrk: /' >&2
}

# ------------------------------------------------------------- PostgreSQL
psql_at() { "$PG_BINDIR/psql" -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "${2:-postgres}" -c "$1"; }
pgbench_tps() { # clients
	"$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -b simple-update -n \
		-c "$1" -j "$1" -T "$duration" postgres 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

# pg_check LIKE EXPECTED_202: the stored state after a run on skus LIKE
pg_check() {
	local over lines
	over=$(psql_at "SELECT count(*) FROM batches b WHERE b.sku LIKE '$1' AND (b.allocated > b.purchased
		OR b.allocated <> (SELECT coalesce(sum(qty), 0) FROM allocations a WHERE a.batchref = b.ref))")
	lines=$(psql_at "SELECT count(*) FROM allocations WHERE sku LIKE '$1'")
	local extra=$((lines - $2))
	if [ "$over" = 0 ] && [ "$extra" -ge 0 ] && [ "$extra" -le "$connections" ]; then
		check="ok: no batch oversold; $lines lines stored = $2 answered 202 + $extra in flight at the stop"
	else
		check="FAILED: $over batches oversold or inconsistent; $lines lines stored, $2 answered 202"
	fi
}

pg_part() {
	echo
	echo "=== PostgreSQL: two allocation-server processes, pgbench of the same run ==="
	if ! sh "$root/tests/support/pg_server.sh" start "$work/pg" >/dev/null 2>"$work/pg.err"; then
		echo "PostgreSQL did not start: $(head -c 300 "$work/pg.err")"
		return 0
	fi
	pg_started=1
	pg_port=$(cat "$work/pg/port")
	local db
	db=$(cat "$work/pg/conninfo")
	"$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -i -q postgres >/dev/null 2>&1
	local c1a c4a c1b c4b
	c1a=$(pgbench_tps 1)
	c4a=$(pgbench_tps 4)
	echo "pgbench simple-update before: -c1 $c1a tps, -c4 $c4a tps (load $(load_average))"

	# Two processes on two cores: one writer each (writers x processes about
	# the cores, docs/postgres.md); one process alone is best with its default.
	echo "each server: --writers $pg_writers"
	start_server "$server" "$db" --writers "$pg_writers"
	local a=${url#http://}
	start_server "$server" "$db" --writers "$pg_writers"
	local b=${url#http://}
	add_batches "http://$a" flash
	allocate_run pg1 flash 1 "$a" "$b"
	local r1=$rps p1=$p99 b1=$bad load1
	load1=$(load_average)
	pg_check 'flash' "$accepted"
	local check1=$check
	allocate_run pg64 flash "$skus" "$a" "$b"
	local r64=$rps p64=$p99 b64=$bad load64
	load64=$(load_average)
	pg_check 'flash-%' "$accepted"
	local check64=$check

	# scarce stock: more requests than units, on two processes at once
	add_batch "http://$a" batch-scarce scarce 1000
	local keep=$duration
	duration=3
	allocate_run pgscarce scarce 1 "$a" "$b"
	duration=$keep
	local sold allocated scarce_answers=$accepted
	sold=$(psql_at "SELECT coalesce(sum(qty), 0) FROM allocations WHERE sku = 'scarce'")
	allocated=$(psql_at "SELECT allocated FROM batches WHERE ref = 'batch-scarce'")
	stop_servers

	c1b=$(pgbench_tps 1)
	c4b=$(pgbench_tps 4)
	echo "pgbench simple-update after:  -c1 $c1b tps, -c4 $c4b tps (load $(load_average))"
	local c1 c4
	c1=$(awk -v x="$c1a" -v y="$c1b" 'BEGIN { printf "%.0f", (x + y) / 2 }')
	c4=$(awk -v x="$c4a" -v y="$c4b" 'BEGIN { printf "%.0f", (x + y) / 2 }')
	echo
	echo "| PostgreSQL, 2 servers, $connections conns | req/s | p99 (ms) | non-2xx | ratio | targets | load |"
	echo "|---|---|---|---|---|---|---|"
	echo "| 1 sku | $r1 | $p1 | $b1 | $(ratio "$r1" "$c1")x pgbench -c1 ($c1 tps) |" \
		"ratio >= 5: $(verdict "$(ratio "$r1" "$c1")" '>=' 5); p99 < 50 ms: $(verdict "$p1" '<' 50);" \
		"0 non-2xx: $([ "$b1" = 0 ] && echo met || echo 'NOT met') | $load1 |"
	echo "| $skus skus | $r64 | $p64 | $b64 | $(ratio "$r64" "$c4")x pgbench -c4 ($c4 tps) |" \
		"ratio >= 2: $(verdict "$(ratio "$r64" "$c4")" '>=' 2) | $load64 |"
	echo "1 sku check: $check1"
	echo "$skus skus check: $check64"
	# every unit sold once the answers outnumber the units; never more
	if [ "$sold" = "$allocated" ] && [ "$sold" -le 1000 ] &&
		{ [ "$scarce_answers" -lt 1000 ] || [ "$sold" = 1000 ]; }; then
		echo "scarce stock (a batch of 1,000, 3 s, both servers): ok, $sold allocated for $scarce_answers answers"
	else
		echo "scarce stock (a batch of 1,000, 3 s, both servers): FAILED, lines sum $sold," \
			"batch allocated $allocated, $scarce_answers answers"
	fi
}

# ----------------------------------------------------------------- SQLite
sqlite_part() {
	echo
	echo "=== SQLite, default durability (synchronous=FULL), one server, $connections connections ==="
	start_server "$server" "sqlite:$work/gc.db"
	local target=${url#http://}
	add_batches "$url" flash
	echo "| SQLite FULL | req/s | p50 (ms) | p99 (ms) | non-2xx | baseline FULL, allocations/s (before, after) | ratio | targets | load |"
	echo "|---|---|---|---|---|---|---|---|---|"
	local n base before after load label half=$(((duration + 1) / 2))
	for n in 1 "$skus"; do
		# the baseline for half the time just before and just after: fsync times drift
		before=$("$bench_sqlite" --baseline-full "$work" "$half" "$n" | sed -n 's/^allocations\/s: //p')
		allocate_run "sqlite$n" flash "$n" "$target"
		load=$(load_average)
		after=$("$bench_sqlite" --baseline-full "$work" "$half" "$n" | sed -n 's/^allocations\/s: //p')
		base=$(awk -v x="$before" -v y="$after" 'BEGIN { printf "%.0f", (x + y) / 2 }')
		label="1 sku"
		[ "$n" = 1 ] || label="$n skus"
		echo "| $label | $rps | $p50 | $p99 | $bad | $base ($before, $after) | $(ratio "$rps" "$base")x |" \
			">= 15,000 req/s: $(verdict "$rps" '>=' 15000); p99 < 10 ms: $(verdict "$p99" '<' 10);" \
			">= 3x: $(verdict "$(ratio "$rps" "$base")" '>=' 3) | $load |"
	done
	stop_servers
}

# ---------------------------------------------------------- single client
# one_client BINARY DB: p50 and p99 of wrk -t1 -c1 on a fresh store → p50 p99
one_client() {
	start_server "$1" "$2"
	add_batch "$url" batch-one one 1000000000000
	local out
	out=$(BENCH_RUN=one- BENCH_SKU=one BENCH_SKUS=1 wrk -t1 -c1 -d"${duration}s" --latency \
		-s "$here/http_allocate.lua" "$url/" 2>/dev/null)
	stop_servers
	echo "$(wrk_field "$out" p50_ms) $(wrk_field "$out" p99_ms) $(wrk_field "$out" non_2xx)"
}

# compare_latency LABEL SIDE [REFERENCE]: SIDE's mean p50/p99 over REFERENCE's
# (default old: 1.0 at its default durability) (sum50, sum99)
compare_latency() {
	local q50 q99 ref=${3:-old}
	q50=$(ratio "${sum50[$2]}" "${sum50[$ref]}")
	q99=$(ratio "${sum99[$2]}" "${sum99[$ref]}")
	echo "$1 vs 1.0, mean of $rounds rounds: p50 ${q50}x ($(verdict "$q50" '<' 1.2001))," \
		"p99 ${q99}x ($(verdict "$q99" '<' 1.2001)); target <= 1.2x"
}

single_part() {
	echo
	echo "=== One client, one request at a time (wrk -t1 -c1): this server vs release 1.0 ==="
	if [ ! -x "$old_server" ]; then
		echo "skipped: no release 1.0 server at $old_server (build aa71675 with"
		echo "-DALLOCATION_BUILD_EXAMPLES=ON and set BENCH_BASELINE_SERVER to its allocation-server)"
		return 0
	fi
	local stores=(sqlite)
	[ -n "$pg_started" ] || { sh "$root/tests/support/pg_server.sh" start "$work/pg" >/dev/null 2>&1 && pg_started=1; }
	[ -n "$pg_started" ] && { pg_port=$(cat "$work/pg/port"); stores+=(postgres); }
	echo "| store | server | p50 (ms) | p99 (ms) | non-2xx | load |"
	echo "|---|---|---|---|---|---|"
	local store side r db n=0 p50 p99 bad
	local -A sum50 sum99 # by side: new, normal (SQLite only), old, oldfull (SQLite only)
	for store in "${stores[@]}"; do
		sum50=([new]=0 [normal]=0 [old]=0 [oldfull]=0) sum99=([new]=0 [normal]=0 [old]=0 [oldfull]=0)
		for r in $(seq "$rounds"); do
			for side in new normal old oldfull; do
				n=$((n + 1))
				case $store in
				sqlite)
					db="sqlite:$work/one-$n.db"
					[ "$side" = normal ] && db="$db?durability=normal"
					[ "$side" = oldfull ] && db="$db?durability=full"
					;;
				postgres)
					# one durability on PostgreSQL
					[ "$side" = normal ] || [ "$side" = oldfull ] && continue
					psql_at "CREATE DATABASE one_$n" >/dev/null
					db="$(sed "s/dbname=postgres/dbname=one_$n/" "$work/pg/conninfo")"
					;;
				esac
				local binary=$server
				[ "$side" = old ] || [ "$side" = oldfull ] && binary=$old_server
				read -r p50 p99 bad < <(one_client "$binary" "$db")
				echo "| $store | $side (round $r) | $p50 | $p99 | $bad | $(load_average) |"
				sum50[$side]=$(awk -v s="${sum50[$side]}" -v x="$p50" 'BEGIN { print s + x }')
				sum99[$side]=$(awk -v s="${sum99[$side]}" -v x="$p99" 'BEGIN { print s + x }')
			done
		done
		if [ "$store" = sqlite ]; then
			# the fair comparisons are at the same durability on both sides
			compare_latency "sqlite: this server, default synchronous=FULL, vs 1.0 with ?durability=full" new oldfull
			compare_latency "sqlite: this server with ?durability=normal (1.0's default durability)" normal
			echo "(for the record, not the same durability: this server's FULL default over 1.0's NORMAL default:" \
				"p50 $(ratio "${sum50[new]}" "${sum50[old]}")x, p99 $(ratio "${sum99[new]}" "${sum99[old]}")x)"
		else
			compare_latency "postgres: this server" new
		fi
	done
}

echo "group commit benchmark: $(nproc) CPUs shared by wrk, the servers and the databases;" \
	"${duration} s per run; $(date -u '+%Y-%m-%d %H:%M UTC'); load $(load_average)"
for part in $parts; do
	case $part in
	postgres) pg_part ;;
	sqlite) sqlite_part ;;
	single) single_part ;;
	*) echo "bench_group_commit: unknown part $part" >&2; exit 2 ;;
	esac
done
