#!/bin/sh
# Runs one libFuzzer target for a while on a scratch copy of its seed corpus (libFuzzer
# writes new inputs into its first corpus folder; the repository's seeds stay as they are).
# usage: run_fuzzer.sh <fuzzer> <seed dir> <seconds> [extra libFuzzer flags]
set -eu
fuzzer=$1; seeds=$2; seconds=$3; shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$seeds"/. "$work"/
exec "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 "$@" "$work"
