#!/bin/sh
# tests/interop/run_sio_test.sh — runs the Socket.IO interop test file against a duet
# server binary (tests/interop/sio_test_server.cpp).
# Usage: run_sio_test.sh <test file> <server binary>
# The test file reads the binary's path from DUET_SIO_SERVER; the exit code is the
# test result. Node resolves the npm packages (socket.io-client, engine.io-client, and
# socket.io for the reference server) from the source tree's node_modules.
# DUET_SIO_TARGETS=duet skips the runs against the reference server.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 <test file> <server binary>" >&2
    exit 2
fi
test_file=$1
server=$2
case $server in /*) ;; *) server=$(pwd)/$server ;; esac
if [ ! -x "$server" ]; then
    echo "$0: server binary not found or not executable: $server" >&2
    exit 2
fi
command -v node >/dev/null 2>&1 || { echo "$0: node not found" >&2; exit 77; }
DUET_SIO_SERVER=$server exec node --test --test-reporter=spec "$test_file"
