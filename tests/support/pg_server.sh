#!/bin/sh
# A throwaway PostgreSQL server for tests and benchmarks.
#
#   pg_server.sh start DIR   initdb into a new temporary directory, start the
#                            server on 127.0.0.1 and a free port (its unix
#                            socket in the temporary directory), write the
#                            connection string to DIR/conninfo and print it.
#   pg_server.sh stop DIR    stop that server and delete its data.
#   pg_server.sh pause DIR   stop that server (pg_ctl stop -m fast), keeping
#                            its data, for tests of a database that goes away;
#   pg_server.sh resume DIR  and start it again on the same port.
#
# DIR is the caller's (e.g. ${CMAKE_BINARY_DIR}/pg-fixture); the data lives in
# a mktemp directory named in DIR/datadir. Run as root, the server runs as the
# unprivileged user "postgres" (or "nobody") owning that directory.
# PG_BINDIR overrides where initdb/pg_ctl are found (default: PostgreSQL 15).
# fsync stays on: benchmarks need real commit costs.
set -eu

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BINDIR/pg_ctl" ] || PG_BINDIR=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")

usage() {
	echo "usage: $0 start|stop|pause|resume DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
action=$1
dir=$2

if [ "$(id -u)" = 0 ]; then
	if id postgres >/dev/null 2>&1; then runas=postgres; else runas=nobody; fi
	as_server() { runuser -u "$runas" -- "$@"; }
else
	runas=
	as_server() { "$@"; }
fi

free_port() {
	if [ -x /usr/bin/python3 ]; then
		/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
	else # a random high port; start() retries if it is taken
		awk -v seed="$$" 'BEGIN { srand(seed + srand()); print 20000 + int(rand() * 40000) }'
	fi
}

stop() {
	[ -f "$dir/datadir" ] || return 0
	data=$(cat "$dir/datadir")
	if [ -f "$data/pgdata/postmaster.pid" ]; then
		as_server "$PG_BINDIR/pg_ctl" stop -D "$data/pgdata" -m fast -w -t 30 >/dev/null 2>&1 || {
			pid=$(head -n 1 "$data/pgdata/postmaster.pid" 2>/dev/null || true)
			[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
		}
	fi
	case "$data" in
	/tmp/la-pg.*) rm -rf "$data" ;;
	esac
	rm -f "$dir/datadir" "$dir/conninfo" "$dir/port" "$dir/log"
}

server_options() {
	echo "-c listen_addresses=127.0.0.1 -p $1 -c unix_socket_directories=$2 \
-c max_connections=200 -c shared_buffers=128MB"
}

start() {
	mkdir -p "$dir"
	stop # a server left over from an interrupted run
	data=$(mktemp -d /tmp/la-pg.XXXXXX)
	chmod 755 "$data"
	[ -n "$runas" ] && chown "$runas" "$data"
	echo "$data" >"$dir/datadir"
	as_server "$PG_BINDIR/initdb" -D "$data/pgdata" -U postgres -A trust -E UTF8 --locale=C \
		--no-sync >"$data/initdb.log" 2>&1 || {
		cat "$data/initdb.log" >&2
		exit 1
	}
	tries=0
	while :; do
		port=$(free_port)
		if as_server "$PG_BINDIR/pg_ctl" start -D "$data/pgdata" -l "$data/server.log" -w -t 60 \
			-o "$(server_options "$port" "$data")" >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			cat "$data/server.log" >&2
			exit 1
		fi
	done
	echo "$port" >"$dir/port"
	ln -sf "$data/server.log" "$dir/log"
	conninfo="host=127.0.0.1 port=$port user=postgres dbname=postgres"
	echo "$conninfo" >"$dir/conninfo"
	echo "$conninfo"
}

pause() {
	data=$(cat "$dir/datadir")
	as_server "$PG_BINDIR/pg_ctl" stop -D "$data/pgdata" -m fast -w -t 60 >/dev/null
}

resume() {
	data=$(cat "$dir/datadir")
	port=$(cat "$dir/port")
	as_server "$PG_BINDIR/pg_ctl" start -D "$data/pgdata" -l "$data/server.log" -w -t 60 \
		-o "$(server_options "$port" "$data")" >/dev/null
}

case "$action" in
start) start ;;
stop) stop ;;
pause) pause ;;
resume) resume ;;
*) usage ;;
esac
