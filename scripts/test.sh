#!/usr/bin/env bash
# The one command that builds duet and passes every test (README "Test").
#
# Installs what is missing (scripts/install-deps.sh), then builds and runs the suite
# four ways, each configuration building and running what its purpose needs:
#   gcc   g++ 12: everything (tests, examples, benchmarks, compile-failure tests), run.
#   fuzz  clang 14 + libFuzzer: only the fuzz targets, each run for FUZZ_SECONDS.
#   asan  g++ with AddressSanitizer + UBSan: the test suite (no benchmarks, no
#         compile-failure tests: they exercise the compiler, not the code).
#   tsan  clang 14 with ThreadSanitizer, every test server on two shards
#         (DUET_TEST_SHARDS=2, DUET_SERVER_ARGS="--threads 2"; a race aborts the
#         process). It also builds the benchmarks and runs the compile-failure tests,
#         so everything compiles warning-free under clang 14 without a plain clang build.
# Warnings are errors in all four. Ends with one line "N passed, N failed" over every
# test of every configuration.
#
# Options (environment): DUET_CONFIGS="gcc fuzz asan tsan" to choose configurations,
# FUZZ_SECONDS=10 per fuzz target, JOBS=<n> for ninja.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }

configs=${DUET_CONFIGS:-gcc fuzz asan tsan}
fuzz_seconds=${FUZZ_SECONDS:-10}
jobs=${JOBS:-$(nproc)}
status=0
logs=()

run_config() {  # name, env..., -- meson options...
  local name=$1; shift
  local envs=() opts=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  opts=("$@")
  local dir="build-$name"
  echo "=== $name: configure"
  if [ ! -f "$dir/build.ninja" ]; then
    env "${envs[@]}" meson setup "$dir" "${opts[@]}" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  else
    meson configure "$dir" "${opts[@]}" >/dev/null || return 1
  fi
  rm -f "$dir/meson-logs/testlog.json" "$dir.buildfail.json"
  echo "=== $name: build"
  if ! ninja -C "$dir" -j "$jobs"; then
    # Counted as one failed test, so a broken build can never read as "0 failed".
    echo "{\"name\": \"$name build\", \"result\": \"FAIL\"}" > "$dir.buildfail.json"
    return 1
  fi
  echo "=== $name: test"
  env "${envs[@]}" meson test -C "$dir" --num-processes "$jobs" --print-errorlogs
}

for c in $configs; do
  case $c in
    gcc)   run_config gcc CC=gcc CXX=g++ -- -Dbuildtype=debugoptimized ;;
    fuzz)  run_config fuzz CC=clang-14 CXX=clang++-14 -- -Dbuildtype=debugoptimized -Dfuzzing=true -Dfuzz_seconds="$fuzz_seconds" \
             -Dtests=false -Dexamples=false -Dbench=false ;;
    asan)  run_config asan CC=gcc CXX=g++ -- -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
             -Dbench=false -Dcompile_fail_tests=false ;;
    tsan)  run_config tsan CC=clang-14 CXX=clang++-14 DUET_TEST_SHARDS=2 "DUET_SERVER_ARGS=--threads 2" \
             "TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1" -- \
             -Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false ;;
    *) echo "unknown configuration $c"; status=1; continue ;;
  esac
  rc=$?
  [ $rc -eq 0 ] || status=1
  logs+=("$root/build-$c/meson-logs/testlog.json" "$root/build-$c.buildfail.json")
done

python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or passed == 0 else 0)
PY
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ]
