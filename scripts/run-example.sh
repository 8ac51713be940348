#!/usr/bin/env bash
# Builds and runs one example (default: hello) — README "Run the example".
# usage: scripts/run-example.sh [hello|chat|engineio_echo|protocol_server|modular] [args...]
# Installs only what building and running an example needs (scripts/install-deps.sh
# --example), builds it optimised in build-release/, and runs it from the repository
# root (the chat example serves its page and the socket.io client bundle from there).
# Stop it with Ctrl+C (a graceful stop).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-hello}
[ $# -gt 0 ] && shift
[ -d "examples/$name" ] || { echo "run-example: no example '$name' (see examples/)"; exit 2; }
scripts/install-deps.sh --example
if [ ! -f build-release/build.ninja ]; then
  echo "run-example: meson setup build-release (release build, examples only)"
  meson setup build-release -Dbuildtype=release -Dtests=false -Dbench=false >/dev/null
fi
echo "run-example: building examples/$name"
ninja -C build-release "examples/$name/$name"
echo "run-example: starting examples/$name (Ctrl+C stops it)"
exec "build-release/examples/$name/$name" "$@"
