#!/bin/sh
# Throwaway redis-server for tests, on 127.0.0.1 and a free port, in DIR.
#   redis_server.sh start DIR [ARG...]
#                               start (re-using DIR/port when DIR has one, so a
#                               restart keeps the URL), with extra redis-server
#                               arguments (e.g. --requirepass x); prints
#                               redis://127.0.0.1:PORT
#   redis_server.sh stop DIR    stop it (data is not saved)
#   redis_server.sh url DIR     print the URL
# Persistence is off: a restart comes back empty, like a crashed server.
set -eu

cmd=${1:?usage: redis_server.sh start|stop|url DIR}
dir=${2:?usage: redis_server.sh start|stop|url DIR}
shift 2
server=${REDIS_SERVER:-redis-server}
cli=${REDIS_CLI:-redis-cli}

free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ -s "$dir/port" ] || free_port >"$dir/port"
	port=$(cat "$dir/port")
	"$server" --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
		--pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
		--save "" --appendonly no --protected-mode no "$@" >/dev/null
	for _ in $(seq 100); do
		# up when it answers, even if only to say it wants a password
		case "$("$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null)" in
		PONG | NOAUTH*)
			echo "redis://127.0.0.1:$port"
			exit 0
			;;
		esac
		sleep 0.05
	done
	echo "redis_server.sh: redis-server did not start on port $port; see $dir/redis.log" >&2
	exit 1
	;;
stop)
	[ -s "$dir/redis.pid" ] || exit 0
	pid=$(cat "$dir/redis.pid")
	port=$(cat "$dir/port")
	kill "$pid" 2>/dev/null || true
	# gone once it stops answering (a zombie may linger until it is reaped)
	for _ in $(seq 200); do
		[ -n "$("$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null)" ] || break
		sleep 0.02
	done
	if [ -n "$("$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null)" ]; then
		kill -9 "$pid" 2>/dev/null || true
		sleep 0.1
	fi
	rm -f "$dir/redis.pid"
	;;
url)
	echo "redis://127.0.0.1:$(cat "$dir/port")"
	;;
*)
	echo "usage: redis_server.sh start|stop|url DIR" >&2
	exit 2
	;;
esac
