#!/bin/sh
# Run bench_redis in both modes against a throwaway redis-server.
#   tests/bench/bench_redis.sh [path/to/bench_redis] [ROUNDS] [RELAY_MESSAGES]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bench=${1:-build/tests/bench/bench_redis}
rounds=${2:-1000}
relay=${3:-20000}
dir=$(mktemp -d /tmp/bench-redis-server-XXXXXX)
trap '"$here/../support/redis_server.sh" stop "$dir"; rm -rf "$dir"' EXIT
url=$("$here/../support/redis_server.sh" start "$dir")
"$bench" "$url" pubsub "$rounds" "$relay"
"$bench" "$url" streams "$rounds" "$relay"
