#!/usr/bin/env bash
# Every benchmark of the project, one after the other, with the figures
# docs/performance.md records:  tests/bench/run-all.sh [BUILD_DIR]
# Takes about 12 minutes. Each part starts and stops the servers it needs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
bench="$build/tests/bench"
work=$(mktemp -d /tmp/la-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
part() { echo; echo "=== $1 ==="; }
part "core: in-memory store (issue 2)";       "$bench/bench_core"
part "SQLite (issue 3)";                       (cd "$work" && "$bench/bench_sqlite" "$work")
part "PostgreSQL vs pgbench (issue 4)";        sh "$here/bench_pg.sh" "$bench/bench_pg"
part "HTTP with wrk (issue 5)";                BENCH_DURATION=${BENCH_DURATION:-10} bash "$here/bench_http.sh" "$build/examples/server/allocation-server"
part "Redis round trips and relay (issue 6)";  sh "$here/bench_redis.sh" "$bench/bench_redis"
part "Python binding (issue 7)";               "$bench/bench_python"
part "Group commit over HTTP (issue 12)";      BENCH_DURATION=${BENCH_DURATION:-10} bash "$here/bench_group_commit.sh" "$build"
part "Bulk import-orders (issue 12)";          bash "$here/bench_import.sh" "$build/examples/cli/allocation"
