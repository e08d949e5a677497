#!/usr/bin/env bash
# HTTP benchmark of allocation-server with wrk (Debian package "wrk").
#
#   tests/bench/bench_http.sh [SERVER_BINARY] [sqlite|postgres|memory ...]
#
# For each store (default: sqlite, then postgres when the build has it): start
# the server on a fresh store, add one batch big enough for every request,
# then
#   1. POST /allocate with a unique orderid per request (http_allocate.lua)
#      on one sku (every request updates the same product: they serialise),
#   2. the same spread over BENCH_SKUS skus (default 64),
#   3. GET /allocations/<orderid> over 1,000 allocated orders (http_get.lua),
# and print requests/s, p50 and p99 for each. wrk and the server share the
# machine. Knobs (environment): BENCH_DURATION (s, default 10),
# BENCH_CONNECTIONS (default 16), BENCH_WRK_THREADS (default 2),
# BENCH_SERVER_THREADS (the server's --threads; default: its own default).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
server=${1:-$root/build/examples/server/allocation-server}
shift || true
stores=("$@")
[ ${#stores[@]} -gt 0 ] || stores=(sqlite postgres)
duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-16}
wrk_threads=${BENCH_WRK_THREADS:-2}
skus=${BENCH_SKUS:-64}
python=/usr/bin/python3

command -v wrk >/dev/null || { echo "bench_http: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$server" ] || { echo "bench_http: no server binary at $server" >&2; exit 1; }

work=$(mktemp -d /tmp/la-bench-http.XXXXXX)
# shellcheck source=tests/bench/http_common.sh
. "$here/http_common.sh"
pg_started=
cleanup() {
	stop_servers
	[ -n "$pg_started" ] && sh "$root/tests/support/pg_server.sh" stop "$work/pg" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

server_args=()
[ -n "${BENCH_SERVER_THREADS:-}" ] && server_args+=(--threads "$BENCH_SERVER_THREADS")

prepare() { # sku: a batch for everything on sku and sku-1..N, 1,000 orders to read back
	"$python" - "$url" "$1" "$skus" <<'PY'
import sys
import requests
url, sku, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = requests.Session()
for name in [sku] + [f"{sku}-{i}" for i in range(1, n + 1)]:
    r = s.post(url + "/add_batch", json={"ref": "batch-" + name, "sku": name,
                                         "qty": 10**12, "eta": None})
    assert r.status_code == 201, r.text
for i in range(1, 1001):
    r = s.post(url + "/allocate", json={"orderid": f"get-{i}", "sku": sku, "qty": 1})
    assert r.status_code == 202, r.text
PY
}

run_wrk() { # label script [BENCH_SKUS]
	local out
	out=$(BENCH_SKU=$sku BENCH_SKUS=${3:-1} BENCH_ORDERS=1000 BENCH_PREFIX=get \
		wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency -s "$here/$2" "$url/")
	local rps p50 p99 bad
	rps=$(wrk_field "$out" requests/s)
	p50=$(wrk_field "$out" p50_ms)
	p99=$(wrk_field "$out" p99_ms)
	bad=$(wrk_field "$out" non_2xx)
	printf '| %-9s | %-24s | %7s | %9s | %9s | %5s | %4s |\n' "$store" "$1" "$rps" "$p50" "$p99" "$bad" "$threads"
}

echo "wrk: ${wrk_threads} threads, ${connections} connections, ${duration} s per run; $(nproc) CPUs shared with the server"
echo
echo "| store     | request                  | req/s   | p50 (ms)  | p99 (ms)  | non-2xx | server threads |"
echo "|-----------|--------------------------|---------|-----------|-----------|---------|------|"
for store in "${stores[@]}"; do
	case $store in
	sqlite) db="sqlite:$work/bench.db" ;;
	memory) db="memory:" ;;
	postgres)
		if ! sh "$root/tests/support/pg_server.sh" start "$work/pg" >/dev/null 2>"$work/pg.err"; then
			echo "| postgres  | (server did not start: $(head -c 200 "$work/pg.err")) |"
			continue
		fi
		pg_started=1
		db=$(cat "$work/pg/conninfo")
		;;
	*) echo "bench_http: unknown store $store" >&2; exit 2 ;;
	esac
	start_server "$server" "$db" "${server_args[@]}" || exit 1
	sku=bench-$store
	if ! prepare "$sku" 2>"$work/prepare.err"; then
		echo "| $store | (could not prepare: $(tail -1 "$work/prepare.err")) |"
		stop_servers
		continue
	fi
	run_wrk "POST /allocate, 1 sku" http_allocate.lua 1
	run_wrk "POST /allocate, $skus skus" http_allocate.lua "$skus"
	run_wrk "GET /allocations/<id>" http_get.lua
	stop_servers
done
