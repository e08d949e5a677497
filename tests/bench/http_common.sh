# shellcheck shell=bash disable=SC2034,SC2154 # url, threads: for the caller; work: from it
# Helpers shared by the HTTP benchmarks (sourced by bench_http.sh and
# bench_group_commit.sh, not run): start and stop allocation-server
# processes, run wrk with one of the http_*.lua scripts and read its figures.
# The sourcing script sets `work` (a scratch directory) before calling them.

server_pids=()

# start_server SERVER_BINARY DB_URL [SERVER_ARGS...]: start one more server
# on a free port; sets url (http://127.0.0.1:PORT) and threads (its HTTP
# threads), and remembers its pid for stop_servers.
start_server() {
	local binary=$1 db=$2
	shift 2
	local log
	log=$(mktemp "$work/server.XXXXXX")
	"$binary" --listen 127.0.0.1:0 --db "$db" --quiet "$@" 2>"$log" &
	server_pids+=($!)
	url=
	for _ in $(seq 200); do
		url=$(grep -o 'listening on http://[^ ]*' "$log" | sed 's/listening on //; s,/$,,') || true
		[ -n "$url" ] && break
		sleep 0.05
	done
	[ -n "$url" ] || { cat "$log" >&2; return 1; }
	threads=$(grep -o '([0-9]* thread' "$log" | tr -dc 0-9)
}

# stop_servers: SIGTERM every server start_server started, and wait for it.
stop_servers() {
	local pid
	for pid in "${server_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	server_pids=()
}

# wrk_field OUTPUT NAME: the value the lua script's done() printed as "NAME: value".
wrk_field() {
	sed -n "s|^$2: ||p" <<<"$1" | head -n 1
}

# load_average: the 1, 5 and 15 minute load averages, as "0.52 0.61 0.70".
load_average() {
	cut -d' ' -f1-3 /proc/loadavg
}
