#!/bin/sh
# Compares the duet Engine.IO echo example with the npm engine.io reference server, using
# the C++ load generator bench/loadgen/eio_echo_bench (WebSocket, one thread).
#   bench/eio/run.sh [--build-dir build-release] [--duration 10] [--connections 100]
#                    [--size 32] [--binary] [--pipeline 1] [--scenarios text:32,binary:4k,...]
#                    [--repeat N] [--pin] [--loadgen PATH] ...
# run.js does the work; see bench/eio/run.sh --help.
exec node "$(dirname "$0")/run.js" "$@"
