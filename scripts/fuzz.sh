#!/usr/bin/env bash
# Runs one libFuzzer target for a given time (default 60 s) on a scratch copy of its
# seeds; prints libFuzzer's final stats (executions, coverage). New crashes are written
# to the current folder as crash-*.
# usage: scripts/fuzz.sh <http_request|http_query_cookie|http_multipart|ws_parser|ws_deflate|eio_payload|sio_decoder|cluster_wire|sio_msgpack> [seconds] [libFuzzer flags]
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?target}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
scripts/install-deps.sh >/dev/null
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang-14 CXX=clang++-14 meson setup build-fuzz -Dbuildtype=debugoptimized -Dfuzzing=true \
    -Dtests=false -Dexamples=false -Dbench=false >/dev/null
fi
ninja -C build-fuzz "tests/fuzz/fuzz_$target"
exec tests/fuzz/run_fuzzer.sh "build-fuzz/tests/fuzz/fuzz_$target" "tests/fuzz/corpus/$target" "$seconds" "$@"
