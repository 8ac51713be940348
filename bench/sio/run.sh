#!/bin/sh
# Compares duet's Socket.IO server (bench/sio/bench_server.cpp) with npm socket.io 4.8
# (bench/sio/socketio_server.js) in three modes, echo, fanout (broadcast to one room) and
# idle (memory per connection), using the C++ load generator bench/loadgen/sio_bench.
#   bench/sio/run.sh [--build-dir build-release] [--quick] [--modes echo,fanout,idle]
#                    [--echo-connections 100] [--echo-duration 10]
#                    [--fanout-subscribers 10000] [--fanout-emits 20]
#                    [--idle-connections 10000] [--repeat N] [--threads T] [--pin] ...
# run.js does the work; see bench/sio/run.sh --help.
#
# 10,000 connections need 10,000+ descriptors in the server and in the load generator:
# the soft open-file limit is raised here (to 65536, or else to the hard limit) and is
# inherited by both servers and the load generator.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec node "$(dirname "$0")/run.js" "$@"
