#!/bin/sh
# tests/interop/run_chat_test.sh — runs the chat example's integration test (HTTP +
# Socket.IO, "one app, two protocols") against a built chat binary
# (examples/chat/main.cpp), with the official npm socket.io-client.
#
# Usage: run_chat_test.sh <test file> <chat binary>
# The chat binary serves examples/chat/public and node_modules/socket.io-client/dist
# relative to its working directory, so the test runs from the repository root
# (derived from this script's own path). The test file reads the binary's path from
# DUET_CHAT_BIN. Exit code: the test result (0 = all passed), 2 on bad usage, or 77
# (Meson's "skipped") when Node.js or node_modules/socket.io-client is missing.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 <test file> <chat binary>" >&2
    exit 2
fi
test_file=$1
chat=$2
case $test_file in /*) ;; *) test_file=$(pwd)/$test_file ;; esac
case $chat in /*) ;; *) chat=$(pwd)/$chat ;; esac
if [ ! -x "$chat" ]; then
    echo "$0: chat binary not found or not executable: $chat" >&2
    exit 2
fi
if ! command -v node >/dev/null 2>&1; then
    echo "$0: node not found: skipped" >&2
    exit 77
fi
# The repository root: two levels above this script (tests/interop/).
case $0 in */*) script_dir=${0%/*} ;; *) script_dir=. ;; esac
root=$(cd "$script_dir/../.." && pwd)
if [ ! -f "$root/node_modules/socket.io-client/package.json" ]; then
    echo "$0: $root/node_modules/socket.io-client not installed (run npm ci in the source root): skipped" >&2
    exit 77
fi
cd "$root"
DUET_CHAT_BIN=$chat
export DUET_CHAT_BIN
status=0
node --test --test-reporter=spec "$test_file" || status=$?
exit $status
