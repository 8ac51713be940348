#!/bin/sh
# A broadcast across two Socket.IO nodes joined through Redis: duet's node
# (bench/cluster/cluster_bench_server.cpp, duet::cluster::redis_cluster) against npm
# socket.io 4.8 with @socket.io/redis-adapter 8.3 (bench/cluster/socketio_cluster_server.js),
# in one invocation: a redis-server, two duet nodes, the scenarios, then two Node nodes and
# the same scenarios, using the C++ load generator bench/loadgen/sio_bench.
#   bench/cluster/run.sh [--build-dir build-release] [--quick] [--scenarios hop,local,remote,split]
#                        [--subscribers 5000] [--emits 50] [--burst 50] [--repeat N] ...
# run.js does the work; see bench/cluster/run.sh --help.
#
# 5,000 connections need 5,000+ descriptors in a node and in the load generator: the soft
# open-file limit is raised here (to 65536, or else to the hard limit) and is inherited by
# redis-server, the nodes and the load generator.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec node "$(dirname "$0")/run.js" "$@"
