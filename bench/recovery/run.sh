#!/bin/sh
# Memory of connection state recovery (kept sessions, kept packets): duet's
# sio_bench_server against npm socket.io 4.8, both with recovery on, in one invocation.
#   bench/recovery/run.sh [--build-dir build-release] [--sessions 2000] [--rounds 4] [--packets 50000]
# run.js does the work; see bench/recovery/run.sh --help.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec node "$(dirname "$0")/run.js" "$@"
