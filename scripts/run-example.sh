#!/usr/bin/env bash
# Builds and runs one example (default: hello) — README "Run the example".
# usage: scripts/run-example.sh [hello] [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-hello}
[ $# -gt 0 ] && shift
scripts/install-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release >/dev/null
ninja -C build-release "examples/$name/$name"
# From the repository root: the chat example serves its page and the socket.io client
# bundle from there.
exec "build-release/examples/$name/$name" "$@"
