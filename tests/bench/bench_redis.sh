#!/bin/sh
# Run bench_redis in both modes against a throwaway redis-server, over SQLite
# and, with --pg, over a throwaway PostgreSQL (tests/support/pg_server.sh).
#   tests/bench/bench_redis.sh [--pg] [path/to/bench_redis] [ROUNDS] [RELAY_MESSAGES]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pg=
if [ "${1:-}" = --pg ]; then
	pg=1
	shift
fi
bench=${1:-build/tests/bench/bench_redis}
rounds=${2:-1000}
relay=${3:-20000}
dir=$(mktemp -d /tmp/bench-redis-server-XXXXXX)
cleanup() {
	"$here/../support/redis_server.sh" stop "$dir/redis" || true
	[ -z "$pg" ] || sh "$here/../support/pg_server.sh" stop "$dir/pg" >/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
url=$("$here/../support/redis_server.sh" start "$dir/redis")
"$bench" "$url" pubsub "$rounds" "$relay"
"$bench" "$url" streams "$rounds" "$relay"
if [ -n "$pg" ]; then
	conninfo=$(sh "$here/../support/pg_server.sh" start "$dir/pg" | tail -n 1)
	"$bench" "$url" pubsub "$rounds" "$relay" "$conninfo"
	"$bench" "$url" streams "$rounds" "$relay" "$conninfo"
fi
