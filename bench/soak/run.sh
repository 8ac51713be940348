#!/bin/sh
# The soak test (docs/SOAK.md): starts bench/soak/soak_server, runs the driver
# bench/loadgen/soak_client against it, stops the server and prints the result.
#
#   bench/soak/run.sh [--build-dir build-rel] [--clients 200] [--duration 30] [--rooms R]
#                     [--rate 0.1] [--threads T] [--port P] [any other soak_client option]
#
# --threads T is passed to the server (server::run(T)); every other option goes to
# soak_client (see `soak_client --help`: --warmup, --settle, --lifetime, --room-switch,
# --offline, --ack-timeout, --rss-margin-pct, --rss-margin-mib, --seed, ...). Nothing is
# built here: build first, e.g.
#   meson setup build-rel -Dbuildtype=release
#   ninja -C build-rel bench/soak/soak_server bench/loadgen/soak_client
# The exit status is soak_client's: 0 passed, 1 a check failed, 2 the run could not proceed.
set -u
build_dir=build-rel
threads=1
port=0
server_args=""
client_args=""
while [ $# -gt 0 ]; do
    case "$1" in
        --build-dir) build_dir=$2; shift 2 ;;
        --build-dir=*) build_dir=${1#*=}; shift ;;
        --threads) threads=$2; shift 2 ;;
        --threads=*) threads=${1#*=}; shift ;;
        --port) port=$2; shift 2 ;;
        --port=*) port=${1#*=}; shift ;;
        --ping-interval|--ping-timeout|--max-payload) server_args="$server_args $1 $2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) client_args="$client_args $1"; shift ;;
    esac
done
server="$build_dir/bench/soak/soak_server"
client="$build_dir/bench/loadgen/soak_client"
for f in "$server" "$client"; do
    [ -x "$f" ] || { echo "run.sh: $f not found; build it first (see --help)" >&2; exit 2; }
done

# Thousands of connections need thousands of descriptors in the server and the driver:
# raise the soft limit to the hard one (inherited by both).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "run.sh: open-file limit $(ulimit -n)"

log=$(mktemp "${TMPDIR:-/tmp}/soak_server.XXXXXX")
# shellcheck disable=SC2086
"$server" --port "$port" --threads "$threads" $server_args >"$log" 2>&1 &
server_pid=$!
cleanup() { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
trap cleanup EXIT INT TERM

# Wait for "soak_server listening on http://<host>:<port>/socket.io/ ...".
i=0
listen_port=""
while [ $i -lt 100 ]; do
    listen_port=$(sed -n 's|^soak_server listening on http://[^:]*:\([0-9]*\)/.*|\1|p' "$log")
    [ -n "$listen_port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$listen_port" ]; then
    echo "run.sh: the server did not start:" >&2
    cat "$log" >&2
    exit 2
fi
cat "$log"
echo "run.sh: $client --port $listen_port --server-pid $server_pid$client_args"
# shellcheck disable=SC2086
"$client" --port "$listen_port" --server-pid "$server_pid" $client_args
status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server exited during the run:" >&2
    cat "$log" >&2
    [ $status -eq 0 ] && status=1
else
    # Anything the server printed after its first line (errors, logged exceptions).
    extra=$(sed -n '2,$p' "$log")
    [ -n "$extra" ] && { echo "run.sh: server output:"; echo "$extra"; }
fi
rm -f "$log"
exit $status
