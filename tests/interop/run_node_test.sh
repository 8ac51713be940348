#!/bin/sh
# tests/interop/run_node_test.sh — runs one node:test file against a duet server binary.
#
# Usage: run_node_test.sh <test file> <server binary> <variable>
# The test file reads the binary's path from the environment variable <variable>
# (DUET_EIO_SERVER, DUET_SIO_SERVER, DUET_CHAT_BIN). The test runs from the repository
# root (the chat example serves examples/chat/public and node_modules/socket.io-client
# from there). Exit code: the test result (0 = all passed), or
# 77 (Meson's "skipped") when Node.js or the npm packages (`npm ci` in the source root:
# the official clients, and the reference servers used as oracles) are missing.
set -eu
if [ $# -ne 3 ]; then
    echo "usage: $0 <test file> <server binary> <variable>" >&2
    exit 2
fi
test_file=$1
server=$2
case $test_file in /*) ;; *) test_file=$(pwd)/$test_file ;; esac
variable=$3
case $server in /*) ;; *) server=$(pwd)/$server ;; esac
if [ ! -x "$server" ]; then
    echo "$0: server binary not found or not executable: $server" >&2
    exit 2
fi
if ! command -v node >/dev/null 2>&1; then
    echo "$0: node not found: skipped" >&2
    exit 77
fi
# The npm packages are resolved from the test file's directory upwards.
if ! (cd "$(dirname "$test_file")" && node -e 'for (const p of ["engine.io-client", "engine.io", "socket.io-client", "socket.io", "ws"]) require.resolve(p)') >/dev/null 2>&1; then
    echo "$0: npm packages not installed (run npm ci in the source root): skipped" >&2
    exit 77
fi
# The repository root: two levels above this script (tests/interop/).
case $0 in */*) script_dir=${0%/*} ;; *) script_dir=. ;; esac
cd "$script_dir/../.."
export "$variable=$server"
exec node --test --test-reporter=spec "$test_file"
