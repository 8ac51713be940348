#!/bin/sh
# Compares the duet hello example with a reference Express 5 app under wrk.
#   bench/http/run.sh [--build-dir build-release] [--duration 10] [--connections 64]
#                     [--pipeline 16] [--routes plaintext,json,users] [--pin] ...
# run.js does the work; see bench/http/run.sh --help.
exec node "$(dirname "$0")/run.js" "$@"
